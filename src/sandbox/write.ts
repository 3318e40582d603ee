import { tableDef } from './catalog/tables.ts';
import type { FieldSpec, Row, StoredCustomField, StoredRef, TableDef } from './catalog/types.ts';
import { parseDateInput, toSecond } from './dates.ts';
import type { Database } from './store/database.ts';

export interface ValidationError {
  code: string;
  message: string;
  resource: string;
  field: string;
}

/** A write the API answers with 400 InvalidObject. */
export class InvalidObjectError extends Error {
  override readonly name = 'InvalidObjectError';
  constructor(
    readonly resource: string,
    readonly errors: ValidationError[],
  ) {
    super(`${resource} object is invalid`);
  }
}

export interface WriteContext {
  db: Database;
  now: number;
  /** Member identifier recorded in `_info.updatedBy` / `enteredBy`. */
  actor: string;
  /** Model version the caller asked for (Accept header) as major*100+minor, e.g. 202501. */
  version: number;
}

export interface WriteResult {
  row: Row;
  /** POST-only inputs (initialDescription, skipCallback, …): acted on, never stored. */
  postOnly: Record<string, unknown>;
  /** Company POST: the name of the main site to create. */
  siteName?: string;
}

export type PatchOp = { op: string; path: string; value?: unknown };

/** Company identifier/name were 30/50 long before the 2026 models (OpenAPI README). */
function maxLength(def: TableDef, field: string, spec: { max?: number }, version: number): number | undefined {
  if (def.key === 'companies' && version < 202600) {
    if (field === 'identifier') return 30;
    if (field === 'name') return 50;
  }
  return spec.max;
}

class Collector {
  readonly errors: ValidationError[] = [];
  constructor(readonly resource: string) {}
  add(code: string, field: string, message: string): void {
    this.errors.push({ code, message, resource: this.resource, field });
  }
}

function refLabel(db: Database, to: string, row: Row, prop: string): unknown {
  if (prop in row) return row[prop];
  return db.table(to).def.derived?.(row)[prop];
}

/** Finds the target of an input reference given by id, identifier or name (within a scope when given). */
function resolveRef(
  ctx: WriteContext,
  to: string,
  input: Record<string, unknown>,
  field: string,
  errs: Collector,
  scope?: { field: string; id: number | undefined },
): StoredRef | undefined | null {
  const table = ctx.db.table(to);
  const def = table.def;
  const scopeText =
    scope?.id !== undefined && def.parent ? ` for ${tableDef(def.parent.table).typeName} ${scope.id}` : '';
  const inScope = (row: Row) => {
    if (!scope || scope.id === undefined || !def.parent) return true;
    const v = row[def.parent.field];
    return (def.parent.kind === 'ref' ? (v as StoredRef | undefined)?.id : v) === scope.id;
  };
  const id = input.id ?? input.Id ?? input.ID;
  if (id !== undefined && id !== null) {
    const n = Number(id);
    const row = Number.isInteger(n) ? table.get(n) : undefined;
    if (!row || !inScope(row)) {
      errs.add('NotFound', `${field}/id`, `${def.typeName} ${String(id)} not found${scopeText}`);
      return undefined;
    }
    return { id: row.id };
  }
  for (const prop of ['identifier', 'name', 'summary', 'description', 'caption']) {
    const raw = input[prop];
    if (raw === undefined || raw === null) continue;
    const want = String(raw).toLowerCase();
    const indexed = table.hasHash(prop) ? table.lookup(prop, want) : undefined;
    const candidates: Iterable<Row> = indexed ?? table.all();
    for (const row of candidates) {
      const v = refLabel(ctx.db, to, row, prop);
      if (typeof v === 'string' && v.toLowerCase() === want && inScope(row)) return { id: row.id };
    }
    errs.add('NotFound', `${field}/${prop}`, `${def.typeName} '${String(raw)}' not found${scopeText}`);
    return undefined;
  }
  return null;
}

