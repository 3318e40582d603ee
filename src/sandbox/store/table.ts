import type { Row, StoredRef, TableDef } from '../catalog/types.ts';

/** Key of a row in a hash index: reference ids, numbers, and case-folded strings. */
export function indexKey(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object') return (value as StoredRef).id;
  if (typeof value === 'string') return value.toLowerCase();
  return value;
}

function byUpdated(a: Row, b: Row): number {
  return a._lu - b._lu || a.id - b.id;
}

const ID_BITS = 2 ** 21;

/**
 * Orders rows by (lastUpdated, id). Large seed sets use one packed numeric key per row
 * (whole seconds × 2^21 + id, exact below 2^53) and a native typed-array sort.
 */
function sortByUpdated(rows: readonly Row[]): Row[] {
  const packable = rows.length > 10_000 && rows.every((r) => r.id < ID_BITS && r._lu % 1000 === 0 && r._lu >= 0);
  if (!packable) return [...rows].sort(byUpdated);
  const keys = new Float64Array(rows.length);
  const byId: Row[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Row;
    keys[i] = (r._lu / 1000) * ID_BITS + r.id;
    byId[r.id] = r;
  }
  keys.sort();
  const out = new Array<Row>(rows.length);
  for (let i = 0; i < keys.length; i++) out[i] = byId[(keys[i] as number) % ID_BITS] as Row;
  return out;
}

