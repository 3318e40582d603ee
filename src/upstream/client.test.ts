import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../security/index.ts';
import { createUpstreamClient, splitUrl } from './client.ts';

describe('splitUrl', () => {
  it('matches the URL parser on the URLs the hub builds', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('http://127.0.0.1:8090', 'https://API-NA.myconnectwise.net', 'https://cw.example.com:443'),
        fc.array(segment, { maxLength: 5 }),
        fc.option(fc.string(), { nil: undefined }),
        (base, segments, conditions) => {
          const url = `${base}/v4_6_release/apis/3.0/${segments.join('/')}${conditions === undefined ? '' : `?conditions=${encodeURIComponent(conditions)}&page=1`}`;
          const parsed = new URL(url);
          expect(splitUrl(url)).toEqual({ origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
        },
      ),
    );
  });

  it('hands unusual forms to the URL parser', () => {
    expect(splitUrl('https://user:pw@cw.example.com/x?y=1')).toEqual({
      origin: 'https://cw.example.com',
      path: '/x?y=1',
    });
    expect(splitUrl('https://cw.example.com')).toEqual({ origin: 'https://cw.example.com', path: '/' });
    expect(splitUrl('https://cw.example.com?a=1')).toEqual({ origin: 'https://cw.example.com', path: '/?a=1' });
  });
});

// A vendor that misbehaves at the socket level (what the simulator cannot do: a Content-Length it does not keep).
describe('upstream client against a misbehaving vendor socket', () => {
  let server: Server;
  let origin = '';
  let connections = 0;
  let answer: (socket: Socket) => void = () => undefined;
  const client = createUpstreamClient({ policy: parseAllowList('127.0.0.1'), timeoutMs: 5_000, ratePerMinute: 60_000 });

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.once('data', () => answer(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.close();
    await new Promise((r) => server.close(r));
  });

  const head = (extra: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}\r\n`;

  it('retries a body shorter than its Content-Length, then fails naming what arrived', async () => {
    answer = (s) => s.end(`${head('Content-Length: 100\r\nConnection: close\r\n')}[{"a":1}`);
    connections = 0;
    const res = await client.send({
      method: 'GET',
      url: `${origin}/x`,
      headers: {},
      deadlineAt: performance.now() + 4_000,
    });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('UPSTREAM_INCOMPLETE');
    expect(res.error.message).toMatch(/cut off \(8 bytes received of 100 announced/);
    expect(res.error.tries).toBe(4);
    expect(connections).toBe(4);
  });

  it('finds a chunked JSON body that ends cleanly but does not close, and never resends a POST', async () => {
    answer = (s) => s.end(`${head('Transfer-Encoding: chunked\r\nConnection: close\r\n')}9\r\n[{"a":"}]\r\n0\r\n\r\n`);
    connections = 0;
    const res = await client.send({ method: 'POST', url: `${origin}/x`, headers: {}, body: '{}' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('UPSTREAM_INCOMPLETE');
    expect(res.error.message).toContain('the JSON does not close');
    expect(connections).toBe(1);
  });

  it('hands on a whole chunked JSON body with its scan', async () => {
    answer = (s) =>
      s.end(`${head('Transfer-Encoding: chunked\r\nConnection: close\r\n')}5\r\n[1,nu\r\n4\r\nll]\n\r\n0\r\n\r\n`);
    const res = await client.send({ method: 'GET', url: `${origin}/x`, headers: {} });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.response.body).toBe('[1,null]\n');
    expect(res.response.scan).toEqual({ complete: true, hasNull: true });
  });

  it('ends a silent call at its deadline, naming the host', async () => {
    answer = () => undefined; // never answers
    const started = performance.now();
    const res = await client.send({ method: 'GET', url: `${origin}/x`, headers: {}, deadlineAt: started + 400 });
    const took = performance.now() - started;
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', deadline: true, host: origin.slice(7) });
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(1_000);
  });
});