function convert(
  ctx: WriteContext,
  def: TableDef,
  name: string,
  spec: FieldSpec,
  value: unknown,
  errs: Collector,
  draft: Row,
): unknown {
  if (value === null || value === undefined) return undefined;
  const bad = (what: string) => {
    errs.add('InvalidField', name, `The field ${name} ${what}.`);
    return undefined;
  };
  switch (spec.t) {
    case 'string':
    case 'uuid': {
      if (typeof value === 'object') return bad('must be a string');
      let s = String(value);
      if (spec.t === 'string' && spec.enum) {
        const hit = spec.enum.find((e) => e.toLowerCase() === s.toLowerCase());
        if (!hit) return bad(`must be one of: ${spec.enum.join(', ')}`);
        s = hit;
      }
      const max = spec.t === 'string' ? maxLength(def, name, spec, ctx.version) : undefined;
      if (max !== undefined && s.length > max) {
        errs.add('MaxLengthField', name, `The field ${name} must be a string with a maximum length of ${max}.`);
        return undefined;
      }
      return s;
    }
    case 'int':
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || (spec.t === 'int' && !Number.isInteger(n))) {
        return bad(spec.t === 'int' ? 'must be an integer' : 'must be a number');
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        errs.add('OutOfRange', name, `The field ${name} must be between ${spec.min} and ${spec.max}.`);
        return undefined;
      }
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return bad('must be true or false');
    case 'datetime': {
      const ms = typeof value === 'string' ? parseDateInput(value) : undefined;
      return ms === undefined ? bad('must be a date in the format YYYY-MM-DDTHH:MM:SSZ') : ms;
    }
    case 'ref': {
      if (typeof value !== 'object' || Array.isArray(value)) return bad('must be a reference object');
      const scope =
        spec.scopeField !== undefined
          ? {
              field: spec.scopeField,
              id:
                spec.scopeField === 'id'
                  ? draft.id
                  : ((draft[spec.scopeField] as StoredRef | undefined)?.id ?? undefined),
            }
          : undefined;
      const r = resolveRef(ctx, spec.to, value as Record<string, unknown>, name, errs, scope);
      return r ?? undefined;
    }
    case 'refs': {
      if (!Array.isArray(value)) return bad('must be an array');
      const out: StoredRef[] = [];
      for (const v of value) {
        if (v && typeof v === 'object') {
          const r = resolveRef(ctx, spec.to, v as Record<string, unknown>, name, errs);
          if (r) out.push(r);
        }
      }
      return out;
    }
    case 'strings':
      return Array.isArray(value) ? value.map(String) : bad('must be an array of strings');
    case 'ints':
      return Array.isArray(value) ? value.map(Number) : bad('must be an array of integers');
    case 'items': {
      if (!Array.isArray(value)) return bad('must be an array');
      const existing = (draft[name] as Record<string, unknown>[] | undefined) ?? [];
      return value.map((raw) => {
        const item = (raw ?? {}) as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(spec.of)) {
          if (k === 'id') continue;
          const key = Object.keys(item).find((x) => x.toLowerCase() === k.toLowerCase());
          const v = key === undefined ? undefined : convert(ctx, def, `${name}/${k}`, s, item[key], errs, draft);
          if (v !== undefined) out[k] = v;
        }
        const keep = existing.find((e) => e.id === item.id);
        out.id = keep ? keep.id : ctx.db.nextCommunicationId++;
        return finishCommunicationItem(ctx.db, out);
      });
    }
    case 'objects': {
      if (!Array.isArray(value)) return bad('must be an array');
      return value.map((raw, i) => {
        if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
          errs.add('InvalidField', `${name}/${i}`, `The field ${name} must be an array of objects.`);
          return {};
        }
        const item = raw as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(spec.of)) {
          const key = Object.keys(item).find((x) => x.toLowerCase() === k.toLowerCase());
          const v = key === undefined ? undefined : convert(ctx, def, `${name}/${k}`, s, item[key], errs, draft);
          if (v !== undefined) out[k] = v;
        }
        return out;
      });
    }
    case 'customFields': {
      if (!Array.isArray(value)) return bad('must be an array');
      const out: StoredCustomField[] = [];
      for (const raw of value) {
        const item = (raw ?? {}) as Record<string, unknown>;
        const udf = ctx.db.table('userDefinedFields').get(Number(item.id));
        if (!udf || String(udf.screenId).toLowerCase() !== def.customFieldScreen?.toLowerCase()) {
          errs.add('NotFound', 'customFields/id', `Custom Field ${String(item.id)} not found`);
          continue;
        }
        if (item.value !== undefined && item.value !== null && item.value !== '')
          out.push({ id: udf.id, value: item.value });
      }
      return out;
    }
  }
}

/** Derives `communicationType` and `domain` the way CW fills them from the communication type. */
export function finishCommunicationItem(db: Database, item: Record<string, unknown>): Record<string, unknown> {
  const typeId = (item.type as StoredRef | undefined)?.id;
  const type = typeId === undefined ? undefined : db.table('communicationTypes').get(typeId);
  if (type) {
    item.communicationType = type.emailFlag ? 'Email' : type.faxFlag ? 'Fax' : 'Phone';
  }
  if (item.communicationType === 'Email' && typeof item.value === 'string' && item.value.includes('@')) {
    item.domain = item.value.slice(item.value.indexOf('@'));
  } else delete item.domain;
  if (item.defaultFlag === undefined) item.defaultFlag = false;
  return item;
}

