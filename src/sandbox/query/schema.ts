import type { FieldSpec, Row, StoredRef, TableDef } from '../catalog/types.ts';
import type { ArrayBinding, FieldBinding, FieldResolver, ValueKind } from '../conditions/compile.ts';
import { customFieldsOf, type Database } from '../store/database.ts';

const META: Record<string, { kind: ValueKind; key: '_lu' | '_de' | '_ub' | '_eb' }> = {
  lastupdated: { kind: 'datetime', key: '_lu' },
  dateentered: { kind: 'datetime', key: '_de' },
  datecreated: { kind: 'datetime', key: '_de' },
  updatedby: { kind: 'string', key: '_ub' },
  enteredby: { kind: 'string', key: '_eb' },
  createdby: { kind: 'string', key: '_eb' },
};

function lowerMap(fields: Record<string, FieldSpec>): Map<string, string> {
  return new Map(Object.keys(fields).map((k) => [k.toLowerCase(), k]));
}

function scalarKind(spec: FieldSpec): ValueKind | undefined {
  switch (spec.t) {
    case 'string':
    case 'uuid':
      return 'string';
    case 'int':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'datetime':
      return 'datetime';
    default:
      return undefined;
  }
}

/** Binds `to/prop` of a reference (or of an element that holds a reference). */
function refBinding(
  db: Database,
  to: string,
  prop: string,
  read: (x: unknown) => StoredRef | undefined,
): FieldBinding | undefined {
  if (prop === 'id') return { kind: 'number', get: (x) => read(x)?.id };
  const target = db.table(to).def;
  const canonical = [...target.refFields, 'name', 'identifier'].find((f) => f.toLowerCase() === prop);
  if (!canonical) return undefined;
  const spec = target.fields[canonical];
  const kind: ValueKind = spec ? (scalarKind(spec) ?? 'string') : 'string';
  return {
    kind,
    get: (x) => {
      const id = read(x)?.id;
      return id === undefined ? undefined : db.refProperty(to, id, canonical);
    },
  };
}

function elementResolver(db: Database, fields: Record<string, FieldSpec>): FieldResolver {
  const names = lowerMap(fields);
  return (path) => {
    const name = names.get((path[0] ?? '').toLowerCase());
    const spec = name ? fields[name] : undefined;
    if (!name || !spec) return undefined;
    if (spec.t === 'ref') {
      if (path.length !== 2) return undefined;
      return refBinding(db, spec.to, (path[1] as string).toLowerCase(), (x) => (x as Record<string, StoredRef>)[name]);
    }
    const kind = scalarKind(spec);
    if (!kind || path.length !== 1) return undefined;
    return { kind, get: (x) => (x as Record<string, unknown>)[name] };
  };
}

const CUSTOM_FIELD_ELEMENT: Record<string, FieldBinding> = {
  id: { kind: 'number', get: (x) => (x as { id: number }).id },
  caption: { kind: 'string', get: (x) => (x as { caption: string }).caption },
  type: { kind: 'string', get: (x) => (x as { type: string }).type },
  entrymethod: { kind: 'string', get: (x) => (x as { entryMethod: string }).entryMethod },
  numberofdecimals: { kind: 'number', get: (x) => (x as { numberOfDecimals: number }).numberOfDecimals },
  value: { kind: 'any', get: (x) => (x as { value?: unknown }).value },
};

export const customFieldElement: FieldResolver = (path) =>
  path.length === 1 ? CUSTOM_FIELD_ELEMENT[(path[0] as string).toLowerCase()] : undefined;

export function customFieldItems(db: Database, def: TableDef): (row: unknown) => readonly unknown[] {
  return (row) => customFieldsOf(db, def, row as Row);
}

/** Resolves condition / orderBy paths (case-insensitive) against a table's fields. */
export function fieldResolver(db: Database, def: TableDef): FieldResolver {
  const names = lowerMap(def.fields);
  const table = db.table(def.key);
  const derivedProps = def.derived ? Object.keys(def.derived({ id: 0, _lu: 0, _de: 0, _ub: '', _eb: '' })) : [];
  return (path) => {
    const head = (path[0] ?? '').toLowerCase();
    if (head === 'id' && path.length === 1) return { kind: 'number', get: (r) => (r as Row).id, index: { type: 'id' } };
    const metaName = head === '_info' && path.length === 2 ? (path[1] as string).toLowerCase() : undefined;
    const name = names.get(head);
    if (metaName !== undefined || (!name && path.length === 1 && META[head])) {
      const meta = META[metaName ?? head];
      if (!meta) return undefined;
      return {
        kind: meta.kind,
        get: (r) => (r as Row)[meta.key],
        ...(meta.key === '_lu' ? { index: { type: 'updated' as const } } : {}),
      };
    }
    if (!name) {
      const derived = derivedProps.find((p) => p.toLowerCase() === head);
      if (derived && path.length === 1 && def.derived) {
        const fn = def.derived;
        return { kind: 'string', get: (r) => fn(r as Row)[derived] };
      }
      return undefined;
    }
    const spec = def.fields[name] as FieldSpec;
    const hash = table.hasHash(name) ? { index: { type: 'hash' as const, field: name } } : {};
    switch (spec.t) {
      case 'ref': {
        if (path.length !== 2) return undefined;
        const sub = (path[1] as string).toLowerCase();
        const b = refBinding(db, spec.to, sub, (r) => (r as Record<string, StoredRef>)[name]);
        return b && sub === 'id' ? { ...b, ...hash } : b;
      }
      case 'refs': {
        const element = elementResolver(db, { id: { t: 'int' }, name: { t: 'string' } });
        const to = spec.to;
        const arr: ArrayBinding = {
          kind: 'array',
          items: (r) =>
            ((r as Record<string, StoredRef[]>)[name] ?? []).map((x) => ({
              id: x.id,
              name: db.refProperty(to, x.id, 'name'),
            })),
          element,
        };
        return path.length === 1 ? arr : undefined;
      }
      case 'items': {
        if (path.length !== 1) return undefined;
        return {
          kind: 'array',
          items: (r) => (r as Record<string, unknown[]>)[name] ?? [],
          element: elementResolver(db, spec.of),
        };
      }
      case 'customFields':
        return path.length === 1
          ? { kind: 'array', items: customFieldItems(db, def), element: customFieldElement }
          : undefined;
      default: {
        const kind = scalarKind(spec);
        if (!kind || path.length !== 1) return undefined;
        return { kind, get: (r) => (r as Row)[name], ...hash };
      }
    }
  };
}