/** Lowest index i such that !before(arr[i]). */
function lowerBound<T>(arr: readonly T[], before: (x: T) => boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(arr[mid] as T)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One collection in memory. Rows are immutable: a write swaps the row object, which keeps the
 * id-ordered array, the lastUpdated-ordered array and the hash indexes consistent in O(log n + move).
 */
export class Table {
  readonly def: TableDef;
  nextId = 1;
  /** Bumped on every change (lets derived caches notice writes). */
  version = 0;
  /** Rows by id: ids are handed out sequentially, so a dense array beats a Map at a million rows. */
  private byId: (Row | undefined)[] = [];
  private count = 0;
  private ordered: Row[] = [];
  private updated: Row[] = [];
  private readonly hashes = new Map<string, Map<unknown, Set<Row>>>();

  constructor(def: TableDef) {
    this.def = def;
    for (const f of def.indexes ?? []) this.hashes.set(f, new Map());
    if (def.parent && !this.hashes.has(def.parent.field)) this.hashes.set(def.parent.field, new Map());
  }

  get size(): number {
    return this.ordered.length;
  }

  get(id: number): Row | undefined {
    return Number.isInteger(id) && id >= 0 ? this.byId[id] : undefined;
  }

  /** Rows in ascending id order; callers must not mutate the array. */
  all(): readonly Row[] {
    return this.ordered;
  }

  /** Loads many rows at once (seed data); ids need not be sorted. */
  bulkLoad(rows: Row[]): void {
    this.version++;
    let sorted = true;
    let prev = -Infinity;
    for (const row of rows) {
      if (!Number.isInteger(row.id) || row.id < 1) throw new Error(`bad id ${row.id} in ${this.def.key}`);
      if (!this.byId[row.id]) this.count++;
      this.byId[row.id] = row;
      this.addHashes(row);
      if (row.id >= this.nextId) this.nextId = row.id + 1;
      if (row.id <= prev) sorted = false;
      prev = row.id;
    }
    this.ordered =
      sorted && this.count === rows.length ? rows.slice() : this.byId.filter((r): r is Row => r !== undefined);
    this.updated = sortByUpdated(this.ordered);
  }

  insert(row: Row): void {
    this.version++;
    if (!Number.isInteger(row.id) || row.id < 1) throw new Error(`bad id ${row.id} in ${this.def.key}`);
    if (this.byId[row.id]) throw new Error(`duplicate id ${row.id} in ${this.def.key}`);
    this.byId[row.id] = row;
    this.count++;
    const last = this.ordered[this.ordered.length - 1];
    if (!last || last.id < row.id) this.ordered.push(row);
    else
      this.ordered.splice(
        lowerBound(this.ordered, (r) => r.id < row.id),
        0,
        row,
      );
    this.insertUpdated(row);
    this.addHashes(row);
    if (row.id >= this.nextId) this.nextId = row.id + 1;
  }

  replace(next: Row): void {
    this.version++;
    const prev = this.byId[next.id];
    if (!prev) throw new Error(`no row ${next.id} in ${this.def.key}`);
    this.byId[next.id] = next;
    const at = lowerBound(this.ordered, (r) => r.id < next.id);
    this.ordered[at] = next;
    this.removeUpdated(prev);
    this.insertUpdated(next);
    this.removeHashes(prev);
    this.addHashes(next);
  }

  remove(id: number): Row | undefined {
    const prev = this.get(id);
    if (!prev) return undefined;
    this.version++;
    this.byId[id] = undefined;
    this.count--;
    this.ordered.splice(
      lowerBound(this.ordered, (r) => r.id < id),
      1,
    );
    this.removeUpdated(prev);
    this.removeHashes(prev);
    return prev;
  }

  /** Rows whose id satisfies `op value`, ascending id. */
  idRange(op: '<' | '<=' | '>' | '>=', value: number): readonly Row[] {
    const lt = lowerBound(this.ordered, (r) => r.id < value);
    const le = lowerBound(this.ordered, (r) => r.id <= value);
    if (op === '<') return this.ordered.slice(0, lt);
    if (op === '<=') return this.ordered.slice(0, le);
    if (op === '>') return this.ordered.slice(le);
    return this.ordered.slice(lt);
  }

  /** Index of the first row with id > value in the id order. */
  positionAfterId(value: number): number {
    return lowerBound(this.ordered, (r) => r.id <= value);
  }

  /** Rows whose lastUpdated satisfies `op value`, in lastUpdated order. */
  updatedRange(op: '<' | '<=' | '>' | '>=', value: number): readonly Row[] {
    const lt = lowerBound(this.updated, (r) => r._lu < value);
    const le = lowerBound(this.updated, (r) => r._lu <= value);
    if (op === '<') return this.updated.slice(0, lt);
    if (op === '<=') return this.updated.slice(0, le);
    if (op === '>') return this.updated.slice(le);
    return this.updated.slice(lt);
  }

  /** Count of rows a lastUpdated range holds, without copying. */
  updatedRangeSize(op: '<' | '<=' | '>' | '>=', value: number): number {
    const lt = lowerBound(this.updated, (r) => r._lu < value);
    const le = lowerBound(this.updated, (r) => r._lu <= value);
    if (op === '<') return lt;
    if (op === '<=') return le;
    if (op === '>') return this.updated.length - le;
    return this.updated.length - lt;
  }

  hasHash(field: string): boolean {
    return this.hashes.has(field);
  }

  /** Rows whose indexed field equals the key (see indexKey). */
  lookup(field: string, key: unknown): ReadonlySet<Row> | undefined {
    return this.hashes.get(field)?.get(indexKey(key));
  }

  private insertUpdated(row: Row): void {
    const last = this.updated[this.updated.length - 1];
    if (!last || byUpdated(last, row) < 0) this.updated.push(row);
    else
      this.updated.splice(
        lowerBound(this.updated, (r) => byUpdated(r, row) < 0),
        0,
        row,
      );
  }

  private removeUpdated(row: Row): void {
    const at = lowerBound(this.updated, (r) => byUpdated(r, row) < 0);
    if (this.updated[at] === row) this.updated.splice(at, 1);
    else {
      const i = this.updated.indexOf(row);
      if (i >= 0) this.updated.splice(i, 1);
    }
  }

  private addHashes(row: Row): void {
    for (const [field, map] of this.hashes) {
      const key = indexKey(row[field]);
      if (key === undefined) continue;
      let set = map.get(key);
      if (!set) {
        set = new Set();
        map.set(key, set);
      }
      set.add(row);
    }
  }

  private removeHashes(row: Row): void {
    for (const [field, map] of this.hashes) {
      const key = indexKey(row[field]);
      if (key === undefined) continue;
      const set = map.get(key);
      set?.delete(row);
      if (set && set.size === 0) map.delete(key);
    }
  }
}
