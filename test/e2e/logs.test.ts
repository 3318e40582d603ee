// Log format (LOG_FORMAT json|pretty|auto), probes at debug, and X-Request-Id honoured and echoed, over real HTTP.
import { describe, expect, it } from 'vitest';
import { chooseLogFormat } from '../../src/cli/runtime.ts';
import { call, startTestServer } from '../helpers/server.ts';

const parsed = (lines: string[]) =>
  lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('LOG_FORMAT', () => {
  it('auto is pretty on a terminal and JSON otherwise; json and pretty are taken as set', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('json: one JSON object per line with the request id', async () => {
    const logs: string[] = [];
    const server = await startTestServer({ logs, env: { LOG_FORMAT: 'json' } });
    try {
      const res = await call(server.base, 'GET', '/no/such/path');
      expect(res.status).toBe(404);
      const completed = parsed(logs).find((l) => l.msg === 'request completed');
      expect(completed?.reqId).toBe(res.headers.get('elements-request-id'));
      expect(completed?.level).toBe(30);
    } finally {
      await server.close();
    }
  });

  it('pretty: readable lines, no JSON, secrets still redacted', async () => {
    const logs: string[] = [];
    const server = await startTestServer({ logs, env: { LOG_FORMAT: 'pretty' } });
    try {
      await call(server.base, 'GET', '/instances', { auth: 'User s3cr3t-user, Organization s3cr3t-org' });
      const text = logs.join('');
      expect(text).toMatch(/INFO.*request completed/);
      expect(text).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
      expect(parsed(logs)).toEqual([]);
      expect(text).not.toContain('s3cr3t');
    } finally {
      await server.close();
    }
  });
});

describe('probes and request ids', () => {
  it('health, readiness and metrics requests are logged at debug, other requests at info', async () => {
    const info: string[] = [];
    const server = await startTestServer({ logs: info, env: { LOG_FORMAT: 'json' } });
    const debug: string[] = [];
    const verbose = await startTestServer({ logs: debug, env: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' } });
    try {
      for (const s of [server, verbose]) {
        for (const path of ['/healthz', '/readyz', '/metrics', '/metrics?x=1']) {
          expect((await fetch(`${s.url}${path}`)).status).toBe(200);
        }
        await call(s.base, 'GET', '/nothing-here');
      }
      const urls = (lines: string[], level: number) =>
        parsed(lines)
          .filter((l) => l.msg === 'incoming request' && l.level === level)
          .map((l) => (l.req as { url: string }).url);
      expect(urls(info, 30)).toEqual(['/elements/api-v2/nothing-here']);
      expect(urls(debug, 20)).toEqual(['/healthz', '/readyz', '/metrics', '/metrics?x=1']);
      expect(urls(debug, 30)).toEqual(['/elements/api-v2/nothing-here']);
    } finally {
      await server.close();
      await verbose.close();
    }
  });

  it('a valid X-Request-Id is used and echoed as Elements-Request-Id; an invalid one gets a fresh id', async () => {
    const logs: string[] = [];
    const server = await startTestServer({ logs, env: { LOG_FORMAT: 'json' } });
    try {
      const given = 'edge-proxy:7f3a.42_b-1';
      const res = await call(server.base, 'GET', '/nothing', { headers: { 'x-request-id': given } });
      expect(res.headers.get('elements-request-id')).toBe(given);
      expect(res.body.requestId).toBe(given);
      expect(
        parsed(logs)
          .filter((l) => l.reqId === given)
          .map((l) => l.msg),
      ).toEqual(['incoming request', 'request completed']);
      for (const bad of ['x'.repeat(129), 'has space', 'semi;colon', 'quote"d']) {
        const r = await call(server.base, 'GET', '/nothing', { headers: { 'x-request-id': bad } });
        expect(r.headers.get('elements-request-id')).toMatch(/^[0-9a-f]{24}$/);
      }
      const longest = 'a'.repeat(128);
      const r = await call(server.base, 'GET', '/nothing', { headers: { 'x-request-id': longest } });
      expect(r.headers.get('elements-request-id')).toBe(longest);
    } finally {
      await server.close();
    }
  });
});
