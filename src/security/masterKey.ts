import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Decodes CONDUIT_MASTER_KEY (64 hex chars or base64 of 32 bytes). */
export function decodeMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('CONDUIT_MASTER_KEY must encode exactly 32 bytes (64 hex chars or base64)');
  return key;
}

/** The configured key, or a key file in the data dir created on first use with mode 0600. */
export function loadMasterKey(dataDir: string, configured?: string): Buffer {
  if (configured) return decodeMasterKey(configured);
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return decodeMasterKey(readFileSync(file, 'utf8'));
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}
