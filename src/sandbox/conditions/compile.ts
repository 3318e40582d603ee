import { likeToRegExp } from './like.ts';
import { type CompareOp, ConditionError, type ConditionExpr, LITERAL_FORMAT_HELP, type Literal } from './parse.ts';

/** Three-valued result, as SQL evaluates the WHERE clause CW builds: null = unknown. */
export type Truth = boolean | null;
export type ValueKind = 'string' | 'number' | 'boolean' | 'datetime' | 'any';

export type IndexHint = { type: 'id' } | { type: 'updated' } | { type: 'hash'; field: string };

export interface FieldBinding {
  kind: ValueKind;
  get(row: unknown): unknown;
  index?: IndexHint;
}

export interface ArrayBinding {
  kind: 'array';
  items(row: unknown): readonly unknown[];
  /** Resolves a path inside one element of the array. */
  element: FieldResolver;
}

export type FieldResolver = (path: string[]) => FieldBinding | ArrayBinding | undefined;

export type Predicate = (row: unknown) => Truth;

/** A top-level conjunct that an index can answer (the query engine's planner uses these). */
export interface IndexableTerm {
  index: IndexHint;
  op: '=' | '<' | '<=' | '>' | '>=' | 'in';
  values: (string | number | boolean)[];
}

const KIND_NAMES: Record<Exclude<Literal['kind'], 'null'>, string> = {
  string: 'string',
  number: 'numeric',
  boolean: 'boolean',
  datetime: 'datetime',
};
const FIELD_KIND_NAMES: Record<Exclude<ValueKind, 'any'>, string> = {
  string: 'string',
  number: 'numeric',
  boolean: 'boolean',
  datetime: 'datetime',
};

function checkLiteral(kind: ValueKind, lit: Literal): void {
  if (lit.kind === 'null' || kind === 'any') return;
  if (kind !== lit.kind) {
    throw new ConditionError(
      `Expected a ${FIELD_KIND_NAMES[kind]} value, not a ${KIND_NAMES[lit.kind]}. ${LITERAL_FORMAT_HELP}`,
    );
  }
}

function lower(v: unknown): string {
  return typeof v === 'string' ? v.toLowerCase() : String(v).toLowerCase();
}

/** Compares a stored value with a literal for the `any` kind (custom field values of mixed types). */
function coerceAny(v: unknown, lit: Literal): { a: unknown; b: unknown } | undefined {
  if (lit.kind === 'null') return undefined;
  if (lit.kind === 'string') return { a: lower(v), b: lit.value.toLowerCase() };
  if (lit.kind === 'number' || lit.kind === 'datetime') {
    const n = lit.kind === 'number' ? Number(v) : Date.parse(String(v));
    return Number.isFinite(n) ? { a: n, b: lit.value } : undefined;
  }
  if (typeof v === 'boolean') return { a: v, b: lit.value };
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return { a: v.toLowerCase() === 'true', b: lit.value };
  return undefined;
}

function normalise(kind: ValueKind, v: unknown, lit: Literal): { a: unknown; b: unknown } | undefined {
  if (lit.kind === 'null') return undefined;
  if (kind === 'any') return coerceAny(v, lit);
  if (kind === 'string') return { a: lower(v), b: (lit as { value: string }).value.toLowerCase() };
  return { a: v, b: (lit as { value: unknown }).value };
}

function compareOne(kind: ValueKind, op: CompareOp, v: unknown, lit: Literal): Truth {
  const isNull = v === null || v === undefined;
  if (lit.kind === 'null') {
    if (op === '=') return isNull;
    if (op === '!=') return !isNull;
    return null;
  }
  if (isNull) return null;
  const pair = normalise(kind, v, lit);
  if (!pair) return null;
  const { a, b } = pair as { a: string | number | boolean; b: string | number | boolean };
  switch (op) {
    case '=':
    case 'in':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case 'contains':
      return String(a).includes(String(b));
    case 'like':
      return false; // handled by the caller with a compiled pattern
  }
}

function not(t: Truth): Truth {
  return t === null ? null : !t;
}

function compileComparison(expr: Extract<ConditionExpr, { type: 'cmp' }>, binding: FieldBinding): Predicate {
  const { kind, get } = binding;
  const { op } = expr;
  const literals = Array.isArray(expr.value) ? expr.value : [expr.value];
  for (const lit of literals) checkLiteral(kind, lit);
  if ((op === 'contains' || op === 'like') && kind !== 'string' && kind !== 'any') {
    throw new ConditionError(`The ${op} operator can only be used with string fields ('${expr.path.join('/')}').`);
  }
  if (kind === 'boolean' && op !== '=' && op !== '!=' && op !== 'in') {
    throw new ConditionError(`The ${op} operator can not be used with boolean field '${expr.path.join('/')}'.`);
  }
  let base: Predicate;
  if (op === 'like') {
    const lit = literals[0] as Literal;
    if (lit.kind === 'null') base = () => null;
    else {
      const re = likeToRegExp(String((lit as { value: unknown }).value));
      base = (row) => {
        const v = get(row);
        return v === null || v === undefined ? null : re.test(String(v));
      };
    }
  } else if (op === 'in') {
    base = (row) => {
      const v = get(row);
      let unknown = false;
      for (const lit of literals) {
        const r = compareOne(kind, '=', v, lit);
        if (r === true) return true;
        if (r === null) unknown = true;
      }
      return unknown ? null : false;
    };
  } else {
    const lit = literals[0] as Literal;
    base = (row) => compareOne(kind, op, get(row), lit);
  }
  return expr.negated ? (row) => not(base(row)) : base;
}

