// The bulk query language (cloud-elements-api.md §2.7, §4): `select * | a, b from <object> [where <CEQL>]`, and
// the incremental clause built from the instance's `bulk.query.*` parameters when a `from` date is given.
import { appError, fail, ok, type Result } from '../errors/index.ts';

export interface BulkQuery {
  objectName: string;
  /** Named fields of `select a, b` (undefined for `select *`). */
  fields?: string[];
  where?: string;
}

const SELECT = /^\s*select\s+([\s\S]+?)\s+from\s+([A-Za-z][A-Za-z0-9_/-]*)\s*(?:\s+where\s+([\s\S]*?))?\s*;?\s*$/i;
const FIELD = /^`?[A-Za-z_$][A-Za-z0-9_$.]*`?$/;

export function parseBulkQuery(q: string): Result<BulkQuery> {
  const bad = (why: string) => fail(appError('QUERY_PARSE', `Error parsing query: ${why}`, { field: 'q' }));
  const m = SELECT.exec(q);
  if (!m) return bad('expected "select * from <object> [where <condition>]"');
  const [, select, objectName, where] = m as unknown as [string, string, string, string | undefined];
  let fields: string[] | undefined;
  if (select.trim() !== '*') {
    fields = select.split(',').map((f) => f.trim());
    const wrong = fields.find((f) => !FIELD.test(f));
    if (wrong !== undefined) return bad(`${JSON.stringify(wrong)} is not a field name`);
    fields = fields.map((f) => f.replace(/^`(.*)`$/, '$1'));
  }
  if (where !== undefined && where.trim() === '') return bad('"where" needs a condition');
  return ok({
    objectName: objectName.replace(/^\/+|\/+$/g, ''),
    ...(fields ? { fields } : {}),
    ...(where ? { where: where.trim() } : {}),
  });
}

const TOKEN = /'([^']*)'|yyyy|yy|MM|dd|HH|hh|mm|ss|SSS|XXX|XX|X|Z|[^']/g;

/** Formats an instant in UTC with a Java `SimpleDateFormat` mask (`bulk.query.date_mask`). */
export function formatJavaDate(date: Date, mask: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return mask.replace(TOKEN, (token, literal: string | undefined) => {
    if (literal !== undefined) return literal === '' ? "'" : literal;
    switch (token) {
      case 'yyyy':
        return pad(date.getUTCFullYear(), 4);
      case 'yy':
        return pad(date.getUTCFullYear() % 100);
      case 'MM':
        return pad(date.getUTCMonth() + 1);
      case 'dd':
        return pad(date.getUTCDate());
      case 'HH':
        return pad(date.getUTCHours());
      case 'hh':
        return pad(date.getUTCHours() % 12 || 12);
      case 'mm':
        return pad(date.getUTCMinutes());
      case 'ss':
        return pad(date.getUTCSeconds());
      case 'SSS':
        return pad(date.getUTCMilliseconds(), 3);
      case 'X':
      case 'XX':
      case 'XXX':
        return 'Z';
      case 'Z':
        return '+0000';
      default:
        return token;
    }
  });
}

const OPERATORS: ReadonlySet<string> = new Set(['>=', '>', '=']);

/**
 * `<bulk.query.field_name> <bulk.query.operator> '<from, formatted by bulk.query.date_mask>'`, ANDed with the
 * query's own `where`.
 */
export function incrementalWhere(
  config: Record<string, string | null>,
  fromText: string,
  where: string | undefined,
): Result<string> {
  const from = new Date(fromText);
  if (Number.isNaN(from.getTime()))
    return fail(
      appError('INVALID_PARAMETER', `from ${JSON.stringify(fromText)} is not an ISO date`, { field: 'from' }),
    );
  const field = (config['bulk.query.field_name'] ?? '').trim();
  if (!field)
    return fail(
      appError('MISSING_PARAMETER', 'The instance has no bulk.query.field_name, so "from" cannot be used', {
        field: 'bulk.query.field_name',
      }),
    );
  if (!/^[A-Za-z_$][A-Za-z0-9_$.]*$/.test(field))
    return fail(appError('INVALID_PARAMETER', `bulk.query.field_name ${JSON.stringify(field)} is not a field name`));
  const operator = (config['bulk.query.operator'] ?? '>=').trim() || '>=';
  if (!OPERATORS.has(operator))
    return fail(appError('INVALID_PARAMETER', `bulk.query.operator must be one of >=, >, = (got ${operator})`));
  const mask = config['bulk.query.date_mask'] ?? "yyyy-MM-dd'T'HH:mm:ss'Z'";
  const clause = `${field} ${operator} '${formatJavaDate(from, mask).replaceAll("'", "''")}'`;
  return ok(where ? `(${where}) AND ${clause}` : clause);
}
