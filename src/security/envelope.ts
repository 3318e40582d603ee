// AES-256-GCM envelope for secrets at rest. Each value gets a fresh data key wrapped by the master key,
// so rotating the master key only rewraps data keys. Format: enc:v1:<wrappedKey>:<iv>:<tag>:<ciphertext> (base64url).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';

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

export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  isSealed(value: string): boolean;
}

export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  return {
    encrypt(plain) {
      const dataKey = randomBytes(32);
      const wrapped = seal(masterKey, dataKey);
      const sealed = seal(dataKey, Buffer.from(plain, 'utf8'));
      return PREFIX + [wrapped.join('.'), ...sealed].join(':');
    },
    decrypt(value) {
      if (!value.startsWith(PREFIX)) throw new Error('value is not sealed');
      const [wrapped, iv, tag, body] = value.slice(PREFIX.length).split(':');
      const [wiv, wtag, wbody] = (wrapped ?? '').split('.');
      if (!iv || !tag || body === undefined || !wiv || !wtag || wbody === undefined)
        throw new Error('corrupt sealed value');
      const dataKey = open(masterKey, wiv, wtag, wbody);
      return open(dataKey, iv, tag, body).toString('utf8');
    },
    isSealed: (value) => value.startsWith(PREFIX),
  };
}
