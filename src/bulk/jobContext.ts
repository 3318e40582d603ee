// What a running job needs: the instance as the engine sees it, the hub target of its object, its data key,
// and an abort signal (cancel or shutdown) that every wait obeys.
import type { Addressed, EngineDeps, EngineInstance } from '../engine/index.ts';
import { resolveHubTarget } from '../engine/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { loadInstanceConfig, type PlatformDeps } from '../platform/index.ts';
import { findInstance } from '../store/index.ts';
import { openDataKey } from './files.ts';
import type { BulkJob } from './jobs.ts';

export interface JobEnv {
  deps: PlatformDeps;
  dir: string;
  leaseMs: number;
  /** Aborted with reason 'cancel' (the job ends CANCELLED) or 'shutdown' (it resumes elsewhere). */
  signal: AbortSignal;
}

export type JobEnd =
  | { status: 'COMPLETED' | 'FAILED' | 'CANCELLED'; infoMessage?: string }
  /** Shut down mid-job: the lease is released and the job resumes from its watermark. */
  | { status: 'STOPPED' };

export interface JobTarget {
  engine: EngineDeps;
  instance: EngineInstance;
  target: Addressed;
  key: Buffer;
}

/** The largest vendor page; bulk pages are not bound by the instance's interactive `pagination.max`. */
export async function jobTarget(deps: PlatformDeps, job: BulkJob): Promise<Result<JobTarget>> {
  const record = await findInstance(deps.store.db, job.instanceId);
  if (!record) return fail(appError('NOT_FOUND', `Instance ${job.instanceId} no longer exists`));
  if (record.disabled) return fail(appError('INSTANCE_DISABLED', `Instance ${job.instanceId} is disabled`));
  const def = deps.catalog.find(record.elementKey);
  if (!def) return fail(appError('NOT_FOUND', `Element ${record.elementKey} does not exist`));
  const config = await loadInstanceConfig(deps, record.id);
  const target = resolveHubTarget(def, job.spec?.vendorObject ?? job.objectName);
  if (!target.ok) return target;
  return ok({
    // Each vendor call of a job (one export page, one record written) has CONDUIT_BULK_DEADLINE_MS, retries
    // included, counted from its own start; the job decides what a missed deadline means (exportJob.ts).
    engine: {
      catalog: deps.catalog,
      upstream: deps.upstream,
      store: deps.store,
      deadlineMs: deps.config.CONDUIT_BULK_DEADLINE_MS,
    },
    instance: {
      id: record.id,
      elementKey: record.elementKey,
      config: { ...config, 'pagination.max': String(def.paging.vendorMax) },
      traceLoggingEnabled: record.traceLoggingEnabled,
    },
    target: target.value,
    key: openDataKey(deps.box, job.dataKey),
  });
}

export const ABORTED = Symbol('aborted');

/** Waits for `p` unless the signal fires first (the late answer is dropped). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
  });
}

/** How a signal's abort ends the job. */
export function abortedEnd(signal: AbortSignal): JobEnd {
  return signal.reason === 'cancel' ? { status: 'CANCELLED', infoMessage: 'Cancelled' } : { status: 'STOPPED' };
}
