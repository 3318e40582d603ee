// API docs (issue 14): Swagger 2.0 by default, as Cloud Elements answered; OpenAPI 3.1 with ?format=openapi3.
// Both validate with swagger-parser, operationIds are unique, child resources have their own summaries.
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked freely
type Doc = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function operationsOf(doc: Doc): { path: string; method: string; op: Doc }[] {
  const ops: { path: string; method: string; op: Doc }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Doc>)) {
    for (const method of METHODS) if (item[method]) ops.push({ path, method, op: item[method] });
  }
  return ops;
}

/** Every `required` key in the document, wherever it is. */
function requiredValues(value: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) requiredValues(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'required') out.push(v);
      requiredValues(v, out);
    }
  }
  return out;
}

function commonChecks(doc: Doc) {
  const ops = operationsOf(doc);
  expect(ops.length).toBeGreaterThan(50);
  const ids = ops.map((o) => o.op.operationId);
  for (const id of ids) expect(typeof id).toBe('string');
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of requiredValues(doc)) {
    if (Array.isArray(r)) expect(r.length).toBeGreaterThan(0);
  }
  const children = doc.paths['/hubs/crm/incidents/{id}/comments'];
  expect(children.get.summary).toMatch(/comments/);
  expect(children.get.summary).not.toBe('List incidents');
  expect(doc.paths['/hubs/crm/incidents'].get.summary).toBe('List incidents');
  expect(doc.paths['/hubs/crm/incidents/{id}/time-entries'].get.summary).toMatch(/time-entries/);
  // Summaries of different operations differ (a child is never labelled as its parent).
  const summaries = ops.map((o) => `${o.method} ${o.op.summary}`);
  const listed = summaries.filter((s) => s.startsWith('get List'));
  expect(new Set(listed).size).toBe(listed.length);
  const tagNames = (doc.tags as { name: string }[]).map((t) => t.name);
  for (const { op } of ops) for (const tag of op.tags ?? []) expect(tagNames).toContain(tag);
}

describe('Swagger 2.0 (default)', () => {
  it('/instances/{id}/docs answers a valid Swagger 2.0 document', async () => {
    const res = await f.platform('GET', `/instances/${f.instanceId}/docs`);
    expect(res.status).toBe(200);
    const doc = res.body as Doc;
    expect(doc.swagger).toBe('2.0');
    expect(doc.openapi).toBeUndefined();
    const server = new URL(f.server.base);
    expect(doc.host).toBe(server.host);
    expect(doc.basePath).toBe('/elements/api-v2');
    expect(doc.schemes).toEqual(['http']);
    for (const key of ['paths', 'definitions', 'tags']) expect(doc[key]).toBeDefined();
    expect(doc.definitions.contacts.properties.id.type).toBe('integer');
    expect(doc.paths['/hubs/crm/contacts'].get.responses['200'].schema).toEqual({
      type: 'array',
      items: { $ref: '#/definitions/contacts' },
    });
    expect(doc.paths['/hubs/crm/contacts'].get.responses['200'].headers['Elements-Next-Page-Token'].type).toBe(
      'string',
    );
    const post = doc.paths['/hubs/crm/contacts'].post;
    expect(post.parameters).toContainEqual({
      name: 'body',
      in: 'body',
      required: true,
      schema: { $ref: '#/definitions/contacts' },
    });
    const where = doc.paths['/hubs/crm/contacts'].get.parameters.find((p: Doc) => p.name === 'where');
    expect(where).toMatchObject({ in: 'query', type: 'string' });
    expect(where.schema).toBeUndefined();
    // The bulk import's multipart body is a formData file.
    const upload = doc.paths['/hubs/crm/bulk/{objectName}']?.post;
    if (upload) expect(upload.parameters).toContainEqual(expect.objectContaining({ name: 'file', type: 'file' }));
    expect(JSON.stringify(doc)).not.toContain('#/components/');
    commonChecks(doc);
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  it('the element docs and the Element-token docs are the same Swagger 2.0 document', async () => {
    const byInstance = (await f.platform('GET', `/instances/${f.instanceId}/docs`)).body;
    const byElement = await f.platform('GET', '/elements/connectwisecrmrest/docs');
    expect(byElement.body.swagger).toBe('2.0');
    expect(byElement.body.paths).toEqual(byInstance.paths);
    const byToken = await f.hub('GET', '/instances/docs?format=swagger2');
    expect(byToken.body.swagger).toBe('2.0');
    expect(byToken.body.definitions).toEqual(byInstance.definitions);
    await SwaggerParser.validate(structuredClone(byElement.body));
  });
});

describe('OpenAPI 3.1 (?format=openapi3)', () => {
  it('answers a valid OpenAPI 3.1 document with the same operations', async () => {
    const res = await f.platform('GET', `/instances/${f.instanceId}/docs?format=openapi3`);
    expect(res.status).toBe(200);
    const doc = res.body as Doc;
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.swagger).toBeUndefined();
    expect(doc.servers[0].url).toBe(f.server.base);
    expect(doc.components.schemas.contacts.properties.id.type).toBe('integer');
    commonChecks(doc);
    await SwaggerParser.validate(structuredClone(doc) as never);
    const swagger = (await f.platform('GET', `/instances/${f.instanceId}/docs`)).body as Doc;
    const key = (o: { path: string; method: string; op: Doc }) => `${o.method} ${o.path} ${o.op.operationId}`;
    expect(operationsOf(doc).map(key).sort()).toEqual(operationsOf(swagger).map(key).sort());
    const byToken = await f.hub('GET', '/instances/docs?format=openapi3');
    expect(byToken.body.paths).toEqual(doc.paths);
  });

  it('an unknown format is a 400 naming the parameter', async () => {
    const res = await f.platform('GET', `/instances/${f.instanceId}/docs?format=yaml`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/format/);
  });
});
