import type { CeqlError, Literal, PredicateNode, Result, WhereNode } from './ast.ts';
import { parseWhere } from './parse.ts';

export type FieldType = 'string' | 'number' | 'boolean' | 'date';

/** A CEQL name answered by a child array: the clause goes to `childConditions`, together with `where`. */
export interface ChildMapping {
  kind: 'child';
  /** ConnectWise path into the child array, e.g. `communicationItems/value`. */
  path: string;
  /** Extra clauses bound to the same child element, e.g. `{ 'communicationItems/communicationType': 'Email' }`. */
  where?: Record<string, string | number | boolean>;
  type?: FieldType;
}
/** A CEQL name that is another ConnectWise column, e.g. `_info.lastUpdated` → `lastUpdated`. */
export interface RenameMapping {
  kind: 'rename';
  to: string;
  type?: FieldType;
}
/** A CEQL name answered by a custom field: the clause goes to `customFieldConditions`. */
export interface CustomFieldMapping {
  kind: 'customField';
  caption: string;
  type?: FieldType;
}
export type FieldMapping = ChildMapping | RenameMapping | CustomFieldMapping;

export interface QuerySchema {
  /** CEQL/ConnectWise field (dotted or slash path) → type, for literal coercion; looked up case-insensitively. */
  fields: Record<string, FieldType>;
  /** Names that are not ConnectWise columns; looked up case-insensitively. */
  mappings?: Record<string, FieldMapping>;
}

/** ConnectWise list query parameters; ConnectWise ANDs the three together. Absent keys mean "no filter". */
export interface VendorQuery {
  conditions?: string;
  childConditions?: string;
  customFieldConditions?: string;
}

type Reason = Result<string, string>;

const ok = (value: string): Reason => ({ ok: true, value });
const fail = (reason: string): Reason => ({ ok: false, error: reason });

/** A path ConnectWise can read in `conditions`: name segments joined by `/`. */
const CW_PATH = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\/[A-Za-z_$][A-Za-z0-9_$]*)*$/;
/** Words of the ConnectWise grammar; a path segment spelled like one would be misread. */
const CW_KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'not',
  'like',
  'in',
  'contains',
  'null',
  'true',
  'false',
]);
const CW_NUMBER = /^-?\d+(?:\.\d+)?$/;

interface PreparedSchema {
  fields: Map<string, { path: string; type: FieldType }>;
  mappings: Map<string, FieldMapping>;
}

const prepared = new WeakMap<QuerySchema, PreparedSchema>();

const lookupKey = (name: string): string => toCwPath(name).toLowerCase();

function isCwPath(path: string): boolean {
  return CW_PATH.test(path) && !path.split('/').some((segment) => CW_KEYWORDS.has(segment.toLowerCase()));
}

function toCwPath(name: string): string {
  return name.replaceAll('.', '/');
}

function prepare(schema: QuerySchema): PreparedSchema {
  let entry = prepared.get(schema);
  if (!entry) {
    entry = {
      fields: new Map(
        Object.entries(schema.fields).map(([name, type]) => [lookupKey(name), { path: toCwPath(name), type }]),
      ),
      mappings: new Map(Object.entries(schema.mappings ?? {}).map(([name, mapping]) => [lookupKey(name), mapping])),
    };
    prepared.set(schema, entry);
  }
  return entry;
}

type Target =
  | { route: 'conditions'; path: string; type: FieldType | undefined }
  | { route: 'child'; path: string; type: FieldType | undefined; mapping: ChildMapping }
  | { route: 'customField'; path: 'value'; type: FieldType | undefined; mapping: CustomFieldMapping };

