import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleApi, type Reply, routeTemplate } from './api.ts';
import { KeyStore } from './auth.ts';
import { CallbackDispatcher } from './callbacks.ts';
import { Clock } from './clock.ts';
import { CALLBACK_KEY_ID, handleControl } from './control.ts';
import { API_MEMBER, type DataSizes, DEFAULT_SIZES, generateData } from './data/generate.ts';
import { FAULT_SWITCHES, Faults } from './faults.ts';
import { ApiError, errors } from './http/errors.ts';
import { header, parseQuery } from './http/request.ts';
import { CURRENT_VERSION, DEFAULT_FAULTS, DEFAULTS, type SandboxOptions } from './options.ts';
import { PageCache } from './pageCache.ts';
import { loadDatabase, saveDatabase } from './persist.ts';
import type { SandboxConfig, SandboxState } from './state.ts';
import { RequestStats } from './stats.ts';
import { Database } from './store/database.ts';
import { selfSignedCertificate } from './tls.ts';

export interface RunningSandbox {
  httpUrl: string;
  httpsUrl?: string;
  apiBase: string;
  credentials: { company: string; publicKey: string; privateKey: string; clientId: string };
  close(): Promise<void>;
}

const CODEBASE = /^(v4_6_release|v\d{4}_\d+)$/i;

function sizesOf(opts: SandboxOptions): DataSizes {
  const out = { ...DEFAULT_SIZES };
  for (const k of Object.keys(out) as (keyof DataSizes)[]) {
    const v = opts[k];
    if (v !== undefined) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`sandbox option ${k} must be a non-negative integer`);
      out[k] = v;
    }
  }
  return out;
}

function buildDatabase(seed: number, sizes: DataSizes): Database {
  const db = new Database();
  generateData(db, seed, sizes);
  return db;
}

function commonHeaders(state: SandboxState, secure: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    'X-Frame-Options': 'SAMEORIGIN',
    'x-server-name': state.config.serverName,
    'x-cw-request-id': randomUUID(),
    'api-current-version': `${CURRENT_VERSION.major}.${CURRENT_VERSION.minor}`,
  };
  if (secure) h['Strict-Transport-Security'] = 'max-age=31536000';
  return h;
}

