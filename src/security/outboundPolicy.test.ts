import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, isPrivateAddress, parseAllowList } from './outboundPolicy.ts';

const none = parseAllowList('');
const publicResolver = async () => ['93.184.216.34'];

describe('outbound URL policy', () => {
  it.each([
    'https://127.0.0.1/v4_6_release/apis/3.0',
    'https://localhost/v4_6_release/apis/3.0',
    'https://10.1.2.3/x',
    'https://172.16.0.1/x',
    'https://192.168.1.1/x',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/x',
    'https://0.0.0.0/x',
    'https://[::1]/x',
    'https://[fe80::1]/x',
    'https://[fd00::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://2130706433/x',
    'https://0177.0.0.1/x',
    'https://0x7f.0.0.1/x',
    'https://127.1/x',
    'http://api-na.myconnectwise.net/v4_6_release/apis/3.0',
    'ftp://api-na.myconnectwise.net/x',
    'https://user:pw@api-na.myconnectwise.net/x',
    'not a url',
  ])('refuses %s', async (url) => {
    const r = await checkOutboundUrl(none, url, publicResolver);
    expect(r.ok).toBe(false);
  });

  it('refuses a public-looking host that resolves to a private address', async () => {
    const r = await checkOutboundUrl(none, 'https://evil.example.com/x', async () => ['10.0.0.5']);
    expect(r).toEqual({ ok: false, reason: 'resolves to a private or loopback address' });
  });

  it('accepts a public https host', async () => {
    const r = await checkOutboundUrl(none, 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0', publicResolver);
    expect(r.ok).toBe(true);
  });

  it('allow-listed host:port may use http and a loopback address; other ports stay refused', async () => {
    const allow = parseAllowList('127.0.0.1:8090');
    expect((await checkOutboundUrl(allow, 'http://127.0.0.1:8090/v4_6_release/apis/3.0')).ok).toBe(true);
    expect((await checkOutboundUrl(allow, 'http://127.0.0.1:9999/x')).ok).toBe(false);
  });

  it('allow-listed CIDR covers resolved addresses', async () => {
    const allow = parseAllowList('10.0.0.0/8');
    expect((await checkOutboundUrl(allow, 'https://cw.internal.corp/x', async () => ['10.2.3.4'])).ok).toBe(true);
    expect((await checkOutboundUrl(allow, 'https://cw.internal.corp/x', async () => ['192.168.0.1'])).ok).toBe(false);
  });

  it('rejects malformed allow-list entries', () => {
    expect(() => parseAllowList('10.0.0.0/xx')).toThrow(/CONDUIT_UPSTREAM_ALLOW/);
  });

  it('classifies addresses', () => {
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('2606:4700::1111')).toBe(false);
    expect(isPrivateAddress('127.0.0.53')).toBe(true);
  });
});
