/**
 * npm run sandbox:conformance — starts the simulator, exercises every list / get / post / count
 * operation of the resources in the OpenAPI extract, validates each response against the
 * extract's schemas with ajv, prints every violation and exits non-zero on any.
 *
 * Field round trip: for each model of the extract, a POST carrying every writable property (every
 * property but those the simulator declares read-only) followed by a GET must return each value
 * (write-only ones, like a contact's portalPassword, must not come back), and a PATCH of each
 * writable path must be accepted and applied.
 *
 * The extract is reference data outside the repository:
 * ${CONDUIT_SHARED_DIR:-<repo>/../shared}/data/connectwise-manage/manage-crm-subset.openapi.json
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { request } from 'undici';
import { TABLE_BY_KEY } from '../src/sandbox/catalog/tables.ts';
import type { FieldSpec, TableDef } from '../src/sandbox/catalog/types.ts';
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
  const call: Call = async (method, path, body) => {
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
  checked += await roundTrips(spec.components, call, parentOf, violations);
  await sb.close();
  for (const v of violations) console.log(`VIOLATION ${v}`);
  console.log(
    `sandbox conformance: ${checked} responses checked against ${specFile}; ${violations.length} violation(s)`,
  );
  return violations.length === 0 ? 0 : 1;
}

type Call = (
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: unknown }>;

/** Models of the extract → the simulator's table and collection path (`{parentId}` for child collections). */
const MODELS: Record<string, { table: string; path: string }> = {
  Activity: { table: 'activities', path: '/sales/activities' },
  CallbackEntry: { table: 'callbacks', path: '/system/callbacks' },
  Company: { table: 'companies', path: '/company/companies' },
  'Company.Configuration': { table: 'configurations', path: '/company/configurations' },
  CompanyNote: { table: 'companyNotes', path: '/company/companies/{parentId}/notes' },
  Contact: { table: 'contacts', path: '/company/contacts' },
  ContactCommunication: { table: 'contactCommunications', path: '/company/contacts/{parentId}/communications' },
  ContactNote: { table: 'contactNotes', path: '/company/contacts/{parentId}/notes' },
  Opportunity: { table: 'opportunities', path: '/sales/opportunities' },
  OpportunityNote: { table: 'opportunityNotes', path: '/sales/opportunities/{parentId}/notes' },
  ServiceNote: { table: 'ticketNotes', path: '/service/tickets/{parentId}/notes' },
  Ticket: { table: 'tickets', path: '/service/tickets' },
};

/**
 * Properties sent but not compared: the value is legitimately not the one sent (the company's main site is
 * created from `site.name`; a ticket's closedFlag follows its status; items and custom fields have their own
 * shapes, checked elsewhere), or the value fixed here keeps the record consistent.
 */
const NOT_COMPARED = new Set([
  'Company.site',
  'Contact.communicationItems',
  'customFields',
  'Contact.types',
  // Derived from the communication type, as ConnectWise does.
  'ContactCommunication.communicationType',
]);
const FIXED: Record<string, unknown> = {
  'Ticket.closedFlag': false,
  'Company.deletedFlag': false,
  'Contact.inactiveFlag': false,
  'CallbackEntry.inactiveFlag': true,
  'CallbackEntry.url': 'http://127.0.0.1:9/conformance-round-trip',
  'CallbackEntry.level': 'owner',
  'Ticket.parentTicketId': undefined,
  'Ticket.mergedParentTicket': undefined,
};

const isReadOnly = (spec: FieldSpec) => 'readOnly' in spec && spec.readOnly === true;
const isPostOnly = (spec: FieldSpec) => 'postOnly' in spec && spec.postOnly === true;
const isWriteOnly = (spec: FieldSpec) => 'writeOnly' in spec && spec.writeOnly === true;

