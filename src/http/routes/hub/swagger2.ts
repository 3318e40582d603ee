// Swagger 2.0 (Cloud Elements' docs format) converted from the OpenAPI 3.1 document elementOpenApi builds: the one
// place where schemas become `definitions`, request bodies become `body`/`formData` parameters and response
// `content` becomes `schema`. Covers what the element docs use (and what DocsExtra adds in the same style).
type Doc = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
/** Keywords Swagger 2 parameters take directly (no `schema` wrapper). */
const PARAM_KEYWORDS = [
  'type',
  'format',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
] as const;

/** A 3.1 schema as a Swagger 2 schema: refs into `definitions`, `['t','null']` as `x-nullable`, no `const`. */
export function schema2(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(schema2);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', '#/definitions/');
    } else if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      out.type = types[0] ?? 'string';
      if (types.length < value.length) out['x-nullable'] = true;
    } else if (key === 'const') {
      out.enum = [value];
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schema2(v)]));
    } else if (key === 'anyOf' || key === 'oneOf') {
      // Swagger 2 has no unions: the first branch is described (the docs use none today).
      Object.assign(out, schema2((value as unknown[])[0] ?? {}));
    } else {
      out[key] = key === 'enum' || key === 'default' || key === 'example' ? value : schema2(value);
    }
  }
  return out;
}

function parameter2(p: Doc): Doc {
  const { schema, content: _c, ...rest } = p;
  const out: Doc = { ...rest };
  const s = schema2(schema ?? { type: 'string' }) as Doc;
  for (const key of PARAM_KEYWORDS) if (s[key] !== undefined) out[key] = s[key];
  out.type ??= 'string';
  if (out.type === 'object') out.type = 'string';
  if (out.type === 'array') out.items ??= { type: 'string' };
  if (p.in === 'path') out.required = true;
  return out;
}

function body2(requestBody: Doc | undefined): { params: Doc[]; consumes?: string[] } {
  const content = requestBody?.content as Record<string, { schema?: Doc }> | undefined;
  if (!content) return { params: [] };
  const form = content['multipart/form-data'] ?? content['application/x-www-form-urlencoded'];
  if (form) {
    const props = (form.schema?.properties ?? {}) as Record<string, Doc>;
    const required = new Set((form.schema?.required as string[] | undefined) ?? []);
    return {
      consumes: Object.keys(content),
      params: Object.entries(props).map(([name, s]) => ({
        name,
        in: 'formData',
        required: required.has(name),
        ...(s.description ? { description: s.description } : {}),
        type: s.format === 'binary' ? 'file' : s.type === 'object' ? 'string' : (s.type ?? 'string'),
      })),
    };
  }
  const [type, media] = Object.entries(content)[0] ?? [];
  return {
    ...(type && type !== 'application/json' ? { consumes: [type] } : {}),
    params: [
      {
        name: 'body',
        in: 'body',
        required: requestBody?.required === true,
        schema: schema2(media?.schema ?? { type: 'object' }),
      },
    ],
  };
}

function response2(r: Doc): Doc {
  const out: Doc = { description: r.description ?? '' };
  const content = r.content as Record<string, { schema?: unknown }> | undefined;
  const first = content ? Object.values(content)[0] : undefined;
  if (first?.schema) out.schema = schema2(first.schema);
  const headers = r.headers as Record<string, { schema?: Doc; description?: string }> | undefined;
  if (headers) {
    out.headers = Object.fromEntries(
      Object.entries(headers).map(([name, h]) => [
        name,
        { type: (h.schema?.type as string) ?? 'string', ...(h.description ? { description: h.description } : {}) },
      ]),
    );
  }
  return out;
}

/** The Swagger 2.0 document of an OpenAPI 3.1 document built by elementOpenApi. */
export function toSwagger2(doc: Doc): Doc {
  const server = new URL(((doc.servers as { url: string }[] | undefined)?.[0]?.url ?? 'http://localhost/') as string);
  const components = (doc.components ?? {}) as { schemas?: Record<string, unknown>; securitySchemes?: Doc };
  const paths: Record<string, Doc> = {};
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Doc>)) {
    const out: Doc = {};
    for (const method of METHODS) {
      const op = item[method] as Doc | undefined;
      if (!op) continue;
      const { parameters, requestBody, responses, ...rest } = op;
      const body = body2(requestBody as Doc | undefined);
      out[method] = {
        ...rest,
        ...(body.consumes ? { consumes: body.consumes } : {}),
        parameters: [...((parameters as Doc[] | undefined) ?? []).map(parameter2), ...body.params],
        responses: Object.fromEntries(
          Object.entries((responses ?? {}) as Record<string, Doc>).map(([code, r]) => [code, response2(r)]),
        ),
      };
    }
    paths[path] = out;
  }
  return {
    swagger: '2.0',
    info: doc.info,
    host: server.host,
    basePath: server.pathname.replace(/\/+$/, '') || '/',
    schemes: [server.protocol.replace(':', '')],
    consumes: ['application/json'],
    produces: ['application/json'],
    securityDefinitions: components.securitySchemes ?? {},
    security: doc.security ?? [],
    tags: doc.tags ?? [],
    paths,
    definitions: Object.fromEntries(Object.entries(components.schemas ?? {}).map(([k, v]) => [k, schema2(v)])),
  };
}
