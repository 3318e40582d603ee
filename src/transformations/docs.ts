// What the per-instance docs add for transformations: each common resource as hub paths with a schema generated
// from its definition. A transformation under a vendor object's own name only replaces that object's schema
// (its paths are already documented).
import type { ElementDefinition } from '../elements/index.ts';
import type { PlatformDeps } from '../platform/index.ts';
import type { InstanceRecord } from '../store/index.ts';
import { type Effective, effectiveTransformations } from './resolve.ts';

type Doc = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9])([a-z])/g, (_m, _p, c: string) => c.toUpperCase());

const jsonType: Record<string, Doc> = {
  string: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date-time' },
  object: { type: 'object', additionalProperties: true },
  array: { type: 'array', items: {} },
};

/** A JSON schema from dotted definition paths (`address.city` nests under `address`). */
export function definitionSchema(fields: ReadonlyArray<{ path: string; type?: string }>): Doc {
  const root: Doc = { type: 'object', properties: {} };
  for (const f of fields) {
    let node = root;
    const parts = f.path.split('.');
    for (const [i, part] of parts.entries()) {
      const props = node.properties as Record<string, Doc>;
      if (i === parts.length - 1) {
        props[part] = { ...(jsonType[f.type ?? 'string'] ?? { type: 'string' }) };
      } else {
        const child = props[part];
        if (child?.type !== 'object' || !child.properties) props[part] = { type: 'object', properties: {} };
        node = props[part] as Doc;
      }
    }
  }
  return root;
}

function operationsFor(hub: string, e: Effective, methods: readonly string[]): Record<string, Doc> {
  const model = ref(e.name);
  const id = pascal(e.name);
  const errors = { 400: { description: 'Error' }, 404: { description: 'Error' }, 502: { description: 'Error' } };
  const collection: Doc = {};
  const item: Doc = {};
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
  const query = (name: string, description: string) => ({ name, in: 'query', schema: { type: 'string' }, description });
  if (methods.includes('list')) {
    collection.get = {
      tags: [e.name],
      summary: `List ${e.name} (ConnectWise ${e.vendorName} mapped to ${e.name})`,
      operationId: `listCommon${id}`,
      parameters: [
        query('where', `CEQL in ${e.name} field names; translated to ${e.vendorName} conditions`),
        query('orderBy', `${e.name} field asc|desc`),
        query('fields', `comma-separated ${e.name} fields`),
        { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
        { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1 } },
        { name: 'nextPage', in: 'query', schema: { type: 'string' } },
      ],
      responses: { 200: { description: 'OK', content: json({ type: 'array', items: model }) }, ...errors },
    };
  }
  if (methods.includes('create')) {
    collection.post = {
      tags: [e.name],
      summary: `Create a ${e.vendorName} record from a ${e.name}`,
      operationId: `createCommon${id}`,
      requestBody: { required: true, content: json(model) },
      responses: { 200: { description: 'Created', content: json(model) }, ...errors },
    };
  }
  const one = (verb: string, method: string, summary: string, body: boolean) => {
    if (!methods.includes(verb)) return;
    item[method] = {
      tags: [e.name],
      summary,
      operationId: `${verb}Common${id}`,
      parameters: [idParam],
      ...(body ? { requestBody: { required: true, content: json(model) } } : {}),
      responses: { 200: { description: 'OK', ...(verb === 'delete' ? {} : { content: json(model) }) }, ...errors },
    };
  };
  one('get', 'get', `Get one ${e.name}`, false);
  one('replace', 'put', `Replace (merge) one ${e.name}`, true);
  one('update', 'patch', `Update one ${e.name}`, true);
  one('delete', 'delete', `Delete one ${e.name}`, false);
  const paths: Record<string, Doc> = {};
  if (Object.keys(collection).length > 0) paths[`/hubs/${hub}/${e.name}`] = collection;
  if (Object.keys(item).length > 0) paths[`/hubs/${hub}/${e.name}/{id}`] = item;
  return paths;
}

/** Paths, schemas and tags of the common resources that apply to the instance (OpenAPI 3 style). */
export async function commonResourceDocs(
  deps: Pick<PlatformDeps, 'store'>,
  def: ElementDefinition,
  instance: InstanceRecord,
): Promise<{
  paths: Record<string, Doc>;
  schemas: Record<string, unknown>;
  tags: { name: string; description?: string }[];
}> {
  const paths: Record<string, Doc> = {};
  const schemas: Record<string, unknown> = {};
  const tags: { name: string; description?: string }[] = [];
  for (const e of (await effectiveTransformations(deps, instance)).values()) {
    const resource = def.resources.find((r) => r.name === e.vendorName);
    if (!resource) continue;
    schemas[e.name] = {
      ...definitionSchema(e.definition?.fields ?? e.merged.fields),
      description: `${e.name}: common resource mapped onto ConnectWise ${e.vendorName}`,
    };
    if (e.name === e.vendorName) continue;
    tags.push({ name: e.name, description: `Common resource ${e.name}, mapped onto ${e.vendorName}` });
    Object.assign(paths, operationsFor(def.hub, e, resource.methods));
  }
  return { paths, schemas, tags };
}

/** The Helium `/objects` entries of the instance's common resources. */
export async function commonResourceObjects(deps: Pick<PlatformDeps, 'store'>, instance: InstanceRecord) {
  return [...(await effectiveTransformations(deps, instance)).values()]
    .filter((e) => e.name !== e.vendorName)
    .map((e) => ({ name: e.name, vendorName: e.vendorName, type: 'vdr' as const }));
}
