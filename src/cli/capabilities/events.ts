// Events capability: the event routes, and the poller and dispatcher loops of this process.
import { installEvents, startEventWorkers } from '../../events/index.ts';
import { eventRoutes } from '../../http/routes/events/index.ts';
import { capabilities } from '../serve.ts';

installEvents();

capabilities.push({
  plugins: (runtime) => [eventRoutes(runtime.deps)],
  async start(runtime, app) {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : runtime.deps.config.PORT;
    const host = runtime.deps.config.HOST.includes(':') ? `[${runtime.deps.config.HOST}]` : runtime.deps.config.HOST;
    const workers = await startEventWorkers(runtime.deps, {
      publicBase: runtime.deps.config.CONDUIT_PUBLIC_URL ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      log: (msg, extra) => app.log.warn(extra ?? {}, msg),
    });
    return (opts) => workers.stop(opts);
  },
});
