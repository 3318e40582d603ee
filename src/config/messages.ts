// Settings described in plain words from their schema: what `conduit serve --help` lists (type, allowed values) and
// what a bad value's error says ("LOG_LEVEL must be one of trace, debug, …; got verbose").
import type { TSchema } from '@sinclair/typebox';

interface SettingSchema {
  type?: string;
  anyOf?: Array<{ const?: unknown }>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  /** A plain-words reading of `pattern` (the schema's own keyword for it). */
  expected?: string;
}

/** The values a setting allows when it is a closed list (LOG_LEVEL), else undefined. */
export function allowedValues(schema: TSchema): string[] | undefined {
  const s = schema as SettingSchema;
  return s.anyOf?.every((v) => v.const !== undefined) ? s.anyOf.map((v) => String(v.const)) : undefined;
}

/** A short type word for the help text: integer, number, boolean, text or one-of. */
export function typeWord(schema: TSchema): string {
  if (allowedValues(schema)) return 'one of';
  const t = (schema as SettingSchema).type;
  return t === 'string' || t === undefined ? 'text' : t;
}

function range(s: SettingSchema): string {
  const low =
    s.exclusiveMinimum !== undefined
      ? `greater than ${s.exclusiveMinimum}`
      : s.minimum !== undefined
        ? String(s.minimum)
        : undefined;
  if (s.exclusiveMinimum !== undefined) return s.maximum !== undefined ? ` ${low} and at most ${s.maximum}` : ` ${low}`;
  if (low !== undefined && s.maximum !== undefined) return ` from ${low} to ${s.maximum}`;
  if (low !== undefined) return ` of at least ${low}`;
  return s.maximum !== undefined ? ` of at most ${s.maximum}` : '';
}

/** What a valid value is, as the end of "X must be …". */
export function expectation(schema: TSchema): string {
  const s = schema as SettingSchema;
  const allowed = allowedValues(schema);
  if (allowed) return `one of ${allowed.join(', ')}`;
  switch (s.type) {
    case 'integer':
      return `a whole number${range(s)}`;
    case 'number':
      return `a number${range(s)}`;
    case 'boolean':
      return 'true or false';
    default:
      if (s.expected) return s.expected;
      if (s.pattern) return `text matching ${s.pattern}`;
      if (s.minLength) return `at least ${s.minLength} characters long`;
      return 'text';
  }
}

/** A value as an operator typed it, quoted only when it would be ambiguous bare (empty, spaces, quotes). */
export function shownRaw(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"',;]+$/.test(text) ? text : JSON.stringify(text);
}
