// Builds the ConnectWise query string of a hub read: CEQL `where` → conditions/childConditions/
// customFieldConditions, `orderBy` and `fields` pushed down, paging. Every clause is sent or refused — none dropped.
import { type QuerySchema, translateWhere, type VendorQuery } from '../ceql/index.ts';
import type { ElementDefinition } from '../elements/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { memoPerOwner } from './memo.ts';
import type { PageWindow } from './paging.ts';

/** Cloud Elements' wording ("Error parsing query") with the position of the problem. */
function parseMessage(message: string, position: number | undefined): string {
  const text = message.startsWith('Error parsing query') ? message : `Error parsing query: ${message}`;
  return position === undefined || text.includes('position') ? text : `${text} (at position ${position})`;
}

const translations = memoPerOwner<QuerySchema, Result<VendorQuery>>(500);

/** CEQL → vendor query, cached per schema and text (pollers and clients repeat the same `where`). */
export function translateCached(where: string, schema: QuerySchema): Result<VendorQuery> {
  return translations(schema, where, () => {
    const translated = translateWhere(where, schema);
    if (translated.ok) return ok(translated.value);
    return fail(
      translated.error.code === 'CEQL_PARSE'
        ? appError('QUERY_PARSE', parseMessage(translated.error.message, translated.error.position), {
            field: 'where',
          })
        : appError('QUERY_UNSUPPORTED', translated.error.message, { field: 'where' }),
    );
  });
}

const CW_PATH = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\/[A-Za-z_$][A-Za-z0-9_$]*)*$/;

function vendorFieldName(name: string, schema: QuerySchema, what: 'orderBy' | 'fields'): Result<string> {
  const bare = name.replace(/^`(.*)`$/, '$1');
  const lower = bare.toLowerCase();
  const mapping = Object.entries(schema.mappings ?? {}).find(([k]) => k.toLowerCase() === lower)?.[1];
  if (mapping && mapping.kind !== 'rename') {
    return fail(
      appError('QUERY_UNSUPPORTED', `${what} cannot use ${bare}: ConnectWise has no column for it`, { field: what }),
    );
  }
  const path = (mapping?.kind === 'rename' ? mapping.to : bare).replaceAll('.', '/');
  if (!CW_PATH.test(path)) {
    return fail(appError('INVALID_PARAMETER', `${what}: ${JSON.stringify(bare)} is not a field name`, { field: what }));
  }
  return ok(path);
}

/** `lastName asc, id desc` → `lastName asc,id desc`; ties are broken by the id so pages never overlap. */
export function translateOrderBy(orderBy: string, schema: QuerySchema, idField: string | undefined): Result<string> {
  const keys: string[] = [];
  let hasId = false;
  for (const part of orderBy.split(',')) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const dir = (words[1] ?? 'asc').toLowerCase();
    if (words.length > 2 || (dir !== 'asc' && dir !== 'desc')) {
      return fail(
        appError('INVALID_PARAMETER', `orderBy ${JSON.stringify(part.trim())} must be "field [asc|desc]"`, {
          field: 'orderBy',
        }),
      );
    }
    const path = vendorFieldName(words[0]!, schema, 'orderBy');
    if (!path.ok) return path;
    if (idField && path.value.toLowerCase() === idField.toLowerCase()) hasId = true;
    keys.push(`${path.value} ${dir}`);
  }
  if (keys.length > 0 && idField && !hasId) keys.push(`${idField} asc`);
  return ok(keys.join(','));
}

export function translateFields(fields: string, schema: QuerySchema): Result<string> {
  const out: string[] = [];
  for (const part of fields.split(',')) {
    const name = part.trim();
    if (!name) continue;
    const path = vendorFieldName(name, schema, 'fields');
    if (!path.ok) return path;
    out.push(path.value);
  }
  return ok(out.join(','));
}

/**
 * Longest vendor query string (encoded, without `?`) Conduit sends. ConnectWise repeats the caller's query in up to
 * four `Link` URLs of a list answer, and Node's HTTP client refuses answer headers above 16 KB
 * (UND_ERR_HEADERS_OVERFLOW): 4 × (3,000 + URL) stays well below.
 */
export const MAX_VENDOR_QUERY_CHARS = 3_000;

export interface ReadQuery {
  where?: string;
  orderBy?: string;
  fields?: string;
}

/** The vendor query string (without `?`) for a list, count or get. */
export function vendorQueryString(
  def: ElementDefinition,
  schema: QuerySchema,
  query: ReadQuery,
  options: { parentFilter?: string; window?: PageWindow; idField?: string; forCount?: boolean },
): Result<string> {
  const params: string[] = [];
  let vendor: VendorQuery = {};
  if (query.where && query.where.trim() !== '') {
    const translated = translateCached(query.where, schema);
    if (!translated.ok) return translated;
    vendor = translated.value;
  }
  let conditions = vendor.conditions;
  if (options.parentFilter)
    conditions = conditions ? `${options.parentFilter} AND (${conditions})` : options.parentFilter;
  const q = def.query;
  if (conditions) params.push(`${q.conditionsParam}=${encodeURIComponent(conditions)}`);
  if (vendor.childConditions) params.push(`${q.childConditionsParam}=${encodeURIComponent(vendor.childConditions)}`);
  if (vendor.customFieldConditions) {
    params.push(`${q.customFieldConditionsParam}=${encodeURIComponent(vendor.customFieldConditions)}`);
  }
  if (!options.forCount && query.orderBy && query.orderBy.trim() !== '') {
    const orderBy = translateOrderBy(query.orderBy, schema, options.idField);
    if (!orderBy.ok) return orderBy;
    if (orderBy.value) params.push(`${q.orderByParam}=${encodeURIComponent(orderBy.value)}`);
  }
  if (!options.forCount && query.fields && query.fields.trim() !== '') {
    const fields = translateFields(query.fields, schema);
    if (!fields.ok) return fields;
    if (fields.value) params.push(`${q.fieldsParam}=${encodeURIComponent(fields.value)}`);
  }
  if (options.window) {
    params.push(`${def.paging.sizeParam}=${options.window.pageSize}`, `${def.paging.pageParam}=${options.window.page}`);
  }
  const qs = params.join('&');
  if (qs.length > MAX_VENDOR_QUERY_CHARS) return fail(queryTooLong(qs.length, query));
  return ok(qs);
}

function queryTooLong(length: number, query: ReadQuery) {
  const [field] = (['where', 'fields', 'orderBy'] as const)
    .map((name) => [name, query[name]?.length ?? 0] as const)
    .sort((a, b) => b[1] - a[1])[0]!;
  return appError(
    'QUERY_TOO_LONG',
    `conditions too long: ${length} characters, ConnectWise accepts ${MAX_VENDOR_QUERY_CHARS} ` +
      `(the encoded query from where, fields and orderBy); split a long IN list over several requests`,
    { field },
  );
}
