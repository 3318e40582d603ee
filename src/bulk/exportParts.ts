// A large export split into id ranges fetched side by side. The ranges are fixed when the job first runs (from
// the lowest and highest id the query matches) and kept in the watermark, each with its own sealed file and its
// own committed last id, so a restart resumes every range where it stood. When every range is done their files
// are appended to the result in id order (also resumable: `merged` counts the ranges already appended), so the
// result is the same file a one-range export writes, in the same order, with the same CSV columns.
//
// Ranges share the instance's rate budget with hub calls and pollers: the lowest unfinished range always
// fetches, the others send a request only while the budget is idle (`RateBudget.idle`), so they never queue
// ahead of an interactive call — with a budget that binds, an export runs as one range would.

import {
  type ExportRun,
  edgeRecord,
  exportRange,
  type RangeEnd,
  type RangeState,
  rangeEndToJob,
  roundTripMs,
} from './exportJob.ts';
import { jobFiles } from './files.ts';
import { ABORTED, abortable, abortedEnd, type JobEnd, sleep } from './jobContext.ts';
import { type BulkRecordError, bulkDb, commitProgress, insertErrors, type PartState, type Watermark } from './jobs.ts';
import { readSealedRange, removeFile, SealedFileWriter } from './sealedFile.ts';

/** A range must span at least this many full pages of ids to be worth its own requests. */
const MIN_PAGES_PER_PART = 2;
/**
 * Ranges side by side hide ConnectWise's round-trip time; where that is short, the CPU (ours and the vendor's)
 * paces an export and more ranges only contend for it (measured: 1.28× the raw loop with one range, 0.77× with
 * four, against a local simulator). So an export splits only when ConnectWise's cheapest call (`system/info`)
 * takes at least this long to answer.
 */
export const MIN_ROUND_TRIP_MS = 50;

const partKind = (i: number) => `export.part${i}`;

/**
 * After a fresh export's first page (`first`, committed as `firstBytes` of the result), the id ranges for the
 * rest — range 0 being that page, done and already in the result — or undefined to go on as one range
 * (partitions off, too few ids left, records without a numeric id).
 */
export async function planParts(
  run: ExportRun,
  wanted: number,
  first: RangeState,
  firstBytes: number,
): Promise<PartState[] | undefined | typeof ABORTED> {
  const { engine, instance, target, idField, pageSize, signal } = run;
  // Splitting is an optimisation: when it cannot help, or the highest id cannot be found, the export goes on as
  // one range.
  const rtt = await abortable(roundTripMs(engine, instance), signal);
  if (rtt === ABORTED) return rtt;
  if (rtt === undefined || rtt < MIN_ROUND_TRIP_MS) return undefined;
  const query = { ...run.query, fields: idField, orderBy: `${idField} desc` };
  const r = await abortable(edgeRecord(engine, instance, target, query), signal);
  if (r === ABORTED) return r;
  if (!r.ok) return undefined;
  const high = Number(r.value?.[idField]);
  if (!Number.isSafeInteger(high)) return undefined;
  const low = first.lastId;
  const span = high - low;
  const count = Math.min(wanted, Math.floor(span / (pageSize * MIN_PAGES_PER_PART)));
  if (count <= 1) return undefined;
  const bound = (i: number) => low + Math.round((span * i) / count);
  return [
    { hi: low, lastId: low, count: first.count, bytes: firstBytes, columns: [...first.columns], done: true },
    ...Array.from({ length: count }, (_, i) => ({
      // The last range stays open: records created during the export land there, as in a one-range export.
      hi: i === count - 1 ? null : bound(i + 1),
      lastId: bound(i),
      count: 0,
      bytes: 0,
      columns: [],
      done: false,
    })),
  ];
}

