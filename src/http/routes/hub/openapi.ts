// OpenAPI 3 for an element's hub resources, generated from the element definition's models.
import { bulkOpenApiPaths, bulkSchemas } from '../../../bulk/openapi.ts';
import { type ElementDefinition, resourceModel } from '../../../elements/index.ts';

type Doc = Record<string, unknown>;

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

function operations(
  tag: string,
  model: string,
  methods: readonly string[],
  base: string,
  params: unknown[],
  idName: string,
): Record<string, Doc> {
  const paths: Record<string, Doc> = {};
  const collection: Doc = {};
  const item: Doc = {};
  const schemaRef = ref(model);
  const errors = { 400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 502: errorResponse };
  if (methods.includes('list')) {
    collection.get = {
      tags: [tag],
      summary: `List ${tag}`,
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
      summary: `Create ${tag}`,
      parameters: [...params, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
      requestBody: { required: true, content: json(schemaRef) },
      responses: { 200: { description: 'Created', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('attach')) {
    collection.put = {
      tags: [tag],
      summary: `Attach to ${tag}`,
      parameters: params,
      requestBody: { required: true, content: json({ type: 'object', properties: { id: { type: 'integer' } } }) },
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  const withId = [...params, idParam(idName)];
  if (methods.includes('get')) {
    item.get = {
      tags: [tag],
      summary: `Get one of ${tag}`,
      parameters: withId,
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('replace')) {
    item.put = {
      tags: [tag],
      summary: `Replace (merge) one of ${tag}`,
      parameters: withId,
      requestBody: { required: true, content: json(schemaRef) },
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('update')) {
    item.patch = {
      tags: [tag],
      summary: `Update one of ${tag}`,
      parameters: withId,
      requestBody: { required: true, content: json(schemaRef) },
      responses: { 200: { description: 'OK', content: json(schemaRef) }, ...errors },
    };
  }
  if (methods.includes('delete')) {
    item.delete = {
      tags: [tag],
      summary: `Delete one of ${tag}`,
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
        summary: `Count ${tag}`,
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

export function elementOpenApi(def: ElementDefinition, serverUrl: string): Doc {
  const paths: Record<string, Doc> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      properties: {
        requestId: { type: 'string' },
        code: { type: 'string' },
        message: { type: 'string' },
        providerMessage: { type: 'string' },
      },
      required: ['requestId', 'message'],
    },
  };
  for (const r of def.resources) {
    const { name: _n, vendorName: _v, ...model } = resourceModel(r);
    schemas[r.name] = { ...model, additionalProperties: true };
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
        ),
      );
    }
  }
  paths[`/hubs/${def.hub}/objects`] = {
    get: {
      tags: ['discovery'],
      summary: 'Object names',
      responses: { 200: { description: 'OK', content: json({ type: 'array', items: { type: 'string' } }) } },
    },
  };
  paths[`/hubs/${def.hub}/objects/{name}/metadata`] = {
    get: {
      tags: ['discovery'],
      summary: 'Field metadata of an object',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: { description: 'OK', content: json({ type: 'object' }) } },
    },
  };
  const bulk = { download: def.flags.bulkDownloadEnabled ?? false, upload: def.flags.bulkUploadEnabled ?? false };
  Object.assign(paths, bulkOpenApiPaths(def.hub, bulk));
  if (bulk.download || bulk.upload) Object.assign(schemas, bulkSchemas);
  return {
    openapi: '3.0.3',
    info: { title: `${def.name} (${def.key})`, version: '2.0', description: def.description },
    servers: [{ url: serverUrl }],
    security: [{ elementAuth: [] }],
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
  };
}
