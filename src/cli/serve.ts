import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../config/index.ts';
import { buildApp, type RoutePlugin } from '../http/index.ts';
import { bootstrapIfEmpty } from '../platform/index.ts';
import { createLogger, openRuntime, type Runtime } from './runtime.ts';

/** Capabilities register their routes and background workers here (hub, events, console). */
export interface Capability {
  plugins?: (runtime: Runtime) => RoutePlugin[];
  rootPlugins?: (runtime: Runtime) => RoutePlugin[];
  start?: (runtime: Runtime, app: FastifyInstance) => Promise<() => Promise<void>>;
}

export const capabilities: Capability[] = [];

export interface Server {
  app: FastifyInstance;
  runtime: Runtime;
  url: string;
  close(): Promise<void>;
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
  const created = config.CONDUIT_BOOTSTRAP ? await bootstrapIfEmpty(runtime.deps.store) : undefined;
  await app.listen({ host: config.HOST, port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  const stops: Array<() => Promise<void>> = [];
  for (const c of capabilities) if (c.start) stops.push(await c.start(runtime, app));
  const print = opts.print ?? ((s: string) => process.stdout.write(`${s}\n`));
  print(`Conduit API: ${url}/elements/api-v2 (store: ${runtime.deps.store.dialect})`);
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
    async close() {
      for (const stop of stops.reverse()) await stop();
      await app.close();
      await runtime.close();
    },
  };
}
