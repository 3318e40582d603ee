// GET /metrics (Prometheus text format) and the hooks that count every HTTP request. Registered at the root as a
// non-encapsulated plugin so its onResponse hook sees the API's routes too.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import client from 'prom-client';
import { appError } from '../errors/index.ts';
import { sendError } from '../http/errors.ts';
import type { PlatformDeps } from '../platform/index.ts';
import { constantTimeEqual } from '../security/index.ts';
import { collectProcessMetrics, recordHttpRequest, registry } from './index.ts';

export const METRICS_PATH = '/metrics';

const seconds = (iso: string | null | undefined, now: number) =>
  iso ? Math.max(0, (now - Date.parse(iso)) / 1000) : undefined;

/**
 * Gauges read from this server's store at scrape time. Each server has its own registry for them, so two servers
 * in one process (tests) never report each other's store.
 */
function storeRegistry(deps: PlatformDeps): client.Registry {
  const own = new client.Registry();
  const db = deps.store.db;
  const registers = [own];

  new client.Gauge({
    name: 'conduit_outbox_depth',
    help: 'Event notifications in the outbox, by delivery status (pending, dead)',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const rows = await sql<{ status: string; n: number | string }>`
        select status, count(*) as n from event_notifications where status in ('pending', 'dead') group by status`.execute(
        db,
      );
      this.reset();
      this.labels('pending').set(0);
      this.labels('dead').set(0);
      for (const r of rows.rows) this.labels(r.status).set(Number(r.n));
    },
  });

  new client.Gauge({
    name: 'conduit_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest notification not yet delivered (0 when none is pending)',
    registers,
    async collect() {
      const row = await sql<{ oldest: string | null }>`
        select min(created_at) as oldest from event_notifications where status = 'pending'`.execute(db);
      this.set(seconds(row.rows[0]?.oldest, Date.now()) ?? 0);
    },
  });

  new client.Gauge({
    name: 'conduit_poller_lag_seconds',
    help: 'Time since each polled object of an instance with events enabled was last read',
    labelNames: ['instance', 'object'] as const,
    registers,
    async collect() {
      const rows = await sql<{ instance_id: number; object_type: string; polled_at: string | null }>`
        select c.instance_id, c.object_type, c.polled_at from event_cursors c
        join event_instances e on e.instance_id = c.instance_id
        join instances i on i.id = c.instance_id
        where e.paused = 0 and i.events_enabled = 1 and i.disabled = 0`.execute(db);
      this.reset();
      const now = Date.now();
      for (const r of rows.rows) {
        const lag = seconds(r.polled_at, now);
        if (lag !== undefined) this.labels(String(r.instance_id), r.object_type).set(lag);
      }
    },
  });

  new client.Gauge({
    name: 'conduit_bulk_jobs',
    help: 'Bulk jobs waiting or running, by direction and status',
    labelNames: ['direction', 'status'] as const,
    registers,
    async collect() {
      const rows = await sql<{ direction: string; status: string; n: number | string }>`
        select direction, status, count(*) as n from bulk_jobs where status in ('CREATED', 'RUNNING')
        group by direction, status`.execute(db);
      this.reset();
      for (const direction of ['export', 'import'])
        for (const status of ['CREATED', 'RUNNING']) this.labels(direction, status).set(0);
      for (const r of rows.rows) this.labels(r.direction, r.status).set(Number(r.n));
    },
  });

  new client.Gauge({
    name: 'conduit_bulk_records_per_second',
    help: 'Records per second of the running bulk jobs (each job: records so far / time since it started), summed',
    labelNames: ['direction'] as const,
    registers,
    async collect() {
      const rows = await sql<{ direction: string; records_count: number | string; started_at: string | null }>`
        select direction, records_count, started_at from bulk_jobs where status = 'RUNNING'`.execute(db);
      this.reset();
      const sums: Record<string, number> = { export: 0, import: 0 };
      const now = Date.now();
      for (const r of rows.rows) {
        const running = seconds(r.started_at, now);
        if (running) sums[r.direction] = (sums[r.direction] ?? 0) + Number(r.records_count) / running;
      }
      for (const [direction, rate] of Object.entries(sums)) this.labels(direction).set(rate);
    },
  });

  const poolStats = deps.store.poolStats;
  if (poolStats) {
    new client.Gauge({
      name: 'conduit_store_pool_connections',
      help: 'PostgreSQL pool: connections open (total), idle, and queries waiting for a connection',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const s = poolStats();
        this.labels('total').set(s.total);
        this.labels('idle').set(s.idle);
        this.labels('waiting').set(s.waiting);
      },
    });
  }
  return own;
}

/** Whether the request carries `Authorization: Bearer <CONDUIT_METRICS_TOKEN>` (always true without a token). */
function authorized(request: FastifyRequest, token: string | undefined): boolean {
  if (!token) return true;
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match !== null && constantTimeEqual(match[1]!, token);
}

export function metricsPlugin(deps: PlatformDeps) {
  return fp(
    async (app: FastifyInstance) => {
      collectProcessMetrics();
      const own = storeRegistry(deps);
      // Callback style: no promise per request on the hot path.
      app.addHook('onResponse', (request, reply, done) => {
        recordHttpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
        done();
      });
      app.get(METRICS_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
        if (!authorized(request, deps.config.CONDUIT_METRICS_TOKEN)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          return sendError(
            request,
            reply,
            appError(
              'UNAUTHORIZED',
              'GET /metrics needs Authorization: Bearer <token>, the token set in CONDUIT_METRICS_TOKEN',
            ),
          );
        }
        const [processWide, store] = await Promise.all([registry.metrics(), own.metrics()]);
        reply.header('cache-control', 'no-store').type(registry.contentType);
        return `${processWide}\n${store}`;
      });
    },
    { name: 'conduit-metrics' },
  );
}
