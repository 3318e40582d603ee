// `conduit events tail --instance <id>`: follows an instance's event log (its notifications) live by polling the
// store, one line per event, until Ctrl-C. Works beside running servers on SQLite (WAL) and PostgreSQL.
import type { Command } from 'commander';
import { eventsDb } from '../store/events.ts';
import { findInstance } from '../store/index.ts';
import { positiveId, withOperatorRuntime } from './instances.ts';

interface TailRow {
  id: number;
  event_id: string;
  object_type: string;
  source: string;
  status: string;
  body: string;
  created_at: string;
}

interface LoggedEvent {
  eventType?: string;
  objectType?: string;
  objectId?: string;
}

/** One line per notification: when, event id, object type, source, delivery status, then its changes. */
export function tailLine(row: TailRow): string {
  let events: LoggedEvent[] = [];
  try {
    events = (JSON.parse(row.body) as { message?: { events?: LoggedEvent[] } }).message?.events ?? [];
  } catch {
    /* a body we cannot read is still shown by its id */
  }
  const changes = events.map((e) => `${e.eventType ?? '?'} ${e.objectType ?? row.object_type}/${e.objectId ?? '?'}`);
  return `${row.created_at}  ${row.event_id}  ${row.object_type}  ${row.source}  ${row.status}  ${changes.join(', ')}`;
}

export function registerEventsCommand(program: Command): void {
  const events = program.command('events').description("An instance's event log");
  events
    .command('tail')
    .requiredOption('--instance <id>', 'instance id', positiveId('--instance'))
    .option('-n, --lines <n>', 'show this many earlier events first', positiveOrZero, 10)
    .option('--interval <ms>', 'how often the store is read', positiveOrZero, 500)
    .option('--json', 'print each event as one JSON line')
    .description('Follow the event log of an instance live: one line per event, until Ctrl-C')
    .action(async (opts: { instance: number; lines: number; interval: number; json?: boolean }) => {
      await withOperatorRuntime(async (runtime) => {
        const db = eventsDb(runtime.deps.store.db);
        const record = await findInstance(runtime.deps.store.db, opts.instance);
        if (!record) {
          process.stderr.write(`Instance ${opts.instance} does not exist\n`);
          process.exitCode = 1;
          return;
        }
        const columns = ['id', 'event_id', 'object_type', 'source', 'status', 'body', 'created_at'] as const;
        const show = (r: TailRow) =>
          process.stdout.write(
            opts.json
              ? `${JSON.stringify({ eventId: r.event_id, objectType: r.object_type, source: r.source, status: r.status, createdAt: r.created_at, events: (JSON.parse(r.body) as { message: { events: unknown } }).message.events })}\n`
              : `${tailLine(r)}\n`,
          );
        const earlier = await db
          .selectFrom('event_notifications')
          .select(columns)
          .where('instance_id', '=', record.id)
          .orderBy('id', 'desc')
          .limit(opts.lines)
          .execute();
        let last = 0;
        const maxId = await db
          .selectFrom('event_notifications')
          .select((eb) => eb.fn.max('id').as('max'))
          .where('instance_id', '=', record.id)
          .executeTakeFirst();
        last = Number(maxId?.max ?? 0);
        for (const r of earlier.reverse()) show({ ...r, id: Number(r.id) });
        process.stderr.write(`Following the event log of instance ${record.id} (Ctrl-C to stop)\n`);
        let stopping = false;
        const stopped = new Promise<void>((resolve) => {
          const stop = () => {
            stopping = true;
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        while (!stopping) {
          const rows = await db
            .selectFrom('event_notifications')
            .select(columns)
            .where('instance_id', '=', record.id)
            .where('id', '>', last)
            .orderBy('id')
            .limit(500)
            .execute();
          for (const r of rows) {
            last = Number(r.id);
            show({ ...r, id: last });
          }
          if (rows.length < 500) await Promise.race([stopped, new Promise((r) => setTimeout(r, opts.interval))]);
        }
      });
    });
}

function positiveOrZero(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) {
    process.stderr.write(`expected a whole number; got ${JSON.stringify(value)}\n`);
    process.exit(1);
  }
  return Number(value);
}