function describePath(path: string[]): string {
  return path.join('/');
}

/** Compiles an expression into a three-valued predicate; `resolve` binds field paths to the resource's schema. */
export function compileConditions(expr: ConditionExpr, resolve: FieldResolver): Predicate {
  switch (expr.type) {
    case 'and': {
      const parts = expr.items.map((e) => compileConditions(e, resolve));
      return (row) => {
        let unknown = false;
        for (const p of parts) {
          const r = p(row);
          if (r === false) return false;
          if (r === null) unknown = true;
        }
        return unknown ? null : true;
      };
    }
    case 'or': {
      const parts = expr.items.map((e) => compileConditions(e, resolve));
      return (row) => {
        let unknown = false;
        for (const p of parts) {
          const r = p(row);
          if (r === true) return true;
          if (r === null) unknown = true;
        }
        return unknown ? null : false;
      };
    }
    case 'not': {
      const inner = compileConditions(expr.item, resolve);
      return (row) => not(inner(row));
    }
    case 'cmp': {
      const binding = resolve(expr.path);
      if (!binding) throw new ConditionError(`Unknown field '${describePath(expr.path)}'.`);
      if (binding.kind === 'array') {
        throw new ConditionError(
          `'${describePath(expr.path)}' is a list; use childConditions to search lists of child objects.`,
        );
      }
      return compileComparison(expr, binding);
    }
  }
}

/** Collects the leaf paths of an expression. */
function leafPaths(expr: ConditionExpr, out: string[][] = []): string[][] {
  if (expr.type === 'cmp') out.push(expr.path);
  else if (expr.type === 'not') leafPaths(expr.item, out);
  else for (const e of expr.items) leafPaths(e, out);
  return out;
}

/**
 * childConditions: a row matches when some choice of one element per referenced list makes the
 * whole expression true, so `communicationItems/value like … AND communicationItems/communicationType=…`
 * binds both clauses to the same item.
 */
export function compileChildConditions(expr: ConditionExpr, resolve: FieldResolver): Predicate {
  const roots: { name: string; binding: ArrayBinding }[] = [];
  for (const path of leafPaths(expr)) {
    const head = path[0] ?? '';
    const b = resolve([head]);
    if (b?.kind !== 'array') {
      throw new ConditionError(`childConditions field '${describePath(path)}' is not a list of child objects.`);
    }
    if (!roots.some((r) => r.name === head.toLowerCase())) roots.push({ name: head.toLowerCase(), binding: b });
  }
  // Each element binding is tried through a mutable slot per root.
  const current: unknown[] = roots.map(() => undefined);
  const elementResolve: FieldResolver = (path) => {
    const idx = roots.findIndex((r) => r.name === (path[0] ?? '').toLowerCase());
    const root = roots[idx];
    if (!root) return undefined;
    const inner = root.binding.element(path.slice(1));
    if (!inner || inner.kind === 'array') return undefined;
    return { kind: inner.kind, get: () => inner.get(current[idx]) };
  };
  const pred = compileConditions(expr, elementResolve);
  const search = (row: unknown, depth: number): boolean => {
    const root = roots[depth];
    if (!root) return pred(row) === true;
    for (const item of root.binding.items(row)) {
      current[depth] = item;
      if (search(row, depth + 1)) return true;
    }
    return false;
  };
  return (row) => search(row, 0);
}

/** customFieldConditions: some custom field of the row satisfies the whole expression. */
export function compileCustomFieldConditions(
  expr: ConditionExpr,
  items: (row: unknown) => readonly unknown[],
  element: FieldResolver,
): Predicate {
  let current: unknown;
  const pred = compileConditions(expr, (path) => {
    const b = element(path);
    if (!b || b.kind === 'array') return undefined;
    return { kind: b.kind, get: () => b.get(current) };
  });
  return (row) => {
    for (const item of items(row)) {
      current = item;
      if (pred(row) === true) return true;
    }
    return false;
  };
}

/** Top-level AND terms that an index can serve; anything under OR/NOT is left to the filter. */
export function indexableTerms(expr: ConditionExpr, resolve: FieldResolver): IndexableTerm[] {
  const terms = expr.type === 'and' ? expr.items : [expr];
  const out: IndexableTerm[] = [];
  for (const t of terms) {
    if (t.type !== 'cmp' || t.negated) continue;
    const b = resolve(t.path);
    if (!b || b.kind === 'array' || !b.index) continue;
    const lits = Array.isArray(t.value) ? t.value : [t.value];
    if (lits.some((l) => l.kind === 'null')) continue;
    const values = lits.map((l) => (l as { value: string | number | boolean }).value);
    if (t.op === '=' || t.op === 'in') out.push({ index: b.index, op: t.op, values });
    else if ((t.op === '<' || t.op === '<=' || t.op === '>' || t.op === '>=') && b.index.type !== 'hash') {
      out.push({ index: b.index, op: t.op, values });
    }
  }
  return out;
}
