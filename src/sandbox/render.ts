import { tableDef } from './catalog/tables.ts';
import type { FieldSpec, Row, StoredRef, TableDef } from './catalog/types.ts';
import { isoDate } from './dates.ts';
import { customFieldsOf, type Database } from './store/database.ts';

export { isoDate };

export interface RenderContext {
  db: Database;
  /** Absolute base of hrefs, ending in `apis/3.0/`. */
  apiBase: string;
  /** Rendered references of this response, by `table:id` (a page repeats the same companies, types, …). */
  refCache?: Map<string, Record<string, unknown>>;
}

interface PlanEntry {
  name: string;
  spec: FieldSpec;
}

const plans = new WeakMap<TableDef, PlanEntry[]>();

/** Fields a full record renders, in the table's order (POST-only, write-only and custom fields excluded). */
function renderPlan(def: TableDef): PlanEntry[] {
  let plan = plans.get(def);
  if (!plan) {
    plan = Object.entries(def.fields)
      .filter(
        ([, spec]) =>
          !('postOnly' in spec && spec.postOnly) &&
          !('writeOnly' in spec && spec.writeOnly) &&
          spec.t !== 'customFields',
      )
      .map(([name, spec]) => ({ name, spec }));
    plans.set(def, plan);
  }
  return plan;
}

function parentIdOf(def: TableDef, row: Row): number | undefined {
  if (!def.parent) return undefined;
  const v = row[def.parent.field];
  return def.parent.kind === 'ref' ? (v as StoredRef | undefined)?.id : (v as number | undefined);
}

/** Path of a row under apis/3.0/ (child rows include their parent id). */
export function rowPath(def: TableDef, row: Row): string {
  const base = def.parent ? def.path.replace('{parentId}', String(parentIdOf(def, row) ?? 0)) : def.path;
  return `${base}/${row.id}`;
}

export function renderRef(ctx: RenderContext, to: string, ref: StoredRef): Record<string, unknown> {
  if (!ctx.refCache) return buildRef(ctx, to, ref);
  const key = `${to}:${ref.id}`;
  let out = ctx.refCache.get(key);
  if (!out) {
    out = buildRef(ctx, to, ref);
    ctx.refCache.set(key, out);
  }
  return out;
}

function buildRef(ctx: RenderContext, to: string, ref: StoredRef): Record<string, unknown> {
  const table = ctx.db.tables.get(to);
  const target = table?.get(ref.id);
  const out: Record<string, unknown> = { id: ref.id };
  const def = table?.def ?? tableDef(to);
  if (target) {
    const derived = def.derived?.(target);
    for (const f of def.refFields) {
      const v = f in target ? target[f] : derived?.[f];
      if (v !== undefined && v !== null) out[f] = v;
    }
  }
  out._info = {
    [def.hrefName]: ctx.apiBase + (target ? rowPath(def, target) : `${def.path.replace('{parentId}', '0')}/${ref.id}`),
  };
  return out;
}

function renderValue(ctx: RenderContext, spec: FieldSpec, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (spec.t) {
    case 'datetime':
      return isoDate(value as number);
    case 'ref':
      return renderRef(ctx, spec.to, value as StoredRef);
    case 'refs':
      return (value as StoredRef[]).map((r) => renderRef(ctx, spec.to, r));
    case 'items':
    case 'objects':
      return (value as Record<string, unknown>[]).map((item) => {
        const out: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(spec.of)) {
          const v = renderValue(ctx, s, item[k]);
          if (v !== undefined) out[k] = v;
        }
        return out;
      });
    default:
      return value;
  }
}

/** Renders a stored row as ConnectWise returns it: nulls omitted, refs expanded, `_info` last but one. */
export function renderRow(ctx: RenderContext, def: TableDef, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = { id: row.id };
  for (const { name, spec } of renderPlan(def)) {
    const raw = row[name];
    if (raw === undefined || raw === null) continue;
    const v = renderValue(ctx, spec, raw);
    if (v !== undefined) out[name] = v;
  }
  if (def.renderExtras) Object.assign(out, def.renderExtras(row));
  const info: Record<string, string> = {
    lastUpdated: isoDate(row._lu),
    updatedBy: row._ub,
    dateEntered: isoDate(row._de),
    enteredBy: row._eb,
  };
  if (def.links) for (const [k, v] of Object.entries(def.links(row))) info[k] = ctx.apiBase + v;
  out._info = info;
  if (def.fields.customFields) out.customFields = customFieldsOf(ctx.db, def, row);
  return out;
}

export type FieldTree = Map<string, FieldTree>;

/** Parses `fields=id,name,status/name` into a tree (names case-insensitive). */
export function parseFields(text: string): FieldTree | undefined {
  const tree: FieldTree = new Map();
  for (const part of text.split(',')) {
    const segs = part.trim().split('/').filter(Boolean);
    if (segs.length === 0) continue;
    let node = tree;
    for (const seg of segs) {
      const key = seg.toLowerCase();
      let next = node.get(key);
      if (!next) {
        next = new Map();
        node.set(key, next);
      }
      node = next;
    }
  }
  return tree.size > 0 ? tree : undefined;
}

/** Partial response: keeps only the listed paths; a listed object without sub-paths is kept whole. */
export function project(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => project(v, tree));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = tree.get(k.toLowerCase());
    if (!sub) continue;
    out[k] = sub.size === 0 ? v : project(v, sub);
  }
  return out;
}