/** Round trip of every writable property of every model, then a PATCH of each. Returns the checks made. */
async function roundTrips(
  components: Json,
  call: Call,
  parentOf: (template: string) => number,
  violations: string[],
): Promise<number> {
  const schemas = (components as { schemas: Record<string, { properties?: Record<string, Json> }> }).schemas;
  let checks = 0;
  let n = 1000;
  // The id of a row of a table (the first one; within a parent for child tables), looked up over the API.
  const firstIds = new Map<string, number | undefined>();
  const rowOf = async (to: string, parentId?: number): Promise<number | undefined> => {
    const target = TABLE_BY_KEY.get(to) as TableDef;
    const path = target.path.replace('{parentId}', String(parentId ?? 1));
    if (!firstIds.has(path)) {
      const r = await call('GET', `/${path}?pageSize=1&orderBy=id asc`);
      firstIds.set(path, ((r.json as Json[] | undefined)?.[0]?.id as number | undefined) ?? undefined);
    }
    return firstIds.get(path);
  };
  const valueFor = async (
    model: string,
    name: string,
    spec: FieldSpec,
    body: Json,
    variant: number,
  ): Promise<unknown> => {
    const key = `${model}.${name}`;
    if (key in FIXED) return FIXED[key];
    switch (spec.t) {
      case 'string': {
        if (spec.enum) return spec.enum[variant % spec.enum.length];
        const text = `${name.slice(0, 4)}${variant}${n}`;
        return spec.max !== undefined ? text.slice(-spec.max) : text;
      }
      case 'uuid':
        return randomUUID();
      case 'int': {
        const low = spec.min ?? 1;
        return Math.min(low + 2 + (variant % 3), spec.max ?? Number.MAX_SAFE_INTEGER);
      }
      case 'number':
        return 2.5 + variant;
      case 'boolean':
        return variant % 2 === 0;
      case 'datetime':
        return `2025-03-0${4 + (variant % 5)}T05:06:07Z`;
      case 'ref':
      case 'refs': {
        const target = TABLE_BY_KEY.get(spec.to) as TableDef;
        let parentId: number | undefined;
        if (target.parent) {
          const scope = spec.t === 'ref' ? spec.scopeField : undefined;
          // `id`: a row of the record itself (a company's own sites).
          const scoped =
            scope === 'id'
              ? (body.id as number | undefined)
              : scope
                ? (body[scope] as { id?: number } | undefined)?.id
                : undefined;
          parentId = scoped ?? (await rowOf(target.parent.table));
        }
        const id = await rowOf(spec.to, parentId);
        if (id === undefined) return undefined;
        return spec.t === 'ref' ? { id } : [{ id }];
      }
      case 'strings':
        return [`tag${variant}`];
      case 'objects': {
        const item: Json = {};
        for (const [k, s] of Object.entries(spec.of)) item[k] = await valueFor(model, k, s, body, variant);
        return [item];
      }
      default:
        return undefined;
    }
  };
  const same = (spec: FieldSpec, sent: unknown, got: unknown): boolean => {
    if (spec.t === 'ref') return (got as { id?: number } | undefined)?.id === (sent as { id: number }).id;
    if (spec.t === 'refs') {
      return isDeepStrictEqual(
        ((got as { id: number }[] | undefined) ?? []).map((r) => r.id),
        (sent as { id: number }[]).map((r) => r.id),
      );
    }
    if (spec.t === 'datetime') return typeof got === 'string' && Date.parse(got) === Date.parse(sent as string);
    if (spec.t === 'objects') {
      const items = (got as Json[] | undefined) ?? [];
      return (sent as Json[]).every((s, i) => Object.entries(s).every(([k, v]) => items[i]?.[k] === v));
    }
    return isDeepStrictEqual(got, sent);
  };

  for (const [model, { table, path }] of Object.entries(MODELS)) {
    const def = TABLE_BY_KEY.get(table) as TableDef;
    const properties = Object.keys(schemas[model]?.properties ?? {}).filter((p) => p !== 'id' && p !== '_info');
    const writable: [string, FieldSpec][] = [];
    for (const name of properties) {
      const spec = def.fields[name];
      if (!spec) {
        violations.push(`${model}.${name}: in the extract but not in the simulator's ${table} model`);
        continue;
      }
      if (!isReadOnly(spec) && spec.t !== 'customFields' && spec.t !== 'items') writable.push([name, spec]);
    }
    // Scoped references last: their scope (board, company) is chosen first.
    const scoped = (s: FieldSpec) => s.t === 'ref' && s.scopeField !== undefined;
    writable.sort(([, a], [, b]) => Number(scoped(a)) - Number(scoped(b)));
    n++;
    const base = (POST_BODIES[path] ?? (() => ({})))(n) as Json;
    const body: Json = { ...base };
    for (const [name, spec] of writable) {
      const value = await valueFor(model, name, spec, body, 0);
      if (value !== undefined) body[name] = value;
    }
    const collection = path.replace('{parentId}', String(parentOf(path)));
    const created = await call('POST', collection, body);
    checks++;
    if (created.status !== 201) {
      violations.push(`POST ${path} with every writable property: ${created.status} ${JSON.stringify(created.json)}`);
      continue;
    }
    const id = (created.json as Json).id as number;
    const fetched = (await call('GET', `${collection}/${id}`)).json as Json;
    for (const [name, spec] of writable) {
      if (!(name in body) || isPostOnly(spec) || NOT_COMPARED.has(`${model}.${name}`) || NOT_COMPARED.has(name))
        continue;
      checks++;
      if (isWriteOnly(spec)) {
        if (fetched[name] !== undefined) violations.push(`${model}.${name}: write-only, but GET returned it`);
      } else if (!same(spec, body[name], fetched[name])) {
        violations.push(
          `${model}.${name}: POST sent ${JSON.stringify(body[name])}, GET returned ${JSON.stringify(fetched[name])}`,
        );
      }
    }
    // PATCH each writable path (POST-only ones excepted: ConnectWise acts on them at creation only).
    for (const [name, spec] of writable) {
      if (isPostOnly(spec) || `${model}.${name}` in FIXED) continue;
      const value = await valueFor(model, name, spec, { ...fetched, ...body }, 1);
      if (value === undefined) continue;
      const patched = await call('PATCH', `${collection}/${id}`, [{ op: 'replace', path: name, value }]);
      checks++;
      if (patched.status !== 200) {
        violations.push(`PATCH ${path} ${name}: ${patched.status} ${JSON.stringify(patched.json).slice(0, 300)}`);
      } else if (
        !isWriteOnly(spec) &&
        !NOT_COMPARED.has(`${model}.${name}`) &&
        !same(spec, value, (patched.json as Json)[name])
      ) {
        violations.push(
          `PATCH ${path} ${name}: sent ${JSON.stringify(value)}, got ${JSON.stringify((patched.json as Json)[name])}`,
        );
      }
    }
  }
  return checks;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