function resolveTarget(name: string, schema: PreparedSchema): Result<Target, string> {
  const mapping = schema.mappings.get(lookupKey(name));
  let target: Target;
  if (mapping?.kind === 'customField') {
    return { ok: true, value: { route: 'customField', path: 'value', type: mapping.type, mapping } };
  }
  if (mapping?.kind === 'child') {
    const path = toCwPath(mapping.path);
    target = { route: 'child', path, type: mapping.type ?? schema.fields.get(lookupKey(path))?.type, mapping };
  } else if (mapping?.kind === 'rename') {
    const field = schema.fields.get(lookupKey(mapping.to));
    target = { route: 'conditions', path: field?.path ?? toCwPath(mapping.to), type: mapping.type ?? field?.type };
  } else {
    const field = schema.fields.get(lookupKey(name));
    target = { route: 'conditions', path: field?.path ?? toCwPath(name), type: field?.type };
  }
  if (!isCwPath(target.path)) {
    return {
      ok: false,
      error: `the field name ${JSON.stringify(target.path)} cannot be written in ConnectWise conditions`,
    };
  }
  return { ok: true, value: target };
}

/**
 * ConnectWise strings are double- or single-quoted with no escape for the quote itself
 * (connectwise-manage-api.md §4), so a value holding both quote characters cannot be sent.
 */
