import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicAddresses, ssrfAddresses, ssrfCorpus } from '../../test/e2e/ssrf.corpus.ts';
import { checkOutboundUrl, guardedConnector, isPrivateAddress, parseAllowList } from './outboundPolicy.ts';

const none = parseAllowList('');
const publicResolver = async () => ['93.184.216.34'];

describe('outbound URL policy', () => {
  // The real resolver: names come from /etc/hosts (vm, runsc → 127.0.0.1); unresolvable names are refused too.
  it.each(ssrfCorpus())('refuses %s', async (url) => {
    const r = await checkOutboundUrl(none, url);
    expect(r.ok).toBe(false);
  });

  it.each(ssrfAddresses)('refuses a name that resolves to %s', async (address) => {
    const r = await checkOutboundUrl(none, 'https://evil.example.com/x', async () => [address]);
    expect(r).toEqual({ ok: false, reason: 'resolves to a private or loopback address' });
  });

  it('refuses a name when any one of its addresses is private', async () => {
    const r = await checkOutboundUrl(none, 'https://evil.example.com/x', async () => ['8.8.8.8', '::ffff:7f00:1']);
    expect(r.ok).toBe(false);
  });

  it('accepts a public https host', async () => {
    const r = await checkOutboundUrl(none, 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0', publicResolver);
    expect(r.ok).toBe(true);
    expect((await checkOutboundUrl(none, 'https://[2606:4700::1111]/x')).ok).toBe(true);
    expect((await checkOutboundUrl(none, 'https://8.8.8.8/x')).ok).toBe(true);
  });

  it('allow-listed host:port may use http and a loopback address; other ports stay refused', async () => {
    const allow = parseAllowList('127.0.0.1:8090');
    expect((await checkOutboundUrl(allow, 'http://127.0.0.1:8090/v4_6_release/apis/3.0')).ok).toBe(true);
    expect((await checkOutboundUrl(allow, 'http://127.0.0.1:9999/x')).ok).toBe(false);
    expect((await checkOutboundUrl(allow, 'http://[::ffff:127.0.0.1]:9999/x')).ok).toBe(false);
  });

  it('allow-listed CIDR covers resolved addresses, in every IPv6 form of the same IPv4 address', async () => {
    const allow = parseAllowList('10.0.0.0/8');
    expect((await checkOutboundUrl(allow, 'https://cw.internal.corp/x', async () => ['10.2.3.4'])).ok).toBe(true);
    expect((await checkOutboundUrl(allow, 'https://cw.corp/x', async () => ['::ffff:10.2.3.4'])).ok).toBe(true);
    expect((await checkOutboundUrl(allow, 'https://cw.internal.corp/x', async () => ['192.168.0.1'])).ok).toBe(false);
    expect((await checkOutboundUrl(allow, 'https://cw.corp/x', async () => ['2002:a02:304::1'])).ok).toBe(false);
  });

  it('rejects malformed allow-list entries', () => {
    expect(() => parseAllowList('10.0.0.0/xx')).toThrow(/CONDUIT_UPSTREAM_ALLOW/);
  });

  it.each(ssrfAddresses)('classifies %s as refused', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(publicAddresses)('classifies %s as public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('outbound connections (the policy at connect time)', () => {
  let target: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    port = (target.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => target.close(() => r())));

  async function attempt(allow: string, origin: string): Promise<string> {
    const agent = new Agent({ connect: guardedConnector(parseAllowList(allow), { timeout: 2_000 }) });
    try {
      const res = await agent.request({ origin, path: '/', method: 'GET' });
      return await res.body.text();
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string } };
      return e.code ?? e.cause?.code ?? String(err);
    } finally {
      await agent.close();
    }
  }

  it.each([
    ['an IPv4 literal', (p: number) => `http://127.0.0.1:${p}`],
    ['an IPv4-mapped IPv6 literal', (p: number) => `http://[::ffff:127.0.0.1]:${p}`],
    ['a name from /etc/hosts', (p: number) => `http://vm:${p}`],
    ['localhost', (p: number) => `http://localhost:${p}`],
  ])('refuses %s that points at loopback before any byte is sent', async (_label, url) => {
    const before = hits;
    expect(await attempt('', url(port))).toBe('EUPSTREAMPOLICY');
    expect(hits).toBe(before);
  });

  it('refuses a loopback address allow-listed on another port only', async () => {
    expect(await attempt(`127.0.0.1:${port + 1}`, `http://127.0.0.1:${port}`)).toBe('EUPSTREAMPOLICY');
  });

  it('connects when host:port, the name or a CIDR is allow-listed', async () => {
    expect(await attempt(`127.0.0.1:${port}`, `http://127.0.0.1:${port}`)).toBe('reached');
    expect(await attempt('127.0.0.0/8', `http://[::ffff:127.0.0.1]:${port}`)).toBe('reached');
    expect(await attempt('127.0.0.0/8', `http://vm:${port}`)).toBe('reached');
    expect(await attempt(`vm:${port}`, `http://vm:${port}`)).toBe('reached');
  });
});
