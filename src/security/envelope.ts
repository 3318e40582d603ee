// AES-256-GCM envelope for secrets at rest. Each value gets a fresh data key wrapped by the master key.
// Format: enc:v2:<keyId>:<wrappedKey>:<iv>:<tag>:<ciphertext> (base64url) — the key id names the master key that
// wrapped the data key, so a value opens with the right key of the keyring during and after a rotation.
// enc:v1:… (no key id, written before key checks existed) is still read: every key of the ring is tried.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Keyring, keyringOf } from './masterKey.ts';

const V1 = 'enc:v1:';
const V2 = 'enc:v2:';

function seal(key: Buffer, plain: Buffer): string[] {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
}

function open(key: Buffer, iv: string, tag: string, body: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
}

/** A value sealed under a master key this server does not have (another node rotated, or a wrong key). */
export class UnknownKeyError extends Error {
  constructor(public readonly keyId: string | undefined) {
    super(
      keyId
        ? `the value is sealed with master key ${keyId}, which this server does not have`
        : 'the value is sealed with a master key this server does not have',
    );
    this.name = 'UnknownKeyError';
  }
}

export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  isSealed(value: string): boolean;
  /** The id of the master key a sealed value names (undefined for enc:v1 values). */
  keyIdOf(sealed: string): string | undefined;
  readonly keyring: Keyring;
}

function openWith(key: Buffer, wrapped: string, iv: string, tag: string, body: string): string {
  const [wiv, wtag, wbody] = wrapped.split('.');
  if (!wiv || !wtag || wbody === undefined) throw new Error('corrupt sealed value');
  const dataKey = open(key, wiv, wtag, wbody);
  return open(dataKey, iv, tag, body).toString('utf8');
}

export function createSecretBox(keys: Buffer | Keyring): SecretBox {
  const keyring = Buffer.isBuffer(keys) ? keyringOf(keys) : keys;
  return {
    keyring,
    encrypt(plain) {
      const current = keyring.current();
      const dataKey = randomBytes(32);
      const wrapped = seal(current.key, dataKey);
      const sealed = seal(dataKey, Buffer.from(plain, 'utf8'));
      return V2 + [current.id, wrapped.join('.'), ...sealed].join(':');
    },
    decrypt(value) {
      if (value.startsWith(V2)) {
        const [keyId, wrapped, iv, tag, body] = value.slice(V2.length).split(':');
        if (!keyId || !wrapped || !iv || !tag || body === undefined) throw new Error('corrupt sealed value');
        const key = keyring.find(keyId);
        if (!key) throw new UnknownKeyError(keyId);
        return openWith(key.key, wrapped, iv, tag, body);
      }
      if (value.startsWith(V1)) {
        const [wrapped, iv, tag, body] = value.slice(V1.length).split(':');
        if (!wrapped || !iv || !tag || body === undefined) throw new Error('corrupt sealed value');
        for (const key of keyring.keys()) {
          try {
            return openWith(key.key, wrapped, iv, tag, body);
          } catch {
            /* another key of the ring may have sealed it */
          }
        }
        throw new UnknownKeyError(undefined);
      }
      throw new Error('value is not sealed');
    },
    isSealed: (value) => value.startsWith(V2) || value.startsWith(V1),
    keyIdOf: (value) => (value.startsWith(V2) ? value.slice(V2.length, value.indexOf(':', V2.length)) : undefined),
  };
}

/** The LIKE prefix of values sealed under a key (to find the ones a rotation still has to re-seal). */
export function sealedPrefix(keyId: string): string {
  return `${V2}${keyId}:`;
}
