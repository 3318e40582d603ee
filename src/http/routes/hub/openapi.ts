// API docs of an element's hub resources, generated from the element definition's models. One OpenAPI 3.1
// document is built (elementOpenApi); Swagger 2.0, Cloud Elements' format, is converted from it (swagger2.ts), so
// whatever is merged in (DocsExtra) appears in both.
import { bulkOpenApiPaths, bulkSchemas } from '../../../bulk/openapi.ts';
import { type ElementDefinition, resourceModel } from '../../../elements/index.ts';

type Doc = Record<string, unknown>;

/** Paths and schemas another module adds to the docs (OpenAPI 3 style, `#/components/schemas/…` refs). */
export interface DocsExtra {
  paths: Record<string, Doc>;
  schemas: Record<string, unknown>;
  /** Tag descriptions for the tags the paths use. */
  tags?: { name: string; description?: string }[];
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = { description: 'Error', content: json(ref('Error')) };

function idParam(name: string) {
  return { name, in: 'path', required: true, schema: { type: 'integer' } };
}

const listParams = [
  { name: 'where', in: 'query', schema: { type: 'string' }, description: "CEQL, e.g. lastName='Lee' AND id>10" },
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
  { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1 } },
  {
    name: 'nextPage',
    in: 'query',
    schema: { type: 'string' },
    description: 'Elements-Next-Page-Token of the previous page',
  },
  { name: 'orderBy', in: 'query', schema: { type: 'string' }, description: 'field asc|desc, comma separated' },
  { name: 'fields', in: 'query', schema: { type: 'string' }, description: 'comma-separated fields to return' },
  { name: 'includeTotalCount', in: 'query', schema: { type: 'boolean' } },
  {
    name: 'explain',
    in: 'query',
    schema: { type: 'boolean' },
    description: 'show the ConnectWise request instead of sending it',
  },
];

const listHeaders = {
  'Elements-Returned-Count': { schema: { type: 'integer' } },
  'Elements-Next-Page-Token': { schema: { type: 'string' } },
  'Elements-Total-Count': { schema: { type: 'integer' } },
};

/** `incidents/comments` → `IncidentsComments` (operationIds). */
const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

/**
 * The operations of one resource or child resource. `label` names what the summaries talk about (`comments of an
 * incident` for a child, so a child's list is never labelled as its parent's).
 */
