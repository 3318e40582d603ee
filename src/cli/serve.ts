import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../config/index.ts';
import { buildApp, type RoutePlugin } from '../http/index.ts';
import { bootstrapIfEmpty } from '../platform/index.ts';
import { createLogger, openRuntime, type Runtime } from './runtime.ts';
import { listenProblem, StartupFailure } from './startup.ts';

/** Capabilities register their routes and background workers here (hub, events, console). */
export interface Capability {
  plugins?: (runtime: Runtime) => RoutePlugin[];
  rootPlugins?: (runtime: Runtime) => RoutePlugin[];
  /** Returns the worker's stop; `deadline` (epoch ms) is when the process will exit regardless. */
  start?: (runtime: Runtime, app: FastifyInstance) => Promise<(opts?: { deadline?: number }) => Promise<void>>;
}

export const capabilities: Capability[] = [];

export interface Server {
  app: FastifyInstance;
  runtime: Runtime;
  url: string;
  /** Stops accepting, lets in-flight requests finish, stops the workers, then closes the store. */
  close(opts?: { deadline?: number }): Promise<void>;
}

export async function startServer(
  config: Config = loadConfig(),
  opts: { print?: (s: string) => void; pgSchema?: string; logStream?: import('pino').DestinationStream } = {},
): Promise<Server> {
  const runtime = await openRuntime(config, { pgSchema: opts.pgSchema });
  const logger = createLogger(config, opts.logStream);
  const app = await buildApp({
    deps: runtime.deps,
    logger,
    plugins: capabilities.flatMap((c) => c.plugins?.(runtime) ?? []),
    rootPlugins: capabilities.flatMap((c) => c.rootPlugins?.(runtime) ?? []),
  });
  const created = config.CONDUIT_BOOTSTRAP ? await bootstrapIfEmpty(runtime.deps.store, runtime.deps.box) : undefined;
  try {
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (e) {
    const problem = listenProblem(e, config.HOST, config.PORT);
    await app.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    throw problem ? new StartupFailure(problem) : e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  const stops: Array<(opts?: { deadline?: number }) => Promise<void>> = [];
  for (const c of capabilities) if (c.start) stops.push(await c.start(runtime, app));
  const print = opts.print ?? ((s: string) => process.stdout.write(`${s}\n`));
  print(`Conduit API: ${url}/elements/api-v2 (store: ${runtime.deps.store.dialect})`);
  print(`Console:     ${url}/`);
  if (!created) {
    // The secrets were printed once, at the first start; every later start says how to get new ones.
    print(
      'Secrets are shown only when created. New ones: npx conduit org create --name <name>   or   npx conduit user create --org <id>',
    );
  }
  if (created) {
    print('Created the default organization. These secrets are shown once; keep them:');
    print(`  Organization secret: ${created.organizationSecret}`);
    print(`  User secret:         ${created.userSecret}`);
    print(`  Authorization: User ${created.userSecret}, Organization ${created.organizationSecret}`);
    print('  New ones: npx conduit org create --name <name>   or   npx conduit user create --org <id>');
  }
  return {
    app,
    runtime,
    url,
    async close(closeOpts = {}) {
      // Stop accepting at once; a request arriving on an open keep-alive socket gets 503 and Connection: close.
      const drained = app.close();
      // server.close() ends only the sockets idle at that moment; one whose request finishes later would stay
      // open for the keep-alive timeout (72 s), so keep closing the idle ones until the server is closed.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await Promise.all([
          drained,
          (async () => {
            for (const stop of stops.reverse()) await stop(closeOpts);
          })(),
        ]);
      } finally {
        clearInterval(reaper);
      }
      await runtime.close();
    },
  };
}

/**
 * Runs until SIGTERM/SIGINT (or, under npm, until npm's shell is gone): then closes gracefully and exits 0.
 * What is still open `graceMs` after the signal — or at a second signal — is cut, and the exit code is 1.
 */
export function closeOnSignals(
  server: Server,
  opts: { graceMs: number; watchParent?: boolean; alsoClose?: () => Promise<void> },
): void {
  let closing = false;
  const exit = (code: number) => {
    // stdout/stderr writes to pipes and files are synchronous here; pino flushes on exit itself.
    process.exit(code);
  };
  const force = (why: string) => {
    process.stderr.write(`conduit: ${why}; closing open connections and exiting\n`);
    server.app.server.closeAllConnections();
    exit(1);
  };
  const begin = (why: string, isSignal: boolean) => {
    if (closing) {
      if (isSignal) force(`${why} again while stopping`);
      return;
    }
    closing = true;
    // The reader of our output may be gone already (npm exited): a failed write must not crash the drain.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
    process.stdout.write(`Conduit: ${why}; stopping (at most ${opts.graceMs} ms, CONDUIT_SHUTDOWN_GRACE_MS)\n`);
    setTimeout(() => force(`still busy ${opts.graceMs} ms after ${why} (CONDUIT_SHUTDOWN_GRACE_MS)`), opts.graceMs);
    server
      .close({ deadline: Date.now() + opts.graceMs })
      .then(() => opts.alsoClose?.())
      .then(
        () => exit(0),
        (e: Error) => {
          process.stderr.write(`conduit: stopping failed: ${e.message}\n`);
          exit(1);
        },
      );
  };
  process.on('SIGTERM', () => begin('SIGTERM', true));
  process.on('SIGINT', () => begin('SIGINT', true));
  if (opts.watchParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) begin('the parent process (npm) exited', false);
    }, 250).unref();
  }
}
