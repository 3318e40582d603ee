// Bulk capability: the /hubs/{hub}/bulk routes, and this node's bulk runner (jobs, callbacks, retention).
import { bulkRunner, setBulkRunner, startBulkRunner } from '../../bulk/index.ts';
import { bulkRoutes } from '../../http/routes/bulk/index.ts';
import { capabilities } from '../serve.ts';

capabilities.push({
  plugins: (runtime) => [bulkRoutes(runtime.deps)],
  async start(runtime, app) {
    const runner = await startBulkRunner(runtime.deps, { log: (msg, extra) => app.log.warn(extra ?? {}, msg) });
    setBulkRunner(runner);
    return async () => {
      await runner.stop();
      if (bulkRunner() === runner) setBulkRunner(undefined);
    };
  },
});
