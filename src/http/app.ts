// buildApp(deps) returns the Fastify app without listening; the CLI's `serve` listens.
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify';
import { AppFailure, appError } from '../errors/index.ts';
import type { PlatformDeps } from '../platform/index.ts';
import { resolvePrincipal } from './auth.ts';
import { registerBodyLimits } from './bodyLimits.ts';
import { answerClientError, errorHandler, sendError } from './errors.ts';
import { lazyChildLogger, newRequestId } from './requestLog.ts';
import { authenticationRoutes } from './routes/authentication/index.ts';
import { elementRoutes } from './routes/elements/index.ts';
import { healthRoutes } from './routes/health.ts';
import { hubAddressedUrl } from './routes/hub/addressing.ts';
import { instanceRoutes } from './routes/instances/index.ts';
import { meRoutes } from './routes/me/index.ts';

export const API_PREFIX = '/elements/api-v2';

export const EXPOSED_HEADERS = [
  'Elements-Returned-Count',
  'Elements-Total-Count',
  'Elements-Request-Id',
  'Elements-Next-Page-Token',
  'Elements-Trace-Id',
  'Elements-Error',
  'Content-Disposition',
  'Elements-Element-Instance-Id',
  'Retry-After',
];

/** Every method the API has; a browser's preflight for any of them is allowed. */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The request headers clients send, plus any Elements-* header a preflight asks for (Elements-Version, …). */
export function corsAllowedHeaders(requested: string | undefined): string[] {
  const allowed = ['Authorization', 'Content-Type', 'Idempotency-Key'];
  for (const name of (requested ?? '').split(',')) {
    const header = name.trim();
    if (/^elements-[a-z0-9-]+$/i.test(header)) allowed.push(header);
  }
  return allowed;
}

/** Paths of every log object that could carry a secret; pino replaces them with [REDACTED]. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*["private.key"]',
  '*.configuration["private.key"]',
  '*.organizationSecret',
  '*.userSecret',
];

/** Route modules that other capabilities contribute (hub, events, console), mounted under the API prefix. */
export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export interface AppOptions {
  deps: PlatformDeps;
  /** A pino logger (with secret redaction); none means silent. */
  logger?: FastifyBaseLogger;
  plugins?: RoutePlugin[];
  /** Registered at the root (outside /elements/api-v2), e.g. the console's static files. */
  rootPlugins?: RoutePlugin[];
}

/** What the bad-input suite (and docs) need to know of a route: collected as the app registers it. */
export interface RouteInfo {
  method: string;
  url: string;
  schema?: FastifySchema;
  auth?: string;
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route the app registered (HEAD twins excluded). */
export function routesOf(app: FastifyInstance): readonly RouteInfo[] {
  return routeTables.get(app) ?? [];
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = Math.floor(options.deps.config.CONDUIT_BODY_LIMIT_MB * 1024 * 1024);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    genReqId: newRequestId,
    childLoggerFactory: lazyChildLogger,
    bodyLimit,
    clientErrorHandler: answerClientError,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Bare object paths (`/contacts`) with an Element token reach the hub (docs/hub.md, PLATFORM_ROUTE_NAMES).
    rewriteUrl: (req) => hubAddressedUrl(API_PREFIX, req.url ?? '/', req.headers.authorization),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Query strings and params are text, so coerce them; JSON bodies are typed, so a string is never an array.
  const coercing = new Ajv({ coerceTypes: 'array', allErrors: true, useDefaults: true, strict: false });
  const strict = new Ajv({ coerceTypes: false, allErrors: true, useDefaults: true, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));

  // First, so that every route (the CORS preflight included) renders its errors here.
  app.setErrorHandler(errorHandler);
  const routes: RouteInfo[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, schema: route.schema, auth: route.config?.auth });
    }
  });
  registerBodyLimits(app, bodyLimit);

  // Callback style: no promise per request for a hook that never waits.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('Elements-Request-Id', request.id);
    // A NUL can reach a URL only percent-encoded; no store keeps it (PostgreSQL text refuses it), so refuse it here.
    if (request.url.includes('%00')) {
      return done(
        new AppFailure(appError('INVALID_PARAMETER', 'The URL contains a NUL character (%00)', { field: 'url' })),
      );
    }
    done();
  });
  // Not strict: an OPTIONS without Origin is no preflight and gets the plain 204, never a text/plain 400.
  const corsOptions = {
    origin: true,
    methods: CORS_METHODS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    strictPreflight: false,
  };
  await app.register(cors, {
    // Per request, because Access-Control-Allow-Headers has no prefix wildcard for the Elements-* headers.
    delegator: (request, callback) =>
      callback(null, {
        ...corsOptions,
        allowedHeaders: corsAllowedHeaders(request.headers['access-control-request-headers']),
      }),
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, appError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );

  await app.register(healthRoutes(options.deps));
  await app.register(
    async (api) => {
      api.addHook('preHandler', async (request) => resolvePrincipal(options.deps, request));
      await api.register(instanceRoutes(options.deps));
      await api.register(elementRoutes(options.deps));
      await api.register(authenticationRoutes(options.deps));
      await api.register(meRoutes(options.deps));
      for (const plugin of options.plugins ?? []) await api.register(plugin);
    },
    { prefix: API_PREFIX },
  );
  for (const plugin of options.rootPlugins ?? []) await app.register(plugin);
  return app;
}
