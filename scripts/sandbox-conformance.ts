/**
 * npm run sandbox:conformance — starts the simulator, exercises every list / get / post / count
 * operation of the resources in the OpenAPI extract, validates each response against the
 * extract's schemas with ajv, prints every violation and exits non-zero on any.
 *
 * The extract is reference data outside the repository:
 * ${CONDUIT_SHARED_DIR:-<repo>/../shared}/data/connectwise-manage/manage-crm-subset.openapi.json
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { request } from 'undici';
import { startSandbox } from '../src/sandbox/index.ts';

type Json = Record<string, unknown>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

// ajv-formats is CommonJS with `exports.default`; NodeNext types the default import as the module.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.CONDUIT_SHARED_DIR ?? resolve(repo, '../shared');
const specFile = resolve(sharedDir, 'data/connectwise-manage/manage-crm-subset.openapi.json');

/** Minimal valid POST bodies per path template (references point at seed data). */
const POST_BODIES: Record<string, (n: number) => unknown> = {
  '/company/companies': (n) => ({
    identifier: `CONF${n}`,
    name: `Conformance ${n}`,
    addressLine1: '1 Test St',
    site: { name: 'Main' },
  }),
  '/company/companies/{parentId}/notes': () => ({ text: 'Conformance note' }),
  '/company/configurations': (n) => ({ name: `CONF-${n}`, type: { id: 1 }, company: { id: 1 } }),
  '/company/contacts': (n) => ({
    firstName: 'Conf',
    lastName: `Ormance${n}`,
    company: { id: 1 },
    communicationItems: [{ type: { name: 'Email' }, value: `conf${n}@acme.com`, defaultFlag: true }],
  }),
  '/company/contacts/{parentId}/communications': (n) => ({ type: { id: 2 }, value: `555-01${n}`, defaultFlag: false }),
  '/company/contacts/{parentId}/notes': () => ({ text: 'Conformance note' }),
  '/sales/activities': () => ({ name: 'Conformance activity', assignTo: { identifier: 'jdoe' } }),
  '/sales/opportunities': () => ({
    name: 'Conformance deal',
    company: { id: 1 },
    contact: { id: 1 },
    primarySalesRep: { identifier: 'jdoe' },
  }),
  '/sales/opportunities/{parentId}/notes': () => ({ text: 'Conformance note' }),
  '/service/tickets': () => ({
    summary: 'Conformance ticket',
    company: { id: 1 },
    initialDescription: 'created by the conformance run',
  }),
  '/service/tickets/search': () => ({ conditions: 'id > 0', pageSize: 50 }),
  '/service/tickets/{parentId}/notes': () => ({ text: 'Conformance note', detailDescriptionFlag: true }),
  '/system/callbacks': () => ({
    url: 'http://127.0.0.1:9/conformance',
    objectId: 1,
    type: 'conformance',
    level: 'owner',
  }),
};

/**
 * The spec writes .NET `object` (any JSON value: custom field values, patch values) as a bare
 * `{"type":"object"}`; ConnectWise returns strings, numbers and booleans there, so such schemas are
 * read as "any value". Everything else is validated as written.
 */
function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const obj = node as Json;
  const keys = Object.keys(obj).filter((k) => k !== 'description' && k !== 'nullable');
  if (obj.type === 'object' && keys.length === 1) return {};
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, normalise(v)]));
}

function responseSchema(op: Operation, status: string): Json | undefined {
  const content = op.responses?.[status]?.content;
  if (!content) return undefined;
  return Object.values(content)[0]?.schema;
}

