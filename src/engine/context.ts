// Per-instance derived state (vendor base URL, signed headers, paging limits, null policy), computed once per
// configuration object and reused: the hub's hot path must not re-render templates or re-parse settings.
import type { QuerySchema } from '../ceql/index.ts';
import { type ElementDefinition, renderTemplate } from '../elements/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import type { EngineDeps, EngineInstance } from './types.ts';

export interface InstanceContext {
  def: ElementDefinition;
  baseUrl: string;
  /** Signed vendor headers for reads; `writeHeaders` adds the JSON content type. */
  headers: Record<string, string>;
  writeHeaders: Record<string, string>;
  /** `filter.response.nulls` (default true): drop null-valued properties from hub responses. */
  filterNulls: boolean;
  /** Largest page the hub asks the vendor for (`pagination.max`, never above the element's vendor maximum). */
  pageMax: number;
  budgetKey: string;
}

const contexts = new WeakMap<Record<string, string | null>, InstanceContext>();

function signedHeaders(def: ElementDefinition, config: Record<string, string | null>): Record<string, string> {
  const user = renderTemplate(def.auth.username, config);
  const pass = renderTemplate(def.auth.password, config);
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`,
  };
  for (const [k, v] of Object.entries(def.auth.headers)) headers[k.toLowerCase()] = renderTemplate(v, config);
  return headers;
}

export function instanceContext(deps: EngineDeps, instance: EngineInstance): Result<InstanceContext> {
  const cached = contexts.get(instance.config);
  if (cached && cached.budgetKey === `instance:${instance.id}`) return ok(cached);
  const def = deps.catalog.find(instance.elementKey);
  if (!def) return fail(appError('NOT_FOUND', `Element ${instance.elementKey} does not exist`));
  const config = instance.config;
  const baseUrl = (config.baseUrl ?? config['base.url'] ?? '').trim().replace(/\/+$/, '');
  if (!baseUrl)
    return fail(appError('MISSING_PARAMETER', 'The instance has no baseUrl', { field: 'configuration.baseUrl' }));
  const headers = signedHeaders(def, config);
  const requested = Number.parseInt(config['pagination.max'] ?? '', 10);
  const pageMax = Math.min(def.paging.vendorMax, Number.isFinite(requested) && requested > 0 ? requested : 200);
  const context: InstanceContext = {
    def,
    baseUrl,
    headers,
    writeHeaders: { ...headers, 'content-type': 'application/json' },
    filterNulls: (config['filter.response.nulls'] ?? 'true').toLowerCase() !== 'false',
    pageMax,
    budgetKey: `instance:${instance.id}`,
  };
  contexts.set(instance.config, context);
  return ok(context);
}

const schemas = new WeakMap<object, QuerySchema>();
const EMPTY_SCHEMA: QuerySchema = { fields: {} };

/** The CEQL schema of a resource or child, built once per definition object (translateWhere caches by identity). */
export function querySchemaOf(
  source: { fields?: QuerySchema['fields']; mappings?: QuerySchema['mappings'] } | undefined,
) {
  if (!source) return EMPTY_SCHEMA;
  let schema = schemas.get(source);
  if (!schema) {
    schema = { fields: source.fields ?? {}, ...(source.mappings ? { mappings: source.mappings } : {}) };
    schemas.set(source, schema);
  }
  return schema;
}
