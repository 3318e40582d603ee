// The bulk worker of one node: leases waiting or orphaned jobs (the event deliveries' lease pattern, so any
// PostgreSQL node may pick a job up), runs them with a renewed lease, stops them on cancel within a second,
// delivers async callbacks and deletes files past their retention.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { recordBulkJobEnded } from '../metrics/index.ts';
import type { PlatformDeps } from '../platform/index.ts';
import { type CallbackSender, createCallbackSender } from './callback.ts';
import { runExport } from './exportJob.ts';
import { bulkDir, removeJobFiles } from './files.ts';
import { runImport } from './importJob.ts';
import type { JobEnd } from './jobContext.ts';
import {
  type BulkJob,
  bulkDb,
  claimCallbacks,
  claimJobs,
  deleteJob,
  existingJobIds,
  expiredJobs,
  finishJob,
  isCancelRequested,
  markRunning,
  recordCallback,
  releaseAllJobLeases,
  releaseJobLease,
} from './jobs.ts';
import { removeFile } from './sealedFile.ts';

export interface BulkRunnerOptions {
  concurrency?: number;
  leaseMs?: number;
  idleWaitMs?: number;
  /** How often a running job checks for a cancel made on another node. */
  cancelPollMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export interface BulkRunner {
  /** A job was submitted or cancelled: look now instead of at the next tick. */
  wake(): void;
  /** Stops a job running on this node at once (the cancel is also in the store for other nodes). */
  cancel(jobId: number): void;
  stop(): Promise<void>;
}

const RETENTION_SWEEP_MS = 60_000;
const ORPHAN_AGE_MS = 3600_000;

export async function startBulkRunner(deps: PlatformDeps, options: BulkRunnerOptions = {}): Promise<BulkRunner> {
  const db = bulkDb(deps.store.db);
  const dir = bulkDir(deps.config.CONDUIT_DATA_DIR);
  const concurrency = options.concurrency ?? deps.config.CONDUIT_BULK_CONCURRENCY;
  const leaseMs = options.leaseMs ?? 30_000;
  const idleWaitMs = options.idleWaitMs ?? 500;
  const cancelPollMs = options.cancelPollMs ?? 1_000;
  const retentionMs = deps.config.CONDUIT_BULK_RETENTION_HOURS * 3600_000;
  const log = options.log ?? (() => undefined);
  // SQLite is one process: leases left by a killed predecessor are ours to take back at once.
  if (deps.store.dialect === 'sqlite') await releaseAllJobLeases(db);
  const callbacks: CallbackSender = createCallbackSender(deps);
  const active = new Map<number, { controller: AbortController; done: Promise<void> }>();
  let running = true;
  let wakeUp: (() => void) | undefined;
  let lastSweep = 0;

  function wake() {
    const w = wakeUp;
    wakeUp = undefined;
    w?.();
  }

  async function run(job: BulkJob): Promise<void> {
    const controller = new AbortController();
    const lease = () => new Date(Date.now() + leaseMs).toISOString();
    // Cancelled between the claim and now: nothing to run.
    if (!(await markRunning(db, job.id, new Date().toISOString(), lease()))) return;
    const renew = setInterval(() => {
      void db
        .updateTable('bulk_jobs')
        .set({ lease_until: lease() })
        .where('id', '=', job.id)
        .execute()
        .catch(() => undefined);
    }, leaseMs / 3);
    const poll = setInterval(() => {
      void isCancelRequested(db, job.id)
        .then((yes) => {
          if (yes) controller.abort('cancel');
        })
        .catch(() => undefined);
    }, cancelPollMs);
    const done = (async () => {
      let end: JobEnd;
      try {
        if (job.cancelRequested) end = { status: 'CANCELLED', infoMessage: 'Cancelled' };
        else {
          const env = { deps, dir, leaseMs, signal: controller.signal };
          end = job.direction === 'export' ? await runExport(env, job) : await runImport(env, job);
        }
      } catch (e) {
        log('bulk job failed', { jobId: job.id, error: (e as Error).message });
        end = { status: 'FAILED', infoMessage: `Internal error: ${(e as Error).message}` };
      }
      clearInterval(renew);
      clearInterval(poll);
      try {
        if (end.status === 'STOPPED') await releaseJobLease(db, job.id);
        else {
          const now = new Date();
          await finishJob(db, job.id, {
            status: end.status,
            now: now.toISOString(),
            expiresAt: new Date(now.getTime() + retentionMs).toISOString(),
            ...(end.infoMessage !== undefined ? { infoMessage: end.infoMessage } : {}),
          });
          recordBulkJobEnded(job.direction, end.status);
        }
      } catch (e) {
        log('bulk job outcome not saved', { jobId: job.id, error: (e as Error).message });
      }
      active.delete(job.id);
      wake();
    })();
    active.set(job.id, { controller, done });
  }

  async function deliverCallbacks(): Promise<void> {
    const now = new Date();
    const due = await claimCallbacks(db, deps.store.dialect, {
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + deps.config.CONDUIT_WEBHOOK_TIMEOUT_MS * 2).toISOString(),
      limit: 8,
    });
    await Promise.all(
      due.map(async (job) => {
        const outcome = await callbacks.deliver(job);
        await recordCallback(db, job.id, outcome);
        if (outcome.error) log('bulk callback failed', { jobId: job.id, error: outcome.error });
      }),
    );
  }

  async function sweep(): Promise<void> {
    if (Date.now() - lastSweep < Math.min(RETENTION_SWEEP_MS, retentionMs)) return;
    lastSweep = Date.now();
    for (const job of await expiredJobs(db, new Date().toISOString(), 100)) {
      await removeJobFiles(dir, job.id);
      await deleteJob(db, job.id);
    }
    await removeOrphanFiles();
  }

  /**
   * Files with no job row (the instance or organization was deleted, taking its jobs with it) and temporary files
   * left by a crash mid-upload or mid-rendering, once they are older than an hour.
   */
  async function removeOrphanFiles(): Promise<void> {
    const cutoff = Date.now() - ORPHAN_AGE_MS;
    const byId = new Map<number, string[]>();
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const age = await stat(path).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      );
      if (age > cutoff) continue;
      const id = /^(\d+)\.(jsonl|csv|upload|part\d+\.jsonl)\.enc$/.exec(name)?.[1];
      if (id === undefined) {
        if (name.endsWith('.tmp')) await removeFile(path);
        continue;
      }
      byId.set(Number(id), [...(byId.get(Number(id)) ?? []), path]);
    }
    if (byId.size === 0) return;
    const known = new Set(await existingJobIds(db, [...byId.keys()]));
    for (const [id, paths] of byId) if (!known.has(id)) for (const p of paths) await removeFile(p);
  }

  async function tick(): Promise<void> {
    const room = concurrency - active.size;
    if (room > 0) {
      const now = new Date();
      const jobs = await claimJobs(db, deps.store.dialect, {
        now: now.toISOString(),
        leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
        limit: room,
      });
      for (const job of jobs) await run(job);
    }
    await deliverCallbacks();
    await sweep();
  }

  const loop = (async () => {
    while (running) {
      try {
        await tick();
      } catch (e) {
        if (running) log('bulk runner tick failed', { error: (e as Error).message });
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, idleWaitMs);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();

  return {
    wake,
    cancel(jobId) {
      active.get(jobId)?.controller.abort('cancel');
      wake();
    },
    async stop() {
      running = false;
      wake();
      await loop;
      for (const a of active.values()) a.controller.abort('shutdown');
      await Promise.all([...active.values()].map((a) => a.done));
      await callbacks.close();
    },
  };
}
