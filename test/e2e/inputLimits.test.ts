// Hostile input at the HTTP edge, over real sockets: deep JSON, oversized bodies, vendor queries ConnectWise cannot
// take, and secrets that must never reach a log line or a start-up error.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { call, orgAuth, startTestServer } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

const MB = 1024 * 1024;

/** `{"a": [[…]]}` with `depth` levels of objects and arrays in all. */
function nested(depth: number): string {
  return `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

interface Upload {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Sends `total` bytes of JSON-ish filler over a real socket, announced (Content-Length) or chunked. */
function upload(url: string, auth: string, total: number, framing: 'content-length' | 'chunked'): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        authorization: auth,
        'content-type': 'application/json',
        ...(framing === 'content-length' ? { 'content-length': String(total) } : {}),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    const block = Buffer.alloc(MB, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        const piece = block.subarray(0, Math.min(MB, total - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('input limits (hub fixture)', () => {
  let f: HubFixture;
  beforeAll(async () => {
    f = await startHubFixture();
  });
  afterAll(async () => f?.close());

  describe('deeply nested JSON bodies', () => {
    it('answers 400 JSON_TOO_DEEP naming the limit for 10,000 levels on a hub write', async () => {
      const res = await f.hub('POST', '/hubs/crm/contacts', { rawBody: nested(10_000) } as never);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('JSON_TOO_DEEP');
      expect(res.body.field).toBe('body');
      expect(res.body.message).toContain('64');
    });

    it('answers 400 on platform routes too (POST and PATCH /instances)', async () => {
      const post = await call(f.server.base, 'POST', '/instances', { auth: orgAuth(f.org), rawBody: nested(5000) });
      expect(post.status).toBe(400);
      expect(post.body.code).toBe('JSON_TOO_DEEP');
      const patch = await f.platform('PATCH', `/instances/${f.instanceId}`, { rawBody: nested(100) } as never);
      expect(patch.status).toBe(400);
      expect(patch.body.code).toBe('JSON_TOO_DEEP');
    });

    it('accepts 64 levels, and brackets inside strings do not count', async () => {
      const atLimit = await f.hub('POST', '/hubs/crm/contacts?explain=true', { rawBody: nested(64) } as never);
      expect(atLimit.status).toBe(200);
      expect(atLimit.body.method).toBe('POST');
      const over = await f.hub('POST', '/hubs/crm/contacts?explain=true', { rawBody: nested(65) } as never);
      expect(over.status).toBe(400);
      const text = await f.hub('POST', '/hubs/crm/contacts?explain=true', {
        body: { firstName: '['.repeat(500), lastName: '{"'.repeat(200) },
      });
      expect(text.status).toBe(200);
      expect(text.body.body.firstName).toBe('['.repeat(500));
    });
  });

  describe('vendor queries longer than ConnectWise accepts', () => {
    const longIn = `id IN (${Array(3000).fill(1).join(',')})`;

    it('answers 400 QUERY_TOO_LONG naming the limit for a 3,000-item IN list on list, count, explain and pass-through', async () => {
      for (const path of [
        '/hubs/crm/contacts',
        '/hubs/crm/contacts/count',
        '/hubs/crm/contacts?explain=true&pageSize=5',
        '/hubs/crm/contacts/count?explain=true',
        '/hubs/crm/company/companies',
      ]) {
        const res = await f.hub('GET', `${path}${path.includes('?') ? '&' : '?'}where=${encodeURIComponent(longIn)}`);
        expect(res.status, path).toBe(400);
        expect(res.body.code, path).toBe('QUERY_TOO_LONG');
        expect(res.body.field, path).toBe('where');
        expect(res.body.message, path).toMatch(/conditions too long: \d+ characters, ConnectWise accepts 3000/);
      }
    });

    it('still answers a query just under the limit, on a middle page where ConnectWise links four pages', async () => {
      const ids = Array.from({ length: 500 }, (_, i) => i + 1).join(',');
      const query = `pageSize=2&page=2&where=${encodeURIComponent(`id IN (${ids})`)}`;
      const explained = await f.hub('GET', `/hubs/crm/contacts?explain=true&${query}`);
      expect(explained.status).toBe(200);
      const length = new URL(explained.body.url).search.length - 1;
      expect(length).toBeGreaterThan(2800);
      expect(length).toBeLessThanOrEqual(3000);
      const res = await f.hub('GET', `/hubs/crm/contacts?${query}`);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(2);
    });

    it('answers 400 naming `fields` when a long field list alone is too long', async () => {
      const fields = Array(350).fill('firstName').join(',');
      const res = await f.hub('GET', `/hubs/crm/contacts?fields=${fields}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('QUERY_TOO_LONG');
      expect(res.body.field).toBe('fields');
    });
  });

  describe('NUL characters and oversized URLs', () => {
    it('answers 400 naming a NUL in the URL or in a JSON body (no store keeps one)', async () => {
      const inUrl = await f.platform('GET', '/instances/events/%00');
      expect(inUrl.status).toBe(400);
      expect(inUrl.body.field).toBe('url');
      expect(inUrl.body.message).toContain('NUL');
      const inBody = await f.platform('PATCH', `/instances/${f.instanceId}`, {
        rawBody: '{"name":"a\\u0000b"}',
      } as never);
      expect(inBody.status).toBe(400);
      expect(inBody.body.field).toBe('body');
      expect(inBody.body.message).toContain('NUL');
      // An escaped backslash followed by "u0000" is text, not a NUL.
      const text = await f.hub('POST', '/hubs/crm/contacts?explain=true', {
        rawBody: '{"firstName":"a\\\\u0000b","lastName":"B"}',
      } as never);
      expect(text.status).toBe(200);
      expect(text.body.body.firstName).toBe('a\\u0000b');
    });

    it('answers a JSON 431 HEADERS_TOO_LARGE to a 100 KB URL', async () => {
      const res = await f.hub('GET', `/hubs/crm/contacts?where=${'a'.repeat(100_000)}`);
      expect(res.status).toBe(431);
      expect(res.body.code).toBe('HEADERS_TOO_LARGE');
      expect(res.body.message).toContain('16 KB');
      expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=1')).status).toBe(200);
    });
  });

  describe('oversized bodies', () => {
    for (const framing of ['content-length', 'chunked'] as const) {
      it(`answers a readable 413 naming CONDUIT_BODY_LIMIT_MB to a 50 MB upload (${framing})`, async () => {
        const res = await upload(
          `${f.server.base}/hubs/crm/contacts`,
          `User ${f.org.userSecret}, Element ${f.token}`,
          50 * MB,
          framing,
        );
        expect(res.status).toBe(413);
        const body = JSON.parse(res.text);
        expect(body.code).toBe('PAYLOAD_TOO_LARGE');
        expect(body.message).toContain('CONDUIT_BODY_LIMIT_MB');
        expect(body.message).toContain('10 MB');
        expect(body.requestId).toBeTruthy();
        // The server is still up and answering.
        expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=1')).status).toBe(200);
      });
    }

    it('answers a readable 413 on a path that has no route, too', async () => {
      const res = await upload(`${f.server.base}/no/such/route`, orgAuth(f.org), 20 * MB, 'chunked');
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('leaves multipart uploads to the routes that parse them (bulk has its own limit), and 413s them elsewhere', async () => {
      const csv = `firstName,lastName\n${'Ann,Lee\n'.repeat(1_500_000)}`;
      expect(csv.length).toBeGreaterThan(10 * MB);
      const form = () => {
        const data = new FormData();
        data.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
        return data;
      };
      const bulk = await fetch(`${f.server.base}/hubs/crm/bulk/contacts`, {
        method: 'POST',
        headers: { authorization: `User ${f.org.userSecret}, Element ${f.token}` },
        body: form(),
      });
      const bulkText = await bulk.text();
      expect(bulkText).not.toContain('CONDUIT_BODY_LIMIT_MB');
      expect(bulk.status, bulkText).toBeLessThan(500);
      const elsewhere = await fetch(`${f.server.base}/instances`, {
        method: 'POST',
        headers: { authorization: orgAuth(f.org) },
        body: form(),
      });
      expect(elsewhere.status).toBe(413);
      expect(await elsewhere.text()).toContain('CONDUIT_BODY_LIMIT_MB');
    });

    it('accepts a chunked body under the limit', async () => {
      const res = await new Promise<Upload>((resolve, reject) => {
        const req = httpRequest(`${f.server.base}/hubs/crm/contacts?explain=true`, {
          method: 'POST',
          headers: {
            authorization: `User ${f.org.userSecret}, Element ${f.token}`,
            'content-type': 'application/json',
          },
        });
        req.on('response', (r) => {
          let text = '';
          r.on('data', (c: Buffer) => {
            text += c.toString('utf8');
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, text }));
        });
        req.on('error', reject);
        req.write('{"firstName":"Chunked",');
        req.write(`"lastName":"Body","note":"${'x'.repeat(100_000)}"}`);
        req.end();
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).body.firstName).toBe('Chunked');
    });

    it('accepts a body just under the limit (it is then judged on its content)', async () => {
      const filler = ' '.repeat(9 * MB);
      const res = await f.hub('POST', '/hubs/crm/contacts?explain=true', {
        rawBody: `{"firstName":"A","lastName":"B"}${filler}`,
      } as never);
      expect(res.status).toBe(200);
    });
  });
});

