// Prometheus metrics (prom-client). Counters and histograms that code paths move live in one process-wide
// registry; gauges read from the store (outbox, pollers, bulk, pool) are collected per server at scrape time.
// Labels stay low-cardinality: route templates, methods, statuses, instance ids, object types — never record ids.
import client from 'prom-client';

export const registry = new client.Registry();

let defaultsCollected = false;
/** Node's process metrics (CPU, RSS, heap, event-loop lag, handles), registered once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: registry });
}

const httpRequests = new client.Counter({
  name: 'conduit_http_requests_total',
  help: 'HTTP requests answered, by route template, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

const httpDuration = new client.Histogram({
  name: 'conduit_http_request_duration_seconds',
  help: 'Time from receiving a request to the end of its answer, by route template and method',
  labelNames: ['method', 'route'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const upstreamRequests = new client.Counter({
  name: 'conduit_upstream_requests_total',
  help: 'Tries sent to a vendor, by instance and HTTP status (or failure code when no answer came)',
  labelNames: ['instance', 'status'] as const,
  registers: [registry],
});

const upstreamRetries = new client.Counter({
  name: 'conduit_upstream_retries_total',
  help: 'Vendor tries that repeated an earlier failed try, by instance',
  labelNames: ['instance'] as const,
  registers: [registry],
});

const upstreamRateLimited = new client.Counter({
  name: 'conduit_upstream_rate_limited_total',
  help: 'Vendor answers 429 Too Many Requests, by instance',
  labelNames: ['instance'] as const,
  registers: [registry],
});

const budgetWaits = new client.Counter({
  name: 'conduit_upstream_budget_waits_total',
  help: "Vendor calls that waited for a slot of the instance's rate budget",
  labelNames: ['instance'] as const,
  registers: [registry],
});

const budgetWaitSeconds = new client.Counter({
  name: 'conduit_upstream_budget_wait_seconds_total',
  help: "Time vendor calls spent waiting for the instance's rate budget",
  labelNames: ['instance'] as const,
  registers: [registry],
});

const deliveries = new client.Counter({
  name: 'conduit_event_deliveries_total',
  help: 'Event notification POSTs by outcome (delivered, retry, dead)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const bulkJobs = new client.Counter({
  name: 'conduit_bulk_jobs_ended_total',
  help: 'Bulk jobs that ended, by direction and final status',
  labelNames: ['direction', 'status'] as const,
  registers: [registry],
});

const retentionPruned = new client.Counter({
  name: 'conduit_retention_pruned_rows_total',
  help: 'Rows the retention pruner deleted, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

// The hot path records every request: the labelled children are looked up once per (method, route, status).
const httpChildren = new Map<
  string,
  { count: client.Counter.Internal; time: client.Histogram.Internal<'method' | 'route'> }
>();

/** One answered HTTP request; `route` is the route template (never the raw URL), `unmatched` for 404s. */
export function recordHttpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
  const template = route ?? 'unmatched';
  const key = `${method} ${template} ${status}`;
  let child = httpChildren.get(key);
  if (!child) {
    child = {
      count: httpRequests.labels(method, template, String(status)),
      time: httpDuration.labels(method, template),
    };
    httpChildren.set(key, child);
  }
  child.count.inc();
  child.time.observe(seconds);
}

/** The instance label of an upstream budget key (`instance:12` → `12`; calls outside an instance → `none`). */
function instanceLabel(budgetKey: string | undefined): string {
  if (!budgetKey) return 'none';
  return budgetKey.startsWith('instance:') ? budgetKey.slice('instance:'.length) : budgetKey;
}

/** One try sent to a vendor: its HTTP status, or the failure code when no answer came. */
export function recordUpstreamTry(budgetKey: string | undefined, status: number | string, retry: boolean): void {
  const instance = instanceLabel(budgetKey);
  upstreamRequests.labels(instance, String(status)).inc();
  if (retry) upstreamRetries.labels(instance).inc();
  if (status === 429) upstreamRateLimited.labels(instance).inc();
}

/** A call that waited for its instance's rate budget (only waits of a millisecond or more are counted). */
export function recordBudgetWait(budgetKey: string | undefined, ms: number): void {
  if (ms < 1) return;
  const instance = instanceLabel(budgetKey);
  budgetWaits.labels(instance).inc();
  budgetWaitSeconds.labels(instance).inc(ms / 1000);
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'dead';
export function recordDelivery(outcome: DeliveryOutcome, count = 1): void {
  if (count > 0) deliveries.labels(outcome).inc(count);
}

export function recordBulkJobEnded(direction: string, status: string): void {
  bulkJobs.labels(direction, status).inc();
}

export function recordPruned(table: string, count: number): void {
  if (count > 0) retentionPruned.labels(table).inc(count);
}