function isReadOnly(spec: FieldSpec): boolean {
  return 'readOnly' in spec && spec.readOnly === true;
}

function isPostOnly(spec: FieldSpec): boolean {
  return 'postOnly' in spec && spec.postOnly === true;
}

/** Field order matters: references that scope others (board, company) are resolved first. */
function orderedFields(def: TableDef): [string, FieldSpec][] {
  const entries = Object.entries(def.fields);
  const scoped = (s: FieldSpec) => s.t === 'ref' && s.scopeField !== undefined;
  return [...entries.filter(([, s]) => !scoped(s)), ...entries.filter(([, s]) => scoped(s))];
}

function applyInput(
  ctx: WriteContext,
  def: TableDef,
  draft: Row,
  input: Record<string, unknown>,
  errs: Collector,
  caseInsensitive: boolean,
  allowPostOnly: boolean,
): Record<string, unknown> {
  const postOnly: Record<string, unknown> = {};
  const keys = Object.keys(input);
  for (const [name, spec] of orderedFields(def)) {
    const key = caseInsensitive
      ? keys.find((k) => k.toLowerCase() === name.toLowerCase())
      : keys.find((k) => k === name);
    if (key === undefined) continue;
    if (isReadOnly(spec)) continue;
    if (isPostOnly(spec)) {
      if (allowPostOnly) postOnly[name] = input[key];
      continue;
    }
    if (def.key === 'companies' && name === 'site' && draft.id === 0) continue; // created with the company
    const v = convert(ctx, def, name, spec, input[key], errs, draft);
    if (v === undefined) delete draft[name];
    else draft[name] = v;
  }
  return postOnly;
}

function finish(ctx: WriteContext, def: TableDef, draft: Row, errs: Collector, previous?: Row): Row {
  if (def.defaults) {
    for (const [k, v] of Object.entries(
      def.defaults({ first: (t, p) => ctx.db.first(t, p), now: toSecond(ctx.now) }, draft),
    )) {
      if (draft[k] === undefined && v !== undefined) draft[k] = v;
    }
  }
  for (const [name, spec] of Object.entries(def.fields)) {
    if (!('required' in spec) || !spec.required) continue;
    const v = draft[name];
    if (v === undefined || v === null || v === '') {
      if (!errs.errors.some((e) => e.field.startsWith(name))) errs.add('NullValue', name, `${name} is required.`);
    }
  }
  // Scoped references must still belong to their scope (e.g. a ticket status to its board).
  for (const [name, spec] of Object.entries(def.fields)) {
    if (spec.t !== 'ref' || !spec.scopeField || spec.scopeField === 'id') continue;
    const ref = draft[name] as StoredRef | undefined;
    const scopeId = (draft[spec.scopeField] as StoredRef | undefined)?.id;
    const target = ref ? ctx.db.table(spec.to).get(ref.id) : undefined;
    const parent = target ? ctx.db.table(spec.to).def.parent : undefined;
    if (!target || !parent || scopeId === undefined) continue;
    if ((target[parent.field] as StoredRef | undefined)?.id !== scopeId) {
      if (!errs.errors.some((e) => e.field.startsWith(name))) {
        errs.add(
          'NotFound',
          `${name}/id`,
          `${ctx.db.table(spec.to).def.typeName} ${ref?.id} not found for ${tableDef(parent.table).typeName} ${scopeId}`,
        );
      }
    }
  }
  for (const u of def.unique ?? []) {
    const v = draft[u.field];
    if (typeof v !== 'string') continue;
    const table = ctx.db.table(def.key);
    const hits: Iterable<Row> = table.hasHash(u.field) ? (table.lookup(u.field, v) ?? []) : table.all();
    for (const other of hits) {
      if (
        other.id !== draft.id &&
        typeof other[u.field] === 'string' &&
        (other[u.field] as string).toLowerCase() === v.toLowerCase()
      ) {
        errs.add('ObjectExists', u.field, u.message);
        break;
      }
    }
  }
  if (errs.errors.length > 0) throw new InvalidObjectError(def.resource, errs.errors);
  if (def.key === 'tickets') applyTicketClosure(ctx, draft, previous);
  const now = toSecond(ctx.now);
  draft._lu = previous ? Math.max(now, previous._lu + 1000) : now;
  draft._ub = ctx.actor;
  return draft;
}