describe('input limits (settings and logs)', () => {
  it('honours CONDUIT_BODY_LIMIT_MB', async () => {
    const server = await startTestServer({ env: { CONDUIT_BODY_LIMIT_MB: '1' } });
    try {
      const org = await server.createOrg();
      const res = await upload(`${server.base}/instances`, orgAuth(org), 2 * MB, 'content-length');
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).message).toContain('1 MB');
      const small = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: { name: 'x' } });
      expect(small.status).not.toBe(413);
    } finally {
      await server.close();
    }
  });

  it('never writes a callback token (or other secret query values) into the access log', async () => {
    const logs: string[] = [];
    const server = await startTestServer({ logs });
    try {
      const secret = 'cb-token-7f3a9c1e55d2';
      const res = await call(
        server.base,
        'POST',
        `/events/connectwisecrmrest/1?token=${secret}&Signature=sig-${secret}&page=2`,
        {
          body: { Action: 'updated', Type: 'contact', ID: 1 },
        },
      );
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      await call(server.base, 'GET', `/instances?api_key=${secret}`);
      await new Promise((r) => setTimeout(r, 50));
      const all = logs.join('\n');
      expect(all).toContain('/events/connectwisecrmrest/1?token=[REDACTED]');
      expect(all).toContain('page=2');
      expect(all).not.toContain(secret);
    } finally {
      await server.close();
    }
  });

  it('never echoes the master key or a database password in a configuration error', () => {
    const key = 'not-a-valid-key-but-still-secret!!';
    const problems = (() => {
      try {
        loadConfig({
          CONDUIT_MASTER_KEY: key,
          DATABASE_URL: 'mysql://conduit:hunter2-pw@db.internal/conduit',
          PORT: 'x',
        });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('loadConfig accepted bad settings');
    })();
    expect(problems).toContain('CONDUIT_MASTER_KEY');
    expect(problems).not.toContain(key);
    expect(problems).toContain('DATABASE_URL');
    expect(problems).not.toContain('hunter2');
    expect(problems).toContain('mysql://***@db.internal/conduit');
    expect(problems).toContain('got x');
  });
});