function printCwString(value: string): Reason {
  if (!value.includes('"')) return ok(`"${value}"`);
  if (!value.includes("'")) return ok(`'${value}'`);
  return fail('the value contains both single and double quotes, which ConnectWise conditions cannot express');
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * ISO 8601 date or date-time → ConnectWise's `YYYY-MM-DDTHH:MM:SSZ` in UTC. Fractions of a second are
 * truncated (ConnectWise stores whole seconds); a date-time without a zone is read as UTC.
 */
export function toCwDateTime(text: string): string | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const zoneHours = Number(digits.slice(1, 3));
    const zoneMinutes = Number(digits.slice(3, 5));
    if (zoneHours > 23 || zoneMinutes > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  date.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const outYear = date.getUTCFullYear();
  if (outYear < 0 || outYear > 9999) return undefined;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(outYear, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())}Z`;
}

function describeLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'string':
      return JSON.stringify(literal.value);
    case 'number':
      return literal.value;
    case 'boolean':
      return String(literal.value);
    case 'null':
      return 'null';
  }
}

/** Prints a literal as ConnectWise expects it for a field of `type` (undefined: an unknown field). */
function printCwValue(literal: Literal, type: FieldType | undefined, path: string): Reason {
  if (literal.kind === 'null') return ok('null');
  const notA = (what: string) => fail(`${path} is a ${what} field and ${describeLiteral(literal)} is not a ${what}`);
  switch (type) {
    case 'number':
      if (literal.kind === 'number') return ok(literal.value);
      return literal.kind === 'string' && CW_NUMBER.test(literal.value) ? ok(literal.value) : notA('number');
    case 'boolean': {
      if (literal.kind === 'boolean') return ok(String(literal.value));
      const lower = literal.kind === 'string' ? literal.value.toLowerCase() : '';
      return lower === 'true' || lower === 'false' ? ok(lower) : notA('boolean');
    }
    case 'date': {
      const date = literal.kind === 'string' ? toCwDateTime(literal.value) : undefined;
      return date
        ? ok(`[${date}]`)
        : fail(`${path} is a date field and ${describeLiteral(literal)} is not an ISO date`);
    }
    case 'string':
      return printCwString(literal.kind === 'string' ? literal.value : String(literal.value));
    case undefined: {
      if (literal.kind !== 'string') return ok(String(literal.value));
      const date = toCwDateTime(literal.value);
      return date ? ok(`[${date}]`) : printCwString(literal.value);
    }
  }
}

function printCwPredicate(node: PredicateNode, target: Target): Reason {
  const { path, type } = target;
  if (target.route === 'child') {
    // A child clause matches "some child element has …", so absence of the child cannot be expressed.
    const testsForNull =
      (node.kind === 'isNull' && !node.negated) ||
      (node.kind === 'comparison' && node.operator === '=' && node.value.kind === 'null');
    if (testsForNull) {
      return fail(
        `ConnectWise childConditions cannot test that ${path} is missing (they match an existing child element)`,
      );
    }
    if (node.kind === 'in') return fail('ConnectWise childConditions do not support IN');
  }
  switch (node.kind) {
    case 'comparison': {
      if (node.value.kind === 'null' && node.operator !== '=' && node.operator !== '!=') {
        return fail('null can only be compared with = or != (or use IS NULL / IS NOT NULL)');
      }
      const value = printCwValue(node.value, type, path);
      return value.ok ? ok(`${path}${node.operator}${value.value}`) : value;
    }
    case 'like': {
      if (type !== undefined && type !== 'string')
        return fail(`LIKE needs a text field and ${path} is a ${type} field`);
      // ConnectWise runs LIKE on SQL Server, where `[` opens a character class; `[[]` is a literal `[` (§4).
      const pattern = printCwString(node.pattern.value.replaceAll('[', '[[]'));
      return pattern.ok ? ok(`${path} ${node.negated ? 'not like' : 'like'} ${pattern.value}`) : pattern;
    }
    case 'in': {
      const values: string[] = [];
      for (const literal of node.values) {
        if (literal.kind === 'null') return fail('null cannot be in an IN list (use IS NULL)');
        const value = printCwValue(literal, type, path);
        if (!value.ok) return value;
        values.push(value.value);
      }
      return ok(`${path} ${node.negated ? 'not in' : 'in'} (${values.join(',')})`);
    }
    case 'isNull':
      return ok(`${path}${node.negated ? '!=' : '='}null`);
  }
}

function operandsOf(node: WhereNode, kind: 'and' | 'or'): WhereNode[] {
  return node.kind === kind ? node.operands.flatMap((operand) => operandsOf(operand, kind)) : [node];
}

class Translation {
  /** `compound` parts (an OR group) need parentheses once they are ANDed with anything else. */
  private readonly conditions: { text: string; compound: boolean }[] = [];
  private child: { bindKey: string; clause: string; parts: string[]; where: string[] } | undefined;
  private customField: { caption: string; clause: string; parts: string[] } | undefined;

  constructor(
    private readonly text: string,
    private readonly schema: PreparedSchema,
  ) {}

  private unsupported(node: WhereNode, reason: string): { ok: false; error: CeqlError } {
    const clause = this.text.slice(node.start, node.end);
    return {
      ok: false,
      error: {
        code: 'CEQL_UNSUPPORTED',
        message: `Cannot translate clause ${JSON.stringify(clause)} at position ${node.start}: ${reason}`,
        position: node.start,
        clause,
      },
    };
  }

  run(root: WhereNode): Result<VendorQuery, CeqlError> {
    // ConnectWise ANDs conditions, childConditions and customFieldConditions, so only the conjuncts of
    // the top-level AND chain may be routed to the child or custom-field parameters.
    for (const conjunct of operandsOf(root, 'and')) {
      const added = this.addConjunct(conjunct);
      if (!added.ok) return added;
    }
    const query: VendorQuery = {};
    if (this.conditions.length === 1) query.conditions = this.conditions[0]!.text;
    if (this.conditions.length > 1) {
      query.conditions = this.conditions.map((part) => (part.compound ? `(${part.text})` : part.text)).join(' AND ');
    }
    if (this.child) query.childConditions = [...this.child.parts, ...this.child.where].join(' AND ');
    if (this.customField) query.customFieldConditions = this.customField.parts.join(' AND ');
    return { ok: true, value: query };
  }

  private addConjunct(node: WhereNode): Result<true, CeqlError> {
    if (node.kind === 'or' || node.kind === 'and') {
      const printed = this.printCondition(node);
      if (!printed.ok) return printed;
      this.conditions.push({ text: printed.value, compound: true });
      return { ok: true, value: true };
    }
    const target = resolveTarget(node.field.name, this.schema);
    if (!target.ok) return this.unsupported(node, target.error);
    const printed = printCwPredicate(node, target.value);
    if (!printed.ok) return this.unsupported(node, printed.error);
    const clause = this.text.slice(node.start, node.end);
    switch (target.value.route) {
      case 'conditions':
        this.conditions.push({ text: printed.value, compound: false });
        return { ok: true, value: true };
      case 'child': {
        const mapping = target.value.mapping;
        const entries = Object.entries(mapping.where ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        // Every childConditions clause binds to one child element, so two clauses go together only when
        // they address the same array with the same qualifiers (email + email, not email + phone).
        const bindKey = JSON.stringify([target.value.path.split('/')[0]?.toLowerCase(), entries]);
        if (this.child && this.child.bindKey !== bindKey) {
          return this.unsupported(
            node,
            `it cannot be combined with ${JSON.stringify(this.child.clause)}: ConnectWise childConditions bind every clause to the same child element`,
          );
        }
        if (!this.child) {
          const where: string[] = [];
          for (const [key, value] of entries) {
            const printedValue = typeof value === 'string' ? printCwString(value) : ok(String(value));
            const path = toCwPath(key);
            if (!printedValue.ok || !isCwPath(path)) {
              return this.unsupported(
                node,
                `the mapping's qualifier ${key} cannot be written in ConnectWise conditions`,
              );
            }
            where.push(`${path}=${printedValue.value}`);
          }
          this.child = { bindKey, clause, parts: [], where };
        }
        this.child.parts.push(printed.value);
        return { ok: true, value: true };
      }
      case 'customField': {
        const caption = target.value.mapping.caption;
        if (this.customField && this.customField.caption !== caption) {
          return this.unsupported(
            node,
            `it cannot be combined with ${JSON.stringify(this.customField.clause)}: ConnectWise customFieldConditions address one custom field per query`,
          );
        }
        if (!this.customField) {
          const printedCaption = printCwString(caption);
          if (!printedCaption.ok) return this.unsupported(node, `the custom field caption ${printedCaption.error}`);
          this.customField = { caption, clause, parts: [`caption=${printedCaption.value}`] };
        }
        this.customField.parts.push(printed.value);
        return { ok: true, value: true };
      }
    }
  }

  /** Prints a sub-expression into `conditions`, parenthesising every compound operand (CW precedence is undocumented). */
  private printCondition(node: WhereNode): Result<string, CeqlError> {
    if (node.kind === 'and' || node.kind === 'or') {
      const parts: string[] = [];
      for (const operand of operandsOf(node, node.kind)) {
        const printed = this.printCondition(operand);
        if (!printed.ok) return printed;
        parts.push(operand.kind === 'and' || operand.kind === 'or' ? `(${printed.value})` : printed.value);
      }
      return { ok: true, value: parts.join(node.kind === 'and' ? ' AND ' : ' OR ') };
    }
    const target = resolveTarget(node.field.name, this.schema);
    if (!target.ok) return this.unsupported(node, target.error);
    if (target.value.route !== 'conditions') {
      const parameter = target.value.route === 'child' ? 'childConditions' : 'customFieldConditions';
      return this.unsupported(
        node,
        `${node.field.name} is answered by ConnectWise ${parameter}, which cannot be combined with OR (ConnectWise ANDs it with conditions); move it to the top-level AND chain`,
      );
    }
    const printed = printCwPredicate(node, target.value);
    return printed.ok ? printed : this.unsupported(node, printed.error);
  }
}

/**
 * Translates a CEQL `where` into ConnectWise Manage query parameters (connectwise-manage-api.md §4).
 * Every clause is pushed down or rejected with CEQL_UNSUPPORTED naming it; nothing is dropped.
 * Empty or blank text means "no filter".
 */
export function translateWhere(text: string, schema: QuerySchema): Result<VendorQuery, CeqlError> {
  if (text.trim() === '') return { ok: true, value: {} };
  const parsed = parseWhere(text);
  if (!parsed.ok) return parsed;
  return new Translation(text, prepare(schema)).run(parsed.value);
}
