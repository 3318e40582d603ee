import type { Row, TableDef } from '../catalog/types.ts';
import {
  compileChildConditions,
  compileConditions,
  compileCustomFieldConditions,
  type FieldResolver,
  type IndexableTerm,
  indexableTerms,
  type Predicate,
} from '../conditions/compile.ts';
import { ConditionError, type ConditionExpr, parseConditions } from '../conditions/parse.ts';
import type { Database } from '../store/database.ts';
import type { Table } from '../store/table.ts';
import { customFieldElement, customFieldItems, fieldResolver } from './schema.ts';

export interface QueryParams {
  conditions?: string;
  childConditions?: string;
  customFieldConditions?: string;
  orderBy?: string;
}

export interface PageRequest {
  page: number;
  pageSize: number;
  forwardOnly: boolean;
  pageId: number;
}

export interface PageResult {
  rows: Row[];
  /** Total matches (navigable paging only). */
  total?: number;
}

interface CompiledQuery {
  predicate?: (row: Row) => boolean;
  terms: IndexableTerm[];
  compare?: (a: Row, b: Row) => number;
  sortKeys?: SortKey[];
}

interface SortKey {
  get: (row: unknown) => unknown;
  desc: boolean;
  kind: string;
}

function both(a: Predicate | undefined, b: Predicate): Predicate {
  return a ? (row) => a(row) === true && b(row) === true : b;
}

export function parseOrderBy(text: string, resolve: FieldResolver): SortKey[] {
  const keys: SortKey[] = [];
  for (const part of text.split(',')) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const dir = (words[1] ?? 'asc').toLowerCase();
    if (words.length > 2 || (dir !== 'asc' && dir !== 'desc')) {
      throw new ConditionError(`orderBy '${part.trim()}' is not valid; use 'field [asc|desc]'.`);
    }
    const path = (words[0] as string).split('/').filter(Boolean);
    const b = resolve(path);
    if (!b || b.kind === 'array') throw new ConditionError(`Unknown orderBy field '${words[0]}'.`);
    keys.push({ get: b.get, desc: dir === 'desc', kind: b.kind });
  }
  return keys;
}

/** Compiles the query parameters for one table; throws ConditionError on bad input (→ 400). */
export function compileQuery(db: Database, def: TableDef, params: QueryParams): CompiledQuery {
  const resolve = fieldResolver(db, def);
  let predicate: Predicate | undefined;
  let terms: IndexableTerm[] = [];
  if (params.conditions?.trim()) {
    const expr: ConditionExpr = parseConditions(params.conditions);
    predicate = compileConditions(expr, resolve);
    terms = indexableTerms(expr, resolve);
  }
  if (params.childConditions?.trim()) {
    predicate = both(predicate, compileChildConditions(parseConditions(params.childConditions, false), resolve));
  }
  if (params.customFieldConditions?.trim()) {
    const expr = parseConditions(params.customFieldConditions);
    predicate = both(predicate, compileCustomFieldConditions(expr, customFieldItems(db, def), customFieldElement));
  }
  const out: CompiledQuery = { terms };
  if (predicate) {
    const p = predicate;
    out.predicate = (row) => p(row) === true;
  }
  if (params.orderBy?.trim()) out.sortKeys = parseOrderBy(params.orderBy, resolve);
  return out;
}

function compareValues(a: unknown, b: unknown, kind: string): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1; // SQL Server sorts NULL first ascending
  if (kind === 'string' || kind === 'any') {
    const x = String(a).toLowerCase();
    const y = String(b).toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (kind === 'boolean') return Number(a) - Number(b);
  return (a as number) - (b as number);
}

function sortRows(rows: Row[], keys: SortKey[]): Row[] {
  // Decorate once: reference lookups are the expensive part.
  const decorated = rows.map((row) => ({ row, k: keys.map((key) => key.get(row)) }));
  decorated.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as SortKey;
      const c = compareValues(x.k[i], y.k[i], key.kind);
      if (c !== 0) return key.desc ? -c : c;
    }
    return x.row.id - y.row.id; // stable paging
  });
  return decorated.map((d) => d.row);
}

/** Smallest candidate set an index can give for the conjunctive terms, in id order; undefined = scan. */
function candidatesFromIndexes(table: Table, terms: IndexableTerm[]): readonly Row[] | undefined {
  let best: { size: number; rows: () => Row[] } | undefined;
  const consider = (size: number, rows: () => Row[]) => {
    if (!best || size < best.size) best = { size, rows };
  };
  for (const term of terms) {
    const { index, op, values } = term;
    if (index.type === 'id') {
      if (op === '=' || op === 'in') {
        consider(values.length, () =>
          [...new Set(values)]
            .map((v) => table.get(Number(v)))
            .filter((r): r is Row => r !== undefined)
            .sort((a, b) => a.id - b.id),
        );
      } else {
        const rows = table.idRange(op, Number(values[0]));
        consider(rows.length, () => [...rows]);
      }
    } else if (index.type === 'updated') {
      if (op === '=' || op === 'in') continue;
      const v = Number(values[0]);
      consider(table.updatedRangeSize(op, v), () => [...table.updatedRange(op, v)].sort((a, b) => a.id - b.id));
    } else {
      const sets = values.map((v) => table.lookup(index.field, v));
      const size = sets.reduce((n, s) => n + (s?.size ?? 0), 0);
      consider(size, () => {
        const all = new Set<Row>();
        for (const s of sets) if (s) for (const r of s) all.add(r);
        return [...all].sort((a, b) => a.id - b.id);
      });
    }
  }
  if (!best || best.size >= table.size) return undefined;
  return best.rows();
}

/**
 * Runs a list query. `source` is the table itself (indexes usable) or an id-ordered subset
 * (children of one parent).
 */
export function runQuery(
  table: Table,
  source: readonly Row[] | undefined,
  q: CompiledQuery,
  page: PageRequest,
): PageResult {
  let rows: readonly Row[] = source ?? candidatesFromIndexes(table, q.terms) ?? table.all();
  const fullTable = rows === table.all();
  if (page.forwardOnly) {
    // Forward-only: id order, `id > pageId`, scan lazily until the page is full.
    const start = fullTable ? table.positionAfterId(page.pageId) : lowerBoundId(rows, page.pageId);
    const out: Row[] = [];
    for (let i = start; i < rows.length && out.length < page.pageSize; i++) {
      const r = rows[i] as Row;
      if (!q.predicate || q.predicate(r)) out.push(r);
    }
    return { rows: out };
  }
  if (q.predicate) rows = rows.filter(q.predicate);
  if (q.sortKeys && q.sortKeys.length > 0) rows = sortRows([...rows], q.sortKeys);
  const offset = (page.page - 1) * page.pageSize;
  return { rows: rows.slice(offset, offset + page.pageSize), total: rows.length };
}

function lowerBoundId(rows: readonly Row[], id: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as Row).id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function countQuery(table: Table, source: readonly Row[] | undefined, q: CompiledQuery): number {
  const rows = source ?? candidatesFromIndexes(table, q.terms) ?? table.all();
  if (!q.predicate) return rows.length;
  let n = 0;
  for (const r of rows) if (q.predicate(r)) n++;
  return n;
}
