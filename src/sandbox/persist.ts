import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Row } from './catalog/types.ts';
import { Database } from './store/database.ts';

interface Snapshot {
  format: 'conduit-sandbox/1';
  nextCommunicationId: number;
  ticketConfigurations: [number, number[]][];
  tables: Record<string, { nextId: number; rows: Row[] }>;
}

/** Writes the whole data set as JSON (atomically: temp file + rename). */
export function saveDatabase(db: Database, file: string): void {
  const snap: Snapshot = {
    format: 'conduit-sandbox/1',
    nextCommunicationId: db.nextCommunicationId,
    ticketConfigurations: [...db.ticketConfigurations],
    tables: {},
  };
  for (const [key, t] of db.tables) {
    if (t.def.virtual) continue;
    snap.tables[key] = { nextId: t.nextId, rows: [...t.all()] };
  }
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(snap));
  renameSync(tmp, file);
}

/** Loads a saved data set; undefined when the file does not exist. A corrupt file fails loudly. */
export function loadDatabase(file: string): Database | undefined {
  if (!existsSync(file)) return undefined;
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  if (snap.format !== 'conduit-sandbox/1') throw new Error(`${file} is not a conduit sandbox data file`);
  const db = new Database();
  db.nextCommunicationId = snap.nextCommunicationId;
  for (const [k, v] of snap.ticketConfigurations) db.ticketConfigurations.set(k, v);
  for (const [key, data] of Object.entries(snap.tables)) {
    const t = db.tables.get(key);
    if (!t) continue;
    t.bulkLoad(data.rows);
    t.nextId = Math.max(t.nextId, data.nextId);
  }
  return db;
}
