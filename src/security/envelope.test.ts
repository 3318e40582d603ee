import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAuthHeader } from './authHeader.ts';
import { createSecretBox, UnknownKeyError } from './envelope.ts';
import { findKeyring, keyIdOf, keyringOf, writeKeyFile } from './masterKey.ts';

/** A value in the enc:v1 format (no key id) as stores written before key checks hold them. */
function sealV1(masterKey: Buffer, plain: string): string {
  const part = (key: Buffer, data: Buffer) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([c.update(data), c.final()]);
    return [iv, c.getAuthTag(), body].map((b) => b.toString('base64url'));
  };
  const dataKey = randomBytes(32);
  return `enc:v1:${[part(masterKey, dataKey).join('.'), ...part(dataKey, Buffer.from(plain))].join(':')}`;
}

describe('secret envelope', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);
  it('round-trips, names its key by id and never contains the plain text', () => {
    const sealed = box.encrypt('my-private-key');
    expect(sealed.startsWith(`enc:v2:${keyIdOf(key)}:`)).toBe(true);
    expect(keyIdOf(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(sealed).not.toContain('my-private-key');
    expect(box.decrypt(sealed)).toBe('my-private-key');
    expect(box.keyIdOf(sealed)).toBe(keyIdOf(key));
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'));
  });
  it('fails on tampering and on another master key', () => {
    const sealed = box.encrypt('value');
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
    expect(() => box.decrypt(tampered)).toThrow();
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow(UnknownKeyError);
  });
  it('still opens enc:v1 values (no key id) with any key of the ring', () => {
    const old = randomBytes(32);
    const ring = createSecretBox(keyringOf(randomBytes(32), old));
    expect(ring.decrypt(sealV1(old, 'legacy'))).toBe('legacy');
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealV1(old, 'legacy'))).toThrow(UnknownKeyError);
  });
  it('opens values sealed under any key of the ring, seals under the first', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const ring = createSecretBox(keyringOf(b, a));
    expect(ring.decrypt(createSecretBox(a).encrypt('under a'))).toBe('under a');
    expect(ring.keyIdOf(ring.encrypt('x'))).toBe(keyIdOf(b));
  });
});

describe('key file keyring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('re-reads its file for an unknown key id and for sealing, so a running server learns a rotated key', () => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    writeFileSync(join(dir, 'master.key'), `${k1.toString('base64')}\n`);
    const ring = findKeyring({ dataDir: dir })!;
    const box = createSecretBox(ring);
    expect(ring.current().id).toBe(keyIdOf(k1));
    writeKeyFile(join(dir, 'master.key'), [k2, k1]);
    expect(box.decrypt(createSecretBox(k2).encrypt('new'))).toBe('new');
    expect(box.keyIdOf(box.encrypt('sealed now'))).toBe(keyIdOf(k2));
    expect(box.decrypt(createSecretBox(k1).encrypt('old'))).toBe('old');
  });
  it('takes CONDUIT_MASTER_KEY first and CONDUIT_MASTER_KEY_PREVIOUS as readable keys', () => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const ring = findKeyring({ dataDir: dir, current: k2.toString('hex'), previous: k1.toString('base64') })!;
    expect(ring.source).toBe('CONDUIT_MASTER_KEY');
    expect(ring.keys().map((k) => k.id)).toEqual([keyIdOf(k2), keyIdOf(k1)]);
    expect(() => findKeyring({ dataDir: dir, current: k2.toString('hex'), previous: 'short' })).toThrow(
      /CONDUIT_MASTER_KEY_PREVIOUS must encode exactly 32 bytes/,
    );
  });
});

describe('Authorization header', () => {
  it('accepts parts in any order and the three-part form', () => {
    expect(parseAuthHeader('Organization o, User u')).toEqual({ ok: true, parts: { organization: 'o', user: 'u' } });
    expect(parseAuthHeader('Element t , User u, Organization o')).toEqual({
      ok: true,
      parts: { element: 't', user: 'u', organization: 'o' },
    });
  });
  it.each([undefined, '', 'Bearer x', 'User', 'User a, User b'])('refuses %s', (h) => {
    expect(parseAuthHeader(h).ok).toBe(false);
  });
});
