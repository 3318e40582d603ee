// Master keys: where they come from (CONDUIT_MASTER_KEY [+ CONDUIT_MASTER_KEY_PREVIOUS], or the key file), how
// they are named (a key id derived from the key, never the key) and how a key proves it is the store's key
// (a check value: an HMAC of a constant). The key material itself is never logged or printed.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MasterKey {
  /** 8 hex chars naming the key: SHA-256(HMAC-SHA256(key, 'conduit-key-id')), truncated. */
  id: string;
  key: Buffer;
}

/** Decodes a master key (64 hex chars or base64 of 32 bytes). */
export function decodeMasterKey(text: string, name = 'CONDUIT_MASTER_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error(`${name} must encode exactly 32 bytes (64 hex chars or base64)`);
  return key;
}

export function keyIdOf(key: Buffer): string {
  const mac = createHmac('sha256', key).update('conduit-key-id').digest();
  return createHash('sha256').update(mac).digest('hex').slice(0, 8);
}

/** The value stored with the store for a key: proves a key is the one the store knows, reveals nothing of it. */
export function keyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update('conduit-key-check').digest('hex');
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== 32) throw new Error('master key must be 32 bytes');
  return { id: keyIdOf(key), key };
}

export function generateMasterKey(): Buffer {
  return randomBytes(32);
}

/**
 * The keys a server can use: the current one seals new values, all of them open values. A key-file keyring
 * re-reads its file when it changes (a `conduit keys rotate` next to a running server), so a running server
 * learns the new key without a restart.
 */
export interface Keyring {
  /** Where the current key was found: "CONDUIT_MASTER_KEY" or the key file's path. */
  readonly source: string;
  /** The key file (also when the key came from the environment: where a key file would be). */
  readonly file: string;
  readonly fromEnv: boolean;
  current(): MasterKey;
  /** Current first, then the previous keys. */
  keys(): MasterKey[];
  /** The key with this id; a key-file keyring re-reads its file once before giving up. */
  find(id: string): MasterKey | undefined;
  /** Re-reads the key file (no-op for environment keys); true when the keys changed. */
  refresh(): boolean;
}

export const KEY_FILE = 'master.key';

/** Key file format: one key a line (base64 or hex), the first is current, the others are still readable. */
export function parseKeyFile(text: string, file: string): MasterKey[] {
  const keys = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((l) => masterKey(decodeMasterKey(l, file)));
  if (keys.length === 0) throw new Error(`${file} holds no key`);
  return keys;
}

/** Writes the key file atomically with mode 0600 (a temporary file renamed over the old one). */
export function writeKeyFile(file: string, keys: Buffer[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, keys.map((k) => `${k.toString('base64')}\n`).join(''), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function staticKeyring(source: string, file: string, keys: MasterKey[], fromEnv: boolean): Keyring {
  return {
    source,
    file,
    fromEnv,
    current: () => keys[0]!,
    keys: () => keys,
    find: (id) => keys.find((k) => k.id === id),
    refresh: () => false,
  };
}

function fileKeyring(file: string): Keyring {
  let keys = parseKeyFile(readFileSync(file, 'utf8'), file);
  let stamp = fileStamp(file);
  const reload = (): boolean => {
    const now = fileStamp(file);
    if (now === stamp || now === '') return false;
    try {
      keys = parseKeyFile(readFileSync(file, 'utf8'), file);
      stamp = now;
      return true;
    } catch {
      return false; // a half-written or removed file: keep the keys we have
    }
  };
  return {
    source: file,
    file,
    fromEnv: false,
    // Sealing is rare (instances created or updated): one stat per seal picks up a rotation's new key.
    current: () => {
      reload();
      return keys[0]!;
    },
    keys: () => keys,
    find: (id) => keys.find((k) => k.id === id) ?? (reload() ? keys.find((k) => k.id === id) : undefined),
    refresh: reload,
  };
}

function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '';
  }
}

export interface KeySettings {
  dataDir: string;
  /** CONDUIT_MASTER_KEY */
  current?: string;
  /** CONDUIT_MASTER_KEY_PREVIOUS: comma-separated keys still accepted for reading (during a rotation). */
  previous?: string;
}

export function keyFilePath(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}

/** The configured keyring, or undefined when there is no key at all (no CONDUIT_MASTER_KEY, no key file). */
export function findKeyring(settings: KeySettings): Keyring | undefined {
  const file = keyFilePath(settings.dataDir);
  if (settings.current) {
    const previous = (settings.previous ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => masterKey(decodeMasterKey(s, 'CONDUIT_MASTER_KEY_PREVIOUS')));
    const current = masterKey(decodeMasterKey(settings.current));
    return staticKeyring('CONDUIT_MASTER_KEY', file, [current, ...previous.filter((k) => k.id !== current.id)], true);
  }
  if (existsSync(file)) return fileKeyring(file);
  return undefined;
}

/** Creates the key file with a new random key (first start on an empty store). */
export function createKeyFile(dataDir: string): Keyring {
  mkdirSync(dataDir, { recursive: true });
  const file = keyFilePath(dataDir);
  try {
    writeFileSync(file, `${generateMasterKey().toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process on this data dir made it
  }
  return fileKeyring(file);
}

/** A keyring over fixed keys (tests, tools). */
export function keyringOf(...keys: Buffer[]): Keyring {
  return staticKeyring('memory', '', keys.map(masterKey), false);
}