export async function runPartitioned(
  run: ExportRun,
  initial: PartState[],
  progress: { merged: number; resultBytes: number; merging: boolean },
): Promise<JobEnd> {
  const { env, job, key, signal } = run;
  const db = bulkDb(env.deps.store.db);
  const files = jobFiles(env.dir, job.id);
  const parts = initial.map((p) => ({ ...p, columns: [...p.columns] }));
  let { merged, resultBytes, merging } = progress;
  const budgetKey = `instance:${run.instance.id}`;
  const budget = run.engine.upstream.budget;

  const columns = () => {
    const all: string[] = [];
    const seen = new Set<string>();
    for (const p of parts)
      for (const c of p.columns)
        if (!seen.has(c)) {
          seen.add(c);
          all.push(c);
        }
    return all;
  };
  const watermark = (): Watermark => ({ parts, merged, resultBytes, merging });
  // Commits go one at a time (each writes the whole watermark: every range's committed state).
  let commits: Promise<unknown> = Promise.resolve();
  const commitAll = (errors: BulkRecordError[] = []): Promise<boolean> => {
    const next = commits.then(() =>
      db.transaction().execute(async (trx) => {
        await insertErrors(trx, job.id, errors);
        return commitProgress(trx, job.id, {
          watermark: watermark(),
          recordsCount: parts.reduce((n, p) => n + p.count, 0),
          recordsFailedCount: parts.reduce((n, p) => n + (p.failed ?? 0), 0),
          fileBytes: resultBytes + parts.slice(merged).reduce((n, p) => n + p.bytes, 0),
          columns: columns(),
          leaseUntil: new Date(Date.now() + env.leaseMs).toISOString(),
        });
      }),
    );
    commits = next.catch(() => undefined);
    return next.then((r) => r.cancelRequested);
  };

  // A cancel seen by one range stops them all.
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const rangeRun: ExportRun = { ...run, signal: stop.signal };
  const lowestOpen = () => parts.findIndex((p) => !p.done);

  const runPart = async (i: number): Promise<RangeEnd> => {
    const part = parts[i] as PartState;
    if (part.done) return { kind: 'done' };
    const writer = await SealedFileWriter.open(files.part(i), key, partKind(i), part.bytes);
    try {
      const end = await exportRange(
        rangeRun,
        part,
        writer,
        async (fileBytes, errors) => {
          part.bytes = fileBytes;
          return commitAll(errors);
        },
        async () => {
          // Only the lowest unfinished range may wait in the budget's queue; the others go while it is idle.
          while (lowestOpen() !== i && !budget.idle(budgetKey) && !stop.signal.aborted) await sleep(20, stop.signal);
        },
      );
      if (end.kind === 'done') {
        part.done = true;
        if (await commitAll()) return { kind: 'stopped' };
      } else stop.abort('stop');
      return end;
    } finally {
      await writer.close();
    }
  };

  let ends: RangeEnd[] = [];
  try {
    // A restart during the merge finds it begun; one after a cancel finds it requested.
    if (!merging && !job.cancelRequested) ends = await Promise.all(parts.map((_, i) => runPart(i)));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  // A shutdown leaves the ranges to resume elsewhere; a cancel (also an abort) keeps what they wrote.
  const shutdown = () => signal.aborted && signal.reason !== 'cancel';
  if (shutdown()) return abortedEnd(signal);
  merging = true;
  await commitAll();

  // Append the ranges' files to the result in id order. A cancel or a failure keeps each range's committed
  // records the same way, so a partial file is still in id order (with gaps where ranges stopped early).
  const writer = await SealedFileWriter.open(files.result, key, 'export', resultBytes);
  try {
    while (merged < parts.length) {
      if (shutdown()) return abortedEnd(signal);
      const i = merged;
      const part = parts[i] as PartState;
      for await (const chunk of readSealedRange(files.part(i), key, partKind(i), part.bytes))
        await writer.append(chunk);
      resultBytes = await writer.commit();
      merged = i + 1;
      await commitAll();
      await removeFile(files.part(i));
    }
  } finally {
    await writer.close();
  }

  const count = parts.reduce((n, p) => n + p.count, 0);
  if (parts.every((p) => p.done)) return { status: 'COMPLETED' };
  const failed = ends.find((e): e is Extract<RangeEnd, { kind: 'failed' }> => e.kind === 'failed');
  if (!failed && (signal.aborted || job.cancelRequested || ends.some((e) => e.kind === 'stopped')))
    return { status: 'CANCELLED', infoMessage: 'Cancelled' };
  const open = parts
    .filter((p) => !p.done)
    .map((p) => `ids after ${p.lastId}${p.hi === null ? '' : ` up to ${p.hi}`}`)
    .join('; ');
  const why = failed?.message ?? 'a range stopped before its end';
  return rangeEndToJob({ kind: 'failed', message: `${why} (not exported: ${open})` }, signal, count);
}