function send(res: ServerResponse, reply: Reply, base: Record<string, string>, truncate = false): void {
  const headers: Record<string, string> = { ...base, ...(reply.headers ?? {}) };
  if (reply.status === 204 || (reply.body === undefined && reply.raw === undefined)) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const bytes = reply.raw ?? Buffer.from(JSON.stringify(reply.body), 'utf8');
  headers['Content-Type'] = 'application/json; charset=utf-8';
  if (truncate) {
    // A body cut mid-way, as a dropped upstream connection delivers it.
    const text = bytes.toString('utf8');
    res.writeHead(reply.status, headers);
    res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    return;
  }
  headers['Content-Length'] = String(bytes.length);
  res.writeHead(reply.status, headers);
  res.end(bytes);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function companyInfo(state: SandboxState, company: string, host: string): unknown {
  if (company.toLowerCase() !== state.config.company.toLowerCase()) return null;
  return {
    CompanyName: 'Conduit Sandbox MSP',
    Codebase: 'v4_6_release/',
    VersionCode: `v${CURRENT_VERSION.major}.${CURRENT_VERSION.minor}`,
    VersionNumber: `v4.6.${CURRENT_VERSION.build}`,
    CompanyID: state.config.company,
    IsCloud: false,
    SiteUrl: host,
  };
}

async function route(
  state: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  quiet: boolean,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const qIndex = rawUrl.indexOf('?');
  const path = qIndex < 0 ? rawUrl : rawUrl.slice(0, qIndex);
  const search = qIndex < 0 ? '' : rawUrl.slice(qIndex + 1);
  const host = header(req, 'host') ?? 'localhost';
  const proto = secure ? 'https' : 'http';
  const base = commonHeaders(state, secure);
  const method = (req.method ?? 'GET').toUpperCase();

  if (path === '/_sandbox' || path.startsWith('/_sandbox/')) {
    try {
      send(res, await handleControl(state, req, path), base);
    } catch (e) {
      send(res, e instanceof ApiError ? e : { status: 500, body: { message: (e as Error).message } }, base);
    }
    return;
  }

  const query = parseQuery(search);
  let reply: Reply;
  let statsPath = path;
  let template = `${method} ${path}`;
  let truncate = false;
  try {
    const info = /^\/(?:[^/]+\/)?login\/companyinfo\/([^/]+)\/?$/i.exec(path);
    const api = /^\/([^/]+)\/apis\/3\.0(?:\/(.*))?$/i.exec(path);
    if (info && method === 'GET') {
      reply = { status: 200, body: companyInfo(state, decodeURIComponent(info[1] as string), host) };
    } else if (api && CODEBASE.test(api[1] as string)) {
      const resourcePath = (api[2] ?? '').split('/').filter(Boolean).join('/');
      statsPath = `/${resourcePath}`;
      template = routeTemplate(method, resourcePath);
      const forced = (query.values.get('fault') ?? header(req, 'x-sandbox-fault'))?.toLowerCase();
      const decision = state.faults.decide(
        forced && (FAULT_SWITCHES as readonly string[]).includes(forced) ? forced : undefined,
      );
      if (state.faults.settings.latencyMs > 0) await sleep(state.faults.settings.latencyMs);
      if (decision.kind === 'rateLimited') throw errors.rateLimited(decision.retryAfter);
      if (decision.kind === 'error') throw errors.serverError();
      if (decision.kind === 'timeout') {
        if (state.faults.settings.timeoutDelayMs > 0) await sleep(state.faults.settings.timeoutDelayMs);
        throw errors.timeout();
      }
      truncate = decision.kind === 'truncate';
      const codebase = `${api[1]}/`;
      reply = await handleApi({
        state,
        req,
        resourcePath,
        query,
        apiBase: `${proto}://${host}/${codebase}apis/3.0/`,
        selfUrl: `${proto}://${host}/${codebase}apis/3.0/${resourcePath}`,
      });
    } else {
      throw errors.endpointMissing();
    }
  } catch (e) {
    if (e instanceof ApiError) reply = { status: e.status, body: e.body, headers: e.headers };
    else {
      if (!quiet) console.error('[sandbox] unexpected error', e);
      const err = errors.serverError();
      reply = { status: err.status, body: err.body };
    }
  }
  // Drain an unread request body so keep-alive connections stay usable.
  if (!req.readableEnded) req.resume();
  state.stats.record({
    method,
    path: statsPath,
    route: template,
    query: Object.fromEntries(query.raw.map((p) => [p.name, query.values.get(p.name.toLowerCase()) ?? ''])),
    status: reply.status,
    at: new Date(state.clock.now()).toISOString(),
  });
  send(res, reply, base, truncate && reply.status < 400);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function urlHost(host: string): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

/** Starts the ConnectWise Manage simulator on real HTTP (and optionally HTTPS) listeners. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = opts.host ?? DEFAULTS.host;
  const company = opts.company ?? DEFAULTS.company;
  const publicKey = opts.publicKey ?? DEFAULTS.publicKey;
  const privateKey = opts.privateKey ?? DEFAULTS.privateKey;
  const clientIds = opts.clientIds ?? [DEFAULTS.clientId];
  const seed = opts.seed ?? DEFAULTS.seed;
  const quiet = opts.quiet ?? false;
  const initialFaults = { ...DEFAULT_FAULTS, ...(opts.faults ?? {}) };
  const config: SandboxConfig = {
    company,
    clientIds: clientIds === 'any' ? 'any' : new Set(clientIds.map((c) => c.toLowerCase())),
    clientIdRequired: opts.clientIdRequired ?? true,
    clientIdErrorStatus: opts.clientIdErrorStatus ?? 400,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? DEFAULTS.tokenTtlSeconds,
    serverName: opts.serverName ?? 'conduit-sandbox',
    seed,
    sizes: sizesOf(opts),
    signingKey: createHash('sha256').update(`conduit-sandbox-signing-${seed}`).digest('base64url').slice(0, 32),
    ...(opts.persistFile ? { persistFile: opts.persistFile } : {}),
  };
  const clock = new Clock();
  const keys = new KeyStore(company, opts.companyCaseInsensitive ?? false, clock);
  keys.addKey(publicKey, privateKey, API_MEMBER, 'admin');
  for (const k of opts.apiKeys ?? []) keys.addKey(k.publicKey, k.privateKey, k.member ?? API_MEMBER, k.role ?? 'admin');

  let httpUrl = '';
  let persistTimer: NodeJS.Timeout | undefined;
  const state: SandboxState = {
    config,
    db: (config.persistFile ? loadDatabase(config.persistFile) : undefined) ?? buildDatabase(seed, config.sizes),
    keys,
    faults: new Faults(initialFaults, clock, seed),
    stats: new RequestStats(),
    pages: new PageCache(),
    clock,
    callbacks: undefined as unknown as CallbackDispatcher,
    baseUrl: () => httpUrl,
    reset(change = {}) {
      if (change.seed !== undefined) config.seed = change.seed;
      config.sizes = { ...config.sizes, ...(change.sizes ?? {}) };
      state.db = buildDatabase(config.seed, config.sizes);
      keys.clearTokens();
      state.faults.set(initialFaults);
      state.stats.reset();
      state.callbacks.clear();
      state.changed();
    },
    changed() {
      const file = config.persistFile;
      if (!file || persistTimer) return;
      persistTimer = setTimeout(() => {
        persistTimer = undefined;
        saveDatabase(state.db, file);
      }, 300);
      persistTimer.unref();
    },
  };
  state.callbacks = new CallbackDispatcher(() => state.db, clock, {
    company,
    signingKey: config.signingKey,
    keyUrl: () => `${httpUrl}/_sandbox/callbacks/keys/${CALLBACK_KEY_ID}`,
    fromUrl: () => httpUrl,
    retryDelaysMs: opts.callbackRetryDelaysMs ?? [2000, 4000],
    timeoutMs: opts.callbackTimeoutMs ?? 5000,
    disableAfterMs: opts.callbackDisableAfterMs ?? 3 * 86_400_000,
    urlMode: opts.callbackUrlMode ?? 'cw',
  });

  const handler = (secure: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    route(state, req, res, secure, quiet).catch((e) => {
      if (!quiet) console.error('[sandbox] request failed', e);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const httpServer = createHttpServer({ keepAliveTimeout: 5000 }, handler(false));
  const httpPort = await listen(httpServer, opts.port ?? 0, host);
  httpUrl = `http://${urlHost(host)}:${httpPort}`;
  let httpsServer: Server | undefined;
  let httpsUrl: string | undefined;
  const httpsPort = opts.httpsPort === undefined ? null : opts.httpsPort;
  if (httpsPort !== null) {
    const tls =
      opts.tlsCert && opts.tlsKey ? { cert: opts.tlsCert, key: opts.tlsKey } : await selfSignedCertificate(host);
    httpsServer = createHttpsServer({ cert: tls.cert, key: tls.key, keepAliveTimeout: 5000 }, handler(true));
    const port = await listen(httpsServer, httpsPort, host).catch(async (e) => {
      await new Promise((r) => httpServer.close(r));
      throw e;
    });
    httpsUrl = `https://${urlHost(host)}:${port}`;
  }
  const credentials = {
    company,
    publicKey,
    privateKey,
    clientId: clientIds === 'any' ? DEFAULTS.clientId : (clientIds[0] ?? DEFAULTS.clientId),
  };
  const apiBase = `${httpUrl}/v4_6_release/apis/3.0`;
  if (!quiet) {
    console.log(`ConnectWise Manage sandbox (seed ${config.seed})`);
    console.log(`  HTTP   ${apiBase}`);
    if (httpsUrl)
      console.log(`  HTTPS  ${httpsUrl}/v4_6_release/apis/3.0   (self-signed certificate unless --tls-cert)`);
    console.log(`  companyinfo ${httpUrl}/login/companyinfo/${company}`);
    console.log(`  company ${company}  public key ${publicKey}  private key ${privateKey}`);
    console.log(`  clientId ${clientIds === 'any' ? 'any value' : clientIds.join(', ')}`);
    console.log(`  control ${httpUrl}/_sandbox`);
  }
  let closed = false;
  return {
    httpUrl,
    ...(httpsUrl ? { httpsUrl } : {}),
    apiBase,
    credentials,
    async close() {
      if (closed) return;
      closed = true;
      if (persistTimer) clearTimeout(persistTimer);
      if (config.persistFile) saveDatabase(state.db, config.persistFile);
      const stop = (s: Server) =>
        new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        });
      await Promise.all([stop(httpServer), ...(httpsServer ? [stop(httpsServer)] : [])]);
    },
  };
}
