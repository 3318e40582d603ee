import { TABLES } from '../catalog/tables.ts';
import type { Row, StoredCustomField, StoredRef, TableDef } from '../catalog/types.ts';
import { Table } from './table.ts';

/** All tables of one simulated ConnectWise site. */
export class Database {
  readonly tables = new Map<string, Table>();
  /** Ids of contact communication items are global, as in CW. */
  nextCommunicationId = 1;
  /** service/tickets/{id}/configurations associations: ticket id → configuration ids. */
  readonly ticketConfigurations = new Map<number, number[]>();

  constructor(defs: readonly TableDef[] = TABLES) {
    for (const def of defs) this.tables.set(def.key, new Table(def));
  }

  /** Changes whenever any table changes (the page cache compares it). */
  get version(): number {
    let v = 0;
    for (const t of this.tables.values()) v += t.version;
    return v;
  }

  table(key: string): Table {
    const t = this.tables.get(key);
    if (!t) throw new Error(`unknown table ${key}`);
    return t;
  }

  first(key: string, pred?: (row: Row) => boolean): Row | undefined {
    const rows = this.table(key).all();
    if (!pred) return rows[0];
    for (const r of rows) if (pred(r)) return r;
    return undefined;
  }

  /** Value of a reference's display property (`name`, `identifier`, `summary`, `sort`, …). */
  refProperty(tableKey: string, id: number, prop: string): unknown {
    const t = this.tables.get(tableKey);
    const row = t?.get(id);
    if (!row) return undefined;
    if (prop in row) return row[prop];
    return t?.def.derived?.(row)[prop];
  }

  /** Custom field definitions (system/userDefinedFields) for an entity screen, by sequence. */
  customFieldDefs(screen: string): Row[] {
    const table = this.table('userDefinedFields');
    const udfs = table.all();
    if (this.udfCache?.version !== table.version) this.udfCache = { version: table.version, byScreen: new Map() };
    let defs = this.udfCache.byScreen.get(screen);
    if (!defs) {
      defs = udfs.filter((r) => String(r.screenId).toLowerCase() === screen.toLowerCase());
      this.udfCache.byScreen.set(screen, defs);
    }
    return defs;
  }

  private udfCache?: { version: number; byScreen: Map<string, Row[]> };
}

export interface CustomFieldView {
  id: number;
  caption: string;
  type: string;
  entryMethod: string;
  numberOfDecimals: number;
  value?: unknown;
  connectWiseId: string;
}

/** Every custom field defined for the row's screen, with the row's value where it has one (CW's shape). */
export function customFieldsOf(db: Database, def: TableDef, row: Row): CustomFieldView[] {
  if (!def.customFieldScreen) return [];
  const defs = db.customFieldDefs(def.customFieldScreen);
  if (defs.length === 0) return [];
  const values = (row.customFields as StoredCustomField[] | undefined) ?? [];
  return defs.map((d) => {
    const v = values.find((x) => x.id === d.id)?.value;
    const view: CustomFieldView = {
      id: d.id,
      caption: String(d.caption),
      type: String(d.fieldTypeIdentifier),
      entryMethod: String(d.entryTypeIdentifier),
      numberOfDecimals: Number(d.numberDecimals ?? 0),
      connectWiseId: String(d.connectWiseId ?? `${d.id}`),
    };
    if (v !== undefined && v !== null && v !== '') view.value = v;
    return view;
  });
}

export function refIdOf(row: Row, field: string): number | undefined {
  return (row[field] as StoredRef | undefined)?.id;
}