async function main(): Promise<number> {
  if (!existsSync(specFile)) {
    console.error(`OpenAPI extract not found at ${specFile} (set CONDUIT_SHARED_DIR).`);
    return 2;
  }
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
    components: Json;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ['int32', 'int64'])
    ajv.addFormat(f, { type: 'number', validate: (n: number) => Number.isInteger(n) });
  for (const f of ['double', 'float']) ajv.addFormat(f, { type: 'number', validate: () => true });
  ajv.addSchema({ $id: 'cw', components: normalise(spec.components) });
  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (schema: Json): ValidateFunction => {
    const key = JSON.stringify(schema);
    const cached = compiled.get(key);
    if (cached) return cached;
    const rewritten = JSON.parse(key.replace(/"#\/components\//g, '"cw#/components/')) as Json;
    const v = ajv.compile(normalise(rewritten) as Json);
    compiled.set(key, v);
    return v;
  };

  const sb = await startSandbox({ quiet: true, seed: 11 });
  const { company, publicKey, privateKey, clientId } = sb.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${company}+${publicKey}:${privateKey}`).toString('base64')}`,
    clientId,
    accept: 'application/vnd.connectwise.com+json; version=2026.11',
    'content-type': 'application/json',
  };
  const violations: string[] = [];
  let checked = 0;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await request(`${sb.apiBase}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const check = (label: string, schema: Json | undefined, status: number, expected: number, json: unknown) => {
    checked++;
    if (status !== expected) {
      violations.push(`${label}: status ${status}, expected ${expected}: ${JSON.stringify(json).slice(0, 300)}`);
      return;
    }
    if (!schema) return;
    const validate = validatorFor(schema);
    if (!validate(json)) {
      for (const e of validate.errors ?? [])
        violations.push(`${label}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  };

  // Parents that certainly exist in seed data.
  const parentIds: Record<string, number> = {};
  for (const [collection, key] of [
    ['/company/companies', '/company/companies'],
    ['/company/contacts', '/company/contacts'],
    ['/sales/opportunities', '/sales/opportunities'],
    ['/service/tickets', '/service/tickets'],
  ] as const) {
    const r = await call('GET', `${collection}?pageSize=1`);
    parentIds[key] = ((r.json as Json[])[0]?.id as number | undefined) ?? 1;
  }
  const parentOf = (template: string) => {
    const base = template.split('/{parentId}')[0] as string;
    return parentIds[base] ?? 1;
  };

  let n = 0;
  const created = new Map<string, number>();
  const templates = Object.keys(spec.paths).sort((a, b) => a.length - b.length);
  // POSTs first, so every list / get / count below also sees records the simulator created.
  for (const template of templates) {
    const op = spec.paths[template]?.post;
    if (!op) continue;
    const bodyFor = POST_BODIES[template];
    if (!bodyFor) {
      violations.push(`POST ${template}: no sample body in the conformance script`);
      continue;
    }
    n++;
    const path = template.replace('{parentId}', String(parentOf(template)));
    const r = await call('POST', path, bodyFor(n));
    const isSearch = template.endsWith('/search');
    check(`POST ${template}`, responseSchema(op, isSearch ? '200' : '201'), r.status, isSearch ? 200 : 201, r.json);
    if (!isSearch && r.json && typeof r.json === 'object') created.set(template, (r.json as Json).id as number);
  }
  for (const template of templates) {
    const op = spec.paths[template]?.get;
    if (!op) continue;
    const collection = template.replace(/\/(\{id\}|count)$/, '');
    const path = template
      .replace('{parentId}', String(parentOf(template)))
      .replace('{id}', String(created.get(collection) ?? 1));
    const isList = !template.endsWith('{id}') && !template.endsWith('/count') && template !== '/system/info';
    const r = await call('GET', isList ? `${path}?pageSize=200` : path);
    check(`GET ${template}`, responseSchema(op, '200'), r.status, 200, r.json);
    if (isList && Array.isArray(r.json) && r.json.length === 0)
      violations.push(`GET ${template}: empty list, nothing validated`);
  }
  await sb.close();
  for (const v of violations) console.log(`VIOLATION ${v}`);
  console.log(
    `sandbox conformance: ${checked} responses checked against ${specFile}; ${violations.length} violation(s)`,
  );
  return violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