/** A ticket moved to a closed status is closed (closedFlag/closedDate/closedBy), and reopened the other way. */
function applyTicketClosure(ctx: WriteContext, draft: Row, previous?: Row): void {
  const statusId = (draft.status as StoredRef | undefined)?.id;
  const prevStatusId = (previous?.status as StoredRef | undefined)?.id;
  if (statusId !== undefined && statusId !== prevStatusId) {
    const status = ctx.db.table('serviceStatuses').get(statusId);
    if (status) draft.closedFlag = status.closedStatus === true;
  }
  if (draft.closedFlag === true && !draft.closedDate) {
    draft.closedDate = new Date(toSecond(ctx.now)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    draft.closedBy = ctx.actor;
  } else if (draft.closedFlag !== true) {
    delete draft.closedDate;
    delete draft.closedBy;
  }
}

function bodyObject(body: unknown, resource: string): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidObjectError(resource, [
      { code: 'InvalidObject', message: 'The request body must be a JSON object.', resource, field: '' },
    ]);
  }
  return body as Record<string, unknown>;
}

export function buildCreate(ctx: WriteContext, def: TableDef, body: unknown, parentId?: number): WriteResult {
  const input = bodyObject(body, def.resource);
  const errs = new Collector(def.resource);
  const now = toSecond(ctx.now);
  const draft: Row = { id: 0, _lu: now, _de: now, _ub: ctx.actor, _eb: ctx.actor };
  if (def.parent && parentId !== undefined) {
    draft[def.parent.field] = def.parent.kind === 'ref' ? { id: parentId } : parentId;
  }
  const postOnly = applyInput(ctx, def, draft, input, errs, true, true);
  if (def.fields.enteredBy) draft.enteredBy = ctx.actor;
  if (def.key === 'contacts' && Array.isArray(input.typeIds)) {
    draft.types = (input.typeIds as unknown[]).map((id) => ({ id: Number(id) }));
  }
  finish(ctx, def, draft, errs);
  const siteInput = def.key === 'companies' ? (input.site as { name?: unknown } | undefined) : undefined;
  return {
    row: draft,
    postOnly,
    ...(def.key === 'companies' ? { siteName: String(siteInput?.name ?? 'Main') } : {}),
  };
}

/** PUT: the body replaces the record; omitted fields go back to their defaults (DG). */
export function buildReplace(ctx: WriteContext, def: TableDef, existing: Row, body: unknown): WriteResult {
  const input = bodyObject(body, def.resource);
  const errs = new Collector(def.resource);
  const draft: Row = { id: existing.id, _lu: existing._lu, _de: existing._de, _ub: existing._ub, _eb: existing._eb };
  for (const [name, spec] of Object.entries(def.fields)) {
    if (isReadOnly(spec) && existing[name] !== undefined) draft[name] = existing[name];
  }
  if (def.parent) draft[def.parent.field] = existing[def.parent.field];
  if (def.key === 'companies') draft.site = existing.site;
  const postOnly = applyInput(ctx, def, draft, input, errs, true, false);
  return { row: finish(ctx, def, draft, errs, existing), postOnly };
}

/** PATCH: `[{op, path, value}]`, top-level case-sensitive paths only (DG). */
export function buildPatch(ctx: WriteContext, def: TableDef, existing: Row, body: unknown): WriteResult {
  const errs = new Collector(def.resource);
  if (!Array.isArray(body)) {
    throw new InvalidObjectError(def.resource, [
      {
        code: 'InvalidObject',
        message: 'The request body must be an array of patch operations.',
        resource: def.resource,
        field: '',
      },
    ]);
  }
  const draft: Row = { ...existing };
  const input: Record<string, unknown> = {};
  const postOnly: Record<string, unknown> = {};
  for (const raw of body as PatchOp[]) {
    const op = String(raw?.op ?? '').toLowerCase();
    const path = String(raw?.path ?? '').replace(/^\//, '');
    if (!['add', 'replace', 'remove'].includes(op)) {
      errs.add(
        'InvalidPatch',
        path,
        `Patch operation '${String(raw?.op)}' is not supported; use add, replace or remove.`,
      );
      continue;
    }
    if (path.includes('/')) {
      errs.add(
        'InvalidPatch',
        path,
        `Patch path '${path}' is nested; replace the whole '${path.split('/')[0]}' object instead.`,
      );
      continue;
    }
    const spec = def.fields[path];
    if (!spec) {
      errs.add(
        'InvalidField',
        path,
        `The field '${path}' does not exist on ${def.resource} (patch paths are case-sensitive).`,
      );
      continue;
    }
    if (isPostOnly(spec)) {
      postOnly[path] = raw.value;
      continue;
    }
    input[path] = op === 'remove' ? null : raw.value;
  }
  applyInput(ctx, def, draft, input, errs, false, false);
  return { row: finish(ctx, def, draft, errs, existing), postOnly };
}
