// The master key must be the store's key. At start the keyring is checked against the store's key checks: a
// missing or different key refuses to start (instead of generating a new key and answering 500 on every
// instance), /readyz reports a key the server has lost, and `conduit keys rotate` re-seals every secret.
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import {
  addFirstKeyCheck,
  addKeyCheck,
  countSealedOutside,
  findSealedSample,
  type KeyCheck,
  listKeyChecks,
  resealAll,
  retireKeyChecks,
  type Store,
} from '../store/index.ts';
import { createSecretBox, type SecretBox, sealedPrefix } from './envelope.ts';
import {
  createKeyFile,
  findKeyring,
  type Keyring,
  type KeySettings,
  keyCheckValue,
  type MasterKey,
  masterKey,
  writeKeyFile,
} from './masterKey.ts';
import { constantTimeEqual } from './secrets.ts';

/** The server's master key does not open the store: start-up stops with this message (never the key itself). */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export interface KeyContext extends KeySettings {
  /** How the store is named in messages: the SQLite file, or the PostgreSQL database and schema. */
  storeLabel: string;
}

/** The key settings of a configuration, and the store named as messages show it (no password). */
export function keyContext(config: Config, pgSchema?: string): KeyContext {
  let storeLabel = join(config.CONDUIT_DATA_DIR, 'conduit.sqlite');
  if (config.DATABASE_URL) {
    const url = new URL(config.DATABASE_URL);
    url.password = '';
    const schema = pgSchema ?? config.DATABASE_SCHEMA;
    storeLabel = `${url.toString()}${schema ? ` (schema ${schema})` : ''}`;
  }
  return {
    dataDir: config.CONDUIT_DATA_DIR,
    current: config.CONDUIT_MASTER_KEY,
    previous: config.CONDUIT_MASTER_KEY_PREVIOUS,
    storeLabel,
  };
}

function keyMatches(check: KeyCheck, key: MasterKey): boolean {
  return check.keyId === key.id && constantTimeEqual(check.checkValue, keyCheckValue(key.key));
}

function refusal(
  ctx: KeyContext,
  ring: Keyring | undefined,
  storeKey: string | undefined,
  checks: KeyCheck[] = [],
): MasterKeyError {
  const file = ring?.file || `${ctx.dataDir}/master.key`;
  const retired = ring && checks.find((c) => c.keyId === ring.current().id && c.retiredAt);
  const has = ring
    ? `this server has key ${ring.current().id} from ${ring.source}${retired ? ` (retired by a key rotation on ${retired.retiredAt})` : ''}`
    : `this server has no master key (CONDUIT_MASTER_KEY is not set and ${file} does not exist)`;
  const sealedWith = storeKey ? `master key ${storeKey}` : 'a master key of unknown id (sealed before key checks)';
  return new MasterKeyError(
    `the store at ${ctx.storeLabel} was sealed with ${sealedWith}; ${has}. ` +
      `Start it with the right CONDUIT_MASTER_KEY or restore ${file}`,
  );
}

/** Active key checks the ring cannot satisfy (a key-file ring re-reads its file first). */
function missingKeys(ring: Keyring, active: KeyCheck[]): KeyCheck[] {
  const missing = () => active.filter((c) => !ring.keys().some((k) => keyMatches(c, k)));
  const first = missing();
  if (first.length === 0) return first;
  return ring.refresh() ? missing() : first;
}

/**
 * Finds the keyring and checks it against the store; records the key of a store that has none yet. Refuses
 * (MasterKeyError) when the store's secrets were sealed with a key this server does not have.
 */
