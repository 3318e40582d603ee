import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAuthHeader } from './authHeader.ts';
import { createSecretBox } from './envelope.ts';

describe('secret envelope', () => {
  const box = createSecretBox(randomBytes(32));
  it('round-trips and never contains the plain text', () => {
    const sealed = box.encrypt('my-private-key');
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain('my-private-key');
    expect(box.decrypt(sealed)).toBe('my-private-key');
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'));
  });
  it('fails on tampering and on another master key', () => {
    const sealed = box.encrypt('value');
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
    expect(() => box.decrypt(tampered)).toThrow();
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow();
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
