// The console: serves the built single-page app (dist/web) at `/`, with client routes falling back to
// index.html, and tells the console's "Sandbox" button about an in-process simulator (`serve --sandbox`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppFailure, appError } from '../../errors/index.ts';
import { API_PREFIX, errorResponses, type RoutePlugin } from '../../http/index.ts';
import { getSandboxInfo } from '../sandboxInfo.ts';
import { capabilities } from '../serve.ts';

/** Where `npm run build:web` writes the console (repository root, dist/web). */
export const consoleDir = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

// The console only talks to this server: no external scripts, fonts or API calls are allowed by the browser either.
const CONSOLE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conduit console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>The Conduit console has not been built</h1>
<p>Run <code>npm run build:web</code> (or <code>npm ci</code>, which runs it) and reload this page.</p>
<p>The API works without the console: <code>${API_PREFIX}</code>.</p>
</body></html>`;

const SandboxInfoObject = Type.Object({
  apiBase: Type.String(),
  company: Type.String(),
  publicKey: Type.String(),
  privateKey: Type.String(),
  clientId: Type.String(),
});

/** GET /elements/api-v2/sandbox: the in-process simulator's URL and credentials, or 404 when there is none. */
const sandboxRoute: RoutePlugin = async (app) => {
  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .get('/sandbox', { schema: { response: { 200: SandboxInfoObject, ...errorResponses } } }, async () => {
      const info = getSandboxInfo();
      if (!info)
        throw new AppFailure(
          appError('NOT_FOUND', 'This server runs without a sandbox (start it with: conduit serve --sandbox)'),
        );
      return info;
    });
};

const hasExtension = (path: string) => /\.[a-z0-9]+$/i.test(path);

/** The console at `/`: files from dist/web, index.html for client routes, a clear page when not built. */
export function consolePlugin(dir: string = consoleDir): RoutePlugin {
  return async (app) => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      app.log.warn(`The console is not built (${index} is missing): run npm run build:web`);
    }
    // serve: false — only reply.sendFile; routing stays ours so API paths keep their JSON 404.
    await app.register(fastifyStatic, { root: dir, serve: false });

    const serveConsole = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = decodeURIComponent(new URL(request.url, 'http://console').pathname);
      if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) return reply.callNotFound();
      if (!existsSync(index))
        return reply.code(503).header('cache-control', 'no-store').type('text/html').send(NOT_BUILT_PAGE);
      reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
      if (hasExtension(path) && path !== '/index.html') {
        // Vite names built assets by content hash, so they never change under the same name.
        const immutable = path.startsWith('/assets/');
        return reply.sendFile(path.slice(1), { maxAge: immutable ? '365d' : 0, immutable });
      }
      reply
        .header('content-security-policy', CONSOLE_CSP)
        .header('x-frame-options', 'DENY')
        .header('cache-control', 'no-cache');
      return reply.sendFile('index.html', { maxAge: 0, cacheControl: false, lastModified: false, etag: false });
    };
    app.get('/', serveConsole);
    app.get('/*', serveConsole);
  };
}

capabilities.push({
  plugins: () => [sandboxRoute],
  rootPlugins: () => [consolePlugin()],
});