export async function openSecretBox(store: Store, ctx: KeyContext): Promise<SecretBox> {
  let ring = findKeyring(ctx);
  let checks = await listKeyChecks(store.db);
  if (checks.length === 0) {
    const sample = await findSealedSample(store.db);
    if (!sample) {
      ring ??= createKeyFile(ctx.dataDir);
      await addFirstKeyCheck(store, ring.current().id, keyCheckValue(ring.current().key));
    } else {
      // A store from before key checks: adopt the key that opens its secrets, or refuse.
      const opener = ring?.keys().find((k) => {
        try {
          createSecretBox(k.key).decrypt(sample);
          return true;
        } catch {
          return false;
        }
      });
      if (!opener) throw refusal(ctx, ring, undefined);
      await addFirstKeyCheck(store, opener.id, keyCheckValue(opener.key));
    }
    checks = await listKeyChecks(store.db);
  }
  const active = checks.filter((c) => c.retiredAt === null);
  if (!ring) throw refusal(ctx, undefined, active[0]?.keyId ?? checks[0]!.keyId);
  const missing = missingKeys(ring, active);
  if (missing.length > 0) throw refusal(ctx, ring, missing[0]!.keyId, checks);
  const current = ring.current();
  const known = checks.find((c) => c.keyId === current.id);
  if (known?.retiredAt) {
    throw new MasterKeyError(
      `master key ${current.id} from ${ring.source} was retired by a key rotation on ${known.retiredAt}; the store at ${ctx.storeLabel} is sealed with ${active.map((c) => c.keyId).join(', ')}. Start it with that key`,
    );
  }
  // Every active key is readable and the current key is new: a rotation begins (CONDUIT_MASTER_KEY_PREVIOUS).
  if (!known) await addKeyCheck(store.db, current.id, keyCheckValue(current.key));
  return createSecretBox(ring);
}

/** Why this server is not ready as far as keys go, or undefined: every active key of the store is in its ring. */
export async function keyReadiness(store: Store, box: SecretBox): Promise<string | undefined> {
  const active = await listKeyChecks(store.db, { activeOnly: true });
  const missing = missingKeys(box.keyring, active);
  if (missing.length > 0) {
    return `the store is sealed with master key ${missing.map((c) => c.keyId).join(', ')}, which this server does not have (it has ${box.keyring.current().id} from ${box.keyring.source})`;
  }
  const current = box.keyring.current().id;
  if (!active.some((c) => c.keyId === current)) {
    return `this server's master key ${current} (from ${box.keyring.source}) was retired by a key rotation`;
  }
  return undefined;
}

export interface RotationReport {
  fromKeyIds: string[];
  toKeyId: string;
  resealed: number;
  keyFile?: string;
}

/**
 * Re-seals every secret under the ring's current key, then retires the other keys. Safe while servers run:
 * they open values by key id (a key-file ring re-reads its file on an unknown id), rows are updated
 * compare-and-set, and passes repeat until nothing is left under an old key.
 */
export async function resealUnderCurrentKey(
  store: Store,
  box: SecretBox,
  opts: { batchSize?: number; maxPasses?: number } = {},
): Promise<{ resealed: number; retired: string[] }> {
  const current = box.keyring.current();
  await addKeyCheck(store.db, current.id, keyCheckValue(current.key));
  const prefix = sealedPrefix(current.id);
  let resealed = 0;
  for (let pass = 0; pass < (opts.maxPasses ?? 10); pass++) {
    resealed += await resealAll(store, prefix, (v) => box.encrypt(box.decrypt(v)), opts.batchSize);
    if ((await countSealedOutside(store.db, prefix)) === 0) {
      const retired = await retireKeyChecks(store.db, current.id);
      return { resealed, retired };
    }
    await new Promise((r) => setTimeout(r, 200)); // a writer that sealed with the old key just now: next pass
  }
  throw new Error('secrets kept being written under an old key; run `conduit keys rotate` again');
}

/** Key-file rotation: write the new key first (old kept readable), re-seal, then drop the old key. */
export async function rotateKeyFile(
  store: Store,
  box: SecretBox,
  newKey: Buffer | undefined,
  opts: { batchSize?: number } = {},
): Promise<RotationReport> {
  const ring = box.keyring;
  if (ring.fromEnv) throw new Error('the keys come from CONDUIT_MASTER_KEY: use the environment procedure');
  const keys = ring.keys();
  if (newKey) {
    if (keys.length > 1) {
      throw new MasterKeyError(
        `a rotation is in progress (${ring.file} holds ${keys.length} keys): run \`conduit keys rotate\` without --new-key to finish it`,
      );
    }
    const next = masterKey(newKey);
    if (next.id === keys[0]!.id) throw new MasterKeyError('the new key is the current key');
    writeKeyFile(ring.file, [next.key, ...keys.map((k) => k.key)]);
    ring.refresh();
  }
  const { resealed, retired } = await resealUnderCurrentKey(store, box, opts);
  writeKeyFile(ring.file, [ring.current().key]);
  ring.refresh();
  return { fromKeyIds: retired, toKeyId: ring.current().id, resealed, keyFile: ring.file };
}
