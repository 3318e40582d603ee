// Serving the console when it has not been built: a clear page, not a crash; the API keeps working.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { consolePlugin } from '../../src/cli/capabilities/web.ts';

describe('console static serving', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-web-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers "run npm run build:web" when dist/web is missing, and never shadows the API', async () => {
    const app = Fastify();
    await app.register(consolePlugin(join(dir, 'missing')));
    const home = await app.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(503);
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.body).toContain('npm run build:web');
    expect((await app.inject({ method: 'GET', url: '/instances/3' })).body).toContain('npm run build:web');
    expect((await app.inject({ method: 'GET', url: '/elements/api-v2/whatever' })).statusCode).toBe(404);
    await app.close();
  });

  it('serves files, falls back to index.html for client routes, refuses to leave its folder', async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(join(tmpdir(), 'conduit-secret.txt'), 'secret');
    const app = Fastify();
    await app.register(consolePlugin(dir));
    const route = await app.inject({ method: 'GET', url: '/instances/3/docs' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('id="root"');
    expect(route.headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ method: 'GET', url: '/favicon.svg' })).body).toBe('<svg/>');
    expect((await app.inject({ method: 'GET', url: '/missing.png' })).statusCode).toBe(404);
    const outside = await app.inject({ method: 'GET', url: '/..%2Fconduit-secret.txt' });
    expect(outside.body).not.toContain('secret');
    await app.close();
    rmSync(join(tmpdir(), 'conduit-secret.txt'), { force: true });
  });
});
