// `conduit bulk export|import`: drives the bulk API of a running server (the same calls a client makes), with a
// live progress bar (records/s, ETA) on a terminal and plain progress lines otherwise.
import { createWriteStream, openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';

type Json = Record<string, unknown>;

interface Connection {
  url: string;
  auth: string;
  hub: string;
}

interface Out {
  write(text: string): void;
  isTTY?: boolean;
}

export class BulkCliError extends Error {}

async function request(c: Connection, method: string, path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${c.url.replace(/\/+$/, '')}/elements/api-v2${path}`, {
    ...init,
    method,
    headers: { authorization: c.auth, ...(init.headers as Record<string, string> | undefined) },
  });
  return res;
}

async function jsonOf(res: Response, what: string): Promise<Json> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const message = (body as { message?: string } | undefined)?.message ?? text.slice(0, 300);
    throw new BulkCliError(`${what} failed: ${res.status} ${message}`);
  }
  return body as Json;
}

/**
 * The Element authorization of an instance. Given `User …, Organization …`, the instance's token is read from
 * GET /instances/{id}; an `Element` authorization is used as it is.
 */
async function elementConnection(opts: { url: string; auth: string; instance: string; hub: string }) {
  if (/\bElement\s/i.test(opts.auth)) return { url: opts.url, auth: opts.auth, hub: opts.hub };
  const base = { url: opts.url, auth: opts.auth, hub: opts.hub };
  const instance = await jsonOf(
    await request(base, 'GET', `/instances/${encodeURIComponent(opts.instance)}`),
    'Reading the instance',
  );
  const user = /\bUser\s+([^,\s]+)/i.exec(opts.auth)?.[1];
  if (!user || typeof instance.token !== 'string')
    throw new BulkCliError('--auth must be "User <secret>, Organization <secret>" or "User <secret>, Element <token>"');
  return { url: opts.url, auth: `User ${user}, Element ${instance.token}`, hub: opts.hub };
}

/** Progress of a job: a bar redrawn in place on a terminal, a line every few seconds otherwise. */
export class Progress {
  private readonly started = Date.now();
  private lastLine = 0;

  constructor(
    private readonly out: Out,
    private readonly label: string,
  ) {}

  line(done: number, total: number | undefined, failed = 0): string {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rate = done / seconds;
    const eta = total !== undefined && rate > 0 && done < total ? `, ETA ${Math.ceil((total - done) / rate)} s` : '';
    const of = total !== undefined ? `/${total}` : '';
    const fails = failed > 0 ? `, ${failed} failed` : '';
    return `${this.label}: ${done}${of} records${fails}, ${Math.round(rate)} records/s${eta}`;
  }

  update(done: number, total: number | undefined, failed = 0): void {
    const text = this.line(done, total, failed);
    if (this.out.isTTY) {
      const width = 30;
      const filled = total ? Math.min(width, Math.round((done / Math.max(1, total)) * width)) : 0;
      const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
      this.out.write(`\r\x1b[2K${bar}${text}`);
    } else if (Date.now() - this.lastLine >= 2_000) {
      this.lastLine = Date.now();
      this.out.write(`${text}\n`);
    }
  }

  finish(done: number, total: number | undefined, failed = 0): void {
    this.out.write(`${this.out.isTTY ? '\r\x1b[2K' : ''}${this.line(done, total, failed)}\n`);
  }
}

async function follow(c: Connection, id: number, progress: Progress, total?: number): Promise<Json> {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    void request(c, 'PUT', `/hubs/${c.hub}/bulk/${id}/cancel`);
  };
  process.on('SIGINT', onSignal);
  try {
    for (;;) {
      const status = await jsonOf(
        await request(c, 'GET', `/hubs/${c.hub}/bulk/${id}/status`),
        'Reading the job status',
      );
      const known = total ?? (typeof status.recordsTotal === 'number' ? status.recordsTotal : undefined);
      const done = Number(status.recordsCount ?? 0) + Number(status.recordsFailedCount ?? 0);
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(String(status.status))) {
        progress.finish(Number(status.recordsCount ?? 0), known, Number(status.recordsFailedCount ?? 0));
        return status;
      }
      progress.update(done, known, Number(status.recordsFailedCount ?? 0));
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export interface ExportOptions {
  url: string;
  auth: string;
  instance: string;
  hub: string;
  object: string;
  where?: string;
  from?: string;
  format: 'csv' | 'jsonl';
  out?: string;
}

export async function bulkExport(opts: ExportOptions, out: Out, err: Out): Promise<Json> {
  if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new BulkCliError('--format must be csv or jsonl');
  const c = await elementConnection(opts);
  const q = `select * from ${opts.object}${opts.where ? ` where ${opts.where}` : ''}`;
  let total: number | undefined;
  const counted = await request(
    c,
    'GET',
    `/hubs/${c.hub}/${opts.object}/count${opts.where ? `?where=${encodeURIComponent(opts.where)}` : ''}`,
  );
  if (counted.ok) total = Number(((await counted.json()) as { count?: number }).count) || undefined;
  const qs = new URLSearchParams({ q });
  if (opts.from) qs.set('from', opts.from);
  const job = await jsonOf(await request(c, 'POST', `/hubs/${c.hub}/bulk/query?${qs}`), 'Starting the export');
  const id = Number(job.id);
  err.write(`Export job ${id} started (${q})\n`);
  const status = await follow(c, id, new Progress(err, `export ${id}`), opts.from ? undefined : total);
  if (status.status === 'FAILED') throw new BulkCliError(`Export job ${id} failed: ${String(status.infoMessage)}`);
  const res = await request(
    c,
    'GET',
    `/hubs/${c.hub}/bulk/${id}/${opts.object.split('/').pop()}?format=${opts.format}`,
  );
  if (!res.ok || !res.body) await jsonOf(res, 'Downloading the result');
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  if (opts.out) {
    await pipeline(body, createWriteStream(opts.out));
    err.write(`Wrote ${status.recordsCount} records (${res.headers.get('content-length')} bytes) to ${opts.out}\n`);
  } else {
    for await (const chunk of body) out.write(chunk.toString('utf8'));
  }
  return status;
}

export interface ImportOptions {
  url: string;
  auth: string;
  instance: string;
  hub: string;
  object: string;
  file: string;
  format?: 'csv' | 'json' | 'jsonl';
  action?: 'create' | 'update' | 'upsert';
  idField?: string;
}

export async function bulkImport(opts: ImportOptions, err: Out): Promise<Json> {
  const c = await elementConnection(opts);
  const form = new FormData();
  const meta: Json = {};
  if (opts.format) meta.format = opts.format;
  if (opts.action) meta.action = opts.action;
  if (opts.idField) meta.identifierFieldName = opts.idField;
  if (Object.keys(meta).length > 0) form.append('metaData', JSON.stringify(meta));
  form.append('file', await openAsBlob(opts.file), basename(opts.file));
  const job = await jsonOf(
    await request(c, 'POST', `/hubs/${c.hub}/bulk/${opts.object}`, { body: form }),
    'Starting the import',
  );
  const id = Number(job.id);
  err.write(`Import job ${id} started (${opts.file} → ${opts.object})\n`);
  const status = await follow(c, id, new Progress(err, `import ${id}`));
  if (Number(status.recordsFailedCount) > 0) {
    const errors = await jsonOf(
      await request(c, 'GET', `/hubs/${c.hub}/bulk/${id}/errors?pageSize=10`),
      'Reading the errors',
    );
    for (const e of errors as unknown as Json[])
      err.write(`  record ${String(e.recordIndex)}: ${String(e.status)} ${String(e.message)}\n`);
    if (Number(status.recordsFailedCount) > 10) err.write(`  … all of them: GET /hubs/${c.hub}/bulk/${id}/errors\n`);
  }
  if (status.status === 'FAILED') throw new BulkCliError(`Import job ${id} failed: ${String(status.infoMessage)}`);
  return status;
}

export function registerBulkCommand(program: Command): void {
  const bulk = program.command('bulk').description('Export or import whole objects through a running server');
  const common = (cmd: Command) =>
    cmd
      .requiredOption('--instance <id>', 'instance id')
      .requiredOption('--object <name>', 'hub object, e.g. contacts')
      .option('--url <url>', 'server URL', 'http://127.0.0.1:8080')
      .addOption(
        new Option('--auth <authorization>', 'User <secret>, Organization <secret> (or Element <token>)')
          .env('CONDUIT_AUTH')
          .makeOptionMandatory(),
      )
      .option('--hub <hub>', 'hub', 'crm');
  const run = async (work: () => Promise<Json>) => {
    try {
      const status = await work();
      if (status.status === 'CANCELLED') process.exitCode = 130;
    } catch (e) {
      if (!(e instanceof BulkCliError)) throw e;
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    }
  };
  const stderr = { write: (t: string) => void process.stderr.write(t), isTTY: process.stderr.isTTY };
  common(bulk.command('export').description('Export an object to a file (JSON Lines or CSV)'))
    .option('--where <ceql>', 'CEQL filter, pushed down to ConnectWise')
    .option('--from <date>', 'incremental: records changed since (bulk.query.* of the instance)')
    .option('--format <format>', 'csv or jsonl', 'jsonl')
    .option('--out <file>', 'output file (default: stdout)')
    .action(async (opts: ExportOptions) =>
      run(() => bulkExport(opts, { write: (t) => void process.stdout.write(t) }, stderr)),
    );
  common(bulk.command('import').description('Import a CSV, JSON or JSON Lines file into an object'))
    .requiredOption('--file <path>', 'the file to upload')
    .option('--format <format>', 'csv, json or jsonl (default: from the file name)')
    .option('--action <action>', 'create, update or upsert')
    .option('--id-field <field>', 'identifierFieldName: update the record with this field, create otherwise')
    .action(async (opts: ImportOptions) => run(() => bulkImport(opts, stderr)));
}