function operations(
  tag: string,
  model: string,
  methods: readonly string[],
  base: string,
  params: unknown[],
  idName: string,
  label: string = tag,
  opName: string = pascal(tag),
): Record<string, Doc> {
  const paths: Record<string, Doc> = {};
  const collection: Doc = {};
  const item: Doc = {};
  const schemaRef = ref(model);
  const errors = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 502: errorResponse };
  if (methods.includes('list')) {
    collection.get = {
      tags: [tag],
      summary: `List ${label}`,
      operationId: `list${opName}`,
      parameters: [...params, ...listParams],
      responses: {
        200: { description: 'OK', headers: listHeaders, content: json({ type: 'array', items: schemaRef }) },
        ...errors,
      },
    };
  }
  if (methods.includes('create')) {
    collection.post = {
      tags: [tag],
      summary: `Create ${label}`,
      operationId: `create${opName}`,
      parameters: [...params, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
      requestBody: { required: true, content: json(schemaRef) },
      responses: { 200: { description: 'Created', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('attach')) {
    collection.put = {
      tags: [tag],
      summary: `Attach to ${label}`,
      operationId: `attach${opName}`,
      parameters: params,
      requestBody: { required: true, content: json({ type: 'object', properties: { id: { type: 'integer' } } }) },
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  const withId = [...params, idParam(idName)];
  if (methods.includes('get')) {
    item.get = {
      tags: [tag],
      summary: `Get one of ${label}`,
      operationId: `get${opName}ById`,
      parameters: withId,
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('replace')) {
    item.put = {
      tags: [tag],
      summary: `Replace (merge) one of ${label}`,
      operationId: `replace${opName}ById`,
      parameters: withId,
      requestBody: { required: true, content: json(schemaRef) },
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('update')) {
    item.patch = {
      tags: [tag],
      summary: `Update one of ${label}`,
      operationId: `update${opName}ById`,
      parameters: withId,
      requestBody: { required: true, content: json(schemaRef) },
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('delete')) {
    item.delete = {
      tags: [tag],
      summary: `Delete one of ${label}`,
      operationId: `delete${opName}ById`,
      parameters: withId,
      responses: { 200: { description: 'Deleted' }, ...errors },
    };
  }
  if (Object.keys(collection).length > 0) paths[base] = collection;
  if (Object.keys(item).length > 0) paths[`${base}/{${idName}}`] = item;
  if (methods.includes('count')) {
    paths[`${base}/count`] = {
      get: {
        tags: [tag],
        summary: `Count ${label}`,
        operationId: `count${opName}`,
        parameters: [...params, listParams[0]],
        responses: {
          200: { description: 'OK', content: json({ type: 'object', properties: { count: { type: 'integer' } } }) },
          ...errors,
        },
      },
    };
  }
  return paths;
}

/** OpenAPI 3.1 rendering of a 3.0-style schema: `nullable` becomes a `null` type, an empty `required` goes. */
export function schema31(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(schema31);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  const { nullable, ...rest } = schema as Record<string, unknown>;
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue;
    // Maps of names to schemas (properties, definitions) are walked name by name; everything else as a schema.
    out[key] =
      key === 'properties' && value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schema31(v)]))
        : key === 'example' || key === 'enum' || key === 'default'
          ? value
          : schema31(value);
  }
  if (nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** Gives every operation without one an operationId from its method and path; all ids unique. */
function withOperationIds(paths: Record<string, Doc>): void {
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method] as Doc | undefined;
      if (!op) continue;
      let id =
        typeof op.operationId === 'string'
          ? op.operationId
          : `${method}${pascal(path.replace(/\{([^}]+)\}/g, 'by $1').replace(/^\/hubs\/[^/]+/, ''))}`;
      for (let n = 2; seen.has(id); n++) id = `${String(op.operationId ?? id).replace(/\d+$/, '')}${n}`;
      seen.add(id);
      op.operationId = id;
    }
  }
}

/** The element's docs as OpenAPI 3.1, with `extras` merged in (their paths and schemas win on a clash). */
export function elementOpenApi(def: ElementDefinition, serverUrl: string, extras: readonly DocsExtra[] = []): Doc {
  const paths: Record<string, Doc> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      properties: {
        requestId: { type: 'string' },
        code: { type: 'string' },
        message: { type: 'string' },
        providerMessage: { type: 'string' },
        field: { type: 'string' },
      },
      required: ['requestId', 'message'],
    },
  };
  const tags: { name: string; description?: string }[] = [];
  for (const r of def.resources) {
    const { name: _n, vendorName: _v, ...model } = resourceModel(r);
    schemas[r.name] = { ...model, additionalProperties: true };
    tags.push({ name: r.name, description: `${r.label ?? r.name} (ConnectWise ${r.vendorName}, ${r.vendorPath})` });
    Object.assign(paths, operations(r.name, r.name, r.methods, `/hubs/${def.hub}/${r.name}`, [], 'id'));
    for (const c of r.children ?? []) {
      const childModel = `${r.name}-${c.name}`;
      const properties: Record<string, unknown> = {};
      for (const [field, type] of Object.entries(c.fields ?? {})) {
        if (!field.includes('.'))
          properties[field] = { type: type === 'number' ? 'number' : type === 'date' ? 'string' : type };
      }
      schemas[childModel] = { type: 'object', properties, additionalProperties: true };
      Object.assign(
        paths,
        operations(
          `${r.name}`,
          childModel,
          c.methods,
          `/hubs/${def.hub}/${r.name}/{id}/${c.name}`,
          [idParam('id')],
          `${c.name.replace(/-/g, '')}Id`,
          `${c.name} of one ${r.name} record`,
          pascal(`${r.name} ${c.name}`),
        ),
      );
    }
  }
  paths[`/hubs/${def.hub}/objects`] = {
    get: {
      tags: ['discovery'],
      summary: 'Object names',
      operationId: 'listObjects',
      parameters: [
        {
          name: 'Elements-Version',
          in: 'header',
          schema: { type: 'string', enum: ['Helium'] },
          description: 'Helium: [{name, vendorName, type}] with type vendor, ceCanonical or vdr',
        },
      ],
      responses: { 200: { description: 'OK', content: json({ type: 'array', items: {} }) } },
    },
  };
  paths[`/hubs/${def.hub}/objects/{name}/metadata`] = {
    get: {
      tags: ['discovery'],
      summary: 'Field metadata of an object',
      operationId: 'getObjectMetadata',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: { description: 'OK', content: json({ type: 'object' }) } },
    },
  };
  tags.push({ name: 'discovery', description: 'The objects this element offers and their fields' });
  const bulk = { download: def.flags.bulkDownloadEnabled ?? false, upload: def.flags.bulkUploadEnabled ?? false };
  Object.assign(paths, bulkOpenApiPaths(def.hub, bulk));
  if (bulk.download || bulk.upload) {
    Object.assign(schemas, bulkSchemas);
    tags.push({ name: 'bulk', description: 'Bulk export and import jobs' });
  }
  for (const extra of extras) {
    Object.assign(paths, extra.paths);
    Object.assign(schemas, extra.schemas);
    for (const tag of extra.tags ?? []) if (!tags.some((t) => t.name === tag.name)) tags.push(tag);
  }
  withOperationIds(paths);
  // Every tag an operation uses is declared once.
  for (const item of Object.values(paths)) {
    for (const method of METHODS) {
      for (const tag of ((item[method] as Doc | undefined)?.tags as string[] | undefined) ?? []) {
        if (!tags.some((t) => t.name === tag)) tags.push({ name: tag });
      }
    }
  }
  return schema31({
    openapi: '3.1.0',
    info: { title: `${def.name} (${def.key})`, version: '2.0', description: def.description },
    servers: [{ url: serverUrl }],
    security: [{ elementAuth: [] }],
    tags,
    components: {
      securitySchemes: {
        elementAuth: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'User <user secret>, Element <instance token>',
        },
      },
      schemas,
    },
    paths,
  }) as Doc;
}
