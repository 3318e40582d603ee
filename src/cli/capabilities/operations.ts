// Operations capability: GET /metrics with the HTTP request counters, and the retention pruner of this process.
import { recordPruned } from '../../metrics/index.ts';
import { metricsPlugin } from '../../metrics/plugin.ts';
import { startRetention } from '../../store/retention.ts';
import { capabilities } from '../serve.ts';

capabilities.push({
  rootPlugins: (runtime) => [metricsPlugin(runtime.deps)],
  async start(runtime, app) {
    const loop = startRetention(runtime.deps.store, {
      retentionDays: runtime.deps.config.CONDUIT_RETENTION_DAYS,
      onBatch: recordPruned,
      log: (msg, extra) => app.log.warn(extra ?? {}, msg),
    });
    return () => loop.stop();
  },
});
