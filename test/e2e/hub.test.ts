// The CRM hub end to end: every resource and method over real HTTP, against the ConnectWise simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRecord, listRecords } from '../../src/engine/index.ts';
import { loadInstanceConfig } from '../../src/platform/index.ts';
import { testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

type Rec = Record<string, unknown> & { id: number };

let f: HubFixture;
let configTypeId: number;
let ticketId: number;
const suffix = Date.now().toString(36).slice(-5).toUpperCase();

beforeAll(async () => {
  f = await startHubFixture();
  const types = await f.hub('GET', '/hubs/crm/company/configurations/types?pageSize=1');
  expect(types.status).toBe(200);
  configTypeId = types.body[0].id;
  const tickets = await f.hub('GET', '/hubs/crm/incidents?pageSize=1');
  ticketId = tickets.body[0].id;
});
afterAll(async () => {
  await f?.close();
});

interface Case {
  name: string;
  create: () => Record<string, unknown>;
  /** A partial PUT body: the rest of the record must survive it. */
  put: Record<string, unknown>;
  patch: Record<string, unknown>;
  /** A field the create sets and the PUT does not touch. */
  keeps: string;
}

const cases: Case[] = [
  {
    name: 'contacts',
    create: () => ({ firstName: 'Hub', lastName: `Tester${suffix}`, company: { id: 1 } }),
    put: { title: 'CTO' },
    patch: { title: 'CFO' },
    keeps: 'lastName',
  },
  {
    name: 'organizations',
    create: () => ({ identifier: `HUB${suffix}`, name: `Hub Org ${suffix}`, addressLine1: '1 Main St', city: 'Tampa' }),
    put: { city: 'Orlando' },
    patch: { city: 'Miami' },
    keeps: 'identifier',
  },
  {
    name: 'incidents',
    create: () => ({ summary: `Hub incident ${suffix}`, company: { identifier: 'ACME' } }),
    put: { poNumber: 'PO-1' },
    patch: { poNumber: 'PO-2' },
    keeps: 'summary',
  },
  {
    name: 'opportunities',
    create: () => ({
      name: `Hub opp ${suffix}`,
      company: { id: 1 },
      contact: { id: 1 },
      primarySalesRep: { identifier: 'asmith' },
    }),
    put: { customerPO: 'C-1' },
    patch: { customerPO: 'C-2' },
    keeps: 'name',
  },
  {
    name: 'configurations',
    create: () => ({ name: `Hub cfg ${suffix}`, type: { id: configTypeId }, company: { id: 1 } }),
    put: { serialNumber: 'SN-1' },
    patch: { serialNumber: 'SN-2' },
    keeps: 'name',
  },
  {
    name: 'activities',
    create: () => ({ name: `Hub call ${suffix}`, assignTo: { identifier: 'asmith' } }),
    put: { notes: 'first' },
    patch: { notes: 'second' },
    keeps: 'name',
  },
  {
    name: 'time-entries',
    create: () => ({
      company: { id: 1 },
      chargeToId: ticketId,
      chargeToType: 'ServiceTicket',
      member: { identifier: 'asmith' },
      timeStart: '2024-03-01T10:00:00Z',
      timeEnd: '2024-03-01T11:00:00Z',
      notes: `Hub work ${suffix}`,
    }),
    put: { internalNotes: 'first' },
    patch: { internalNotes: 'second' },
    keeps: 'notes',
  },
  {
    name: 'fields',
    create: () => ({
      caption: `HubField${suffix}`,
      fieldTypeIdentifier: 'Text',
      entryTypeIdentifier: 'EntryField',
      screenId: 'contact',
    }),
    put: { helpText: 'first' },
    patch: { helpText: 'second' },
    keeps: 'caption',
  },
];

describe(`hub resources (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  for (const c of cases) {
    it(`${c.name}: paging contract, get, count`, async () => {
      const p1 = await f.hub('GET', `/hubs/crm/${c.name}?page=1&pageSize=3`);
      expect(p1.status).toBe(200);
      expect(p1.headers.get('elements-element-instance-id')).toBe(String(f.instanceId));
      expect(p1.headers.get('elements-returned-count')).toBe(String(p1.body.length));
      const token = p1.headers.get('elements-next-page-token');
      expect(token).toBeTruthy();
      expect(JSON.parse(Buffer.from(token!, 'base64').toString())).toEqual({ page: 2, pageSize: 3 });
      const p2 = await f.hub('GET', `/hubs/crm/${c.name}?nextPage=${encodeURIComponent(token!)}`);
      const both = await f.hub('GET', `/hubs/crm/${c.name}?page=1&pageSize=6&unknownParam=ignored`);
      expect(both.status).toBe(200);
      expect([...p1.body, ...p2.body]).toEqual(both.body);
      const first = p1.body[0] as Rec;
      expect(typeof first.id).toBe('number');
      const one = await f.hub('GET', `/hubs/crm/${c.name}/${first.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(first);
      const count = await f.hub('GET', `/hubs/crm/${c.name}/count`);
      expect(count.status).toBe(200);
      const vendorPath = f.server.runtime.deps.catalog
        .find('connectwisecrmrest')!
        .resources.find((r) => r.name === c.name)!.vendorPath;
      const vendorCount = await f.vendor(`${vendorPath}/count`);
      expect(count.body).toEqual({ count: vendorCount.body.count });
    });

    it(`${c.name}: POST, PUT (merge), PATCH, DELETE answer 200`, async () => {
      const created = await f.hub('POST', `/hubs/crm/${c.name}`, { body: c.create() });
      expect(created.status, created.text).toBe(200);
      const id = created.body.id;
      expect(typeof id).toBe('number');
      const fetched = await f.hub('GET', `/hubs/crm/${c.name}/${id}`);
      expect(fetched.body.id).toBe(id);
      const put = await f.hub('PUT', `/hubs/crm/${c.name}/${id}`, { body: c.put });
      expect(put.status, put.text).toBe(200);
      for (const [k, v] of Object.entries(c.put)) expect(put.body[k]).toEqual(v);
      expect(put.body[c.keeps]).toEqual(created.body[c.keeps]);
      const patched = await f.hub('PATCH', `/hubs/crm/${c.name}/${id}`, { body: c.patch });
      expect(patched.status, patched.text).toBe(200);
      for (const [k, v] of Object.entries(c.patch)) expect(patched.body[k]).toEqual(v);
      expect(patched.body[c.keeps]).toEqual(created.body[c.keeps]);
      const listed = await f.hub('GET', `/hubs/crm/${c.name}?where=${encodeURIComponent(`id=${id}`)}`);
      expect(listed.body).toEqual([patched.body]);
      const deleted = await f.hub('DELETE', `/hubs/crm/${c.name}/${id}`);
      expect(deleted.status).toBe(200);
      const gone = await f.hub('GET', `/hubs/crm/${c.name}/${id}`);
      expect(gone.status).toBe(404);
      expect(gone.body.providerMessage).toBeTruthy();
    });
  }
});

describe('incident children', () => {
  it('comments: list, get, POST, PUT, PATCH, DELETE', async () => {
    const created = await f.hub('POST', `/hubs/crm/incidents/${ticketId}/comments`, {
      body: { text: 'first note', detailDescriptionFlag: true },
    });
    expect(created.status, created.text).toBe(200);
    const noteId = created.body.id;
    expect(typeof noteId).toBe('number');
    const list = await f.hub('GET', `/hubs/crm/incidents/${ticketId}/comments?pageSize=50`);
    expect(list.body.map((n: Rec) => n.id)).toContain(noteId);
    const one = await f.hub('GET', `/hubs/crm/incidents/${ticketId}/comments/${noteId}`);
    expect(one.body.text).toBe('first note');
    const put = await f.hub('PUT', `/hubs/crm/incidents/${ticketId}/comments/${noteId}`, {
      body: { text: 'replaced' },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.text).toBe('replaced');
    expect(put.body.detailDescriptionFlag).toBe(true);
    const patched = await f.hub('PATCH', `/hubs/crm/incidents/${ticketId}/comments/${noteId}`, {
      body: { text: 'patched' },
    });
    expect(patched.body.text).toBe('patched');
    expect((await f.hub('DELETE', `/hubs/crm/incidents/${ticketId}/comments/${noteId}`)).status).toBe(200);
    expect((await f.hub('GET', `/hubs/crm/incidents/${ticketId}/comments/${noteId}`)).status).toBe(404);
  });

  it('time-entries: the ticket’s entries only, with CEQL on top', async () => {
    const all = await f.hub('GET', `/hubs/crm/incidents/${ticketId}/time-entries?pageSize=200`);
    expect(all.status).toBe(200);
    const vendor = await f.vendor(
      `/time/entries?pageSize=1000&conditions=${encodeURIComponent(`chargeToType="ServiceTicket" and chargeToId=${ticketId}`)}`,
    );
    expect(all.body.map((e: Rec) => e.id)).toEqual(vendor.body.map((e: Rec) => e.id));
    for (const e of all.body) expect(e.chargeToId).toBe(ticketId);
    if (all.body.length > 0) {
      const firstId = all.body[0].id;
      const filtered = await f.hub(
        'GET',
        `/hubs/crm/incidents/${ticketId}/time-entries?where=${encodeURIComponent(`id=${firstId}`)}`,
      );
      expect(filtered.body.map((e: Rec) => e.id)).toEqual([firstId]);
    }
    const post = await f.hub('POST', `/hubs/crm/incidents/${ticketId}/time-entries`, { body: {} });
    expect(post.status).toBe(405);
  });

  it('members: POST assigns the member to the ticket', async () => {
    const res = await f.hub('POST', `/hubs/crm/incidents/${ticketId}/members`, { body: { identifier: 'asmith' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.owner.identifier).toBe('asmith');
    const missing = await f.hub('POST', `/hubs/crm/incidents/${ticketId}/members`, { body: {} });
    expect(missing.status).toBe(400);
  });

  it('configurations: PUT attaches by {id}, GET lists them', async () => {
    const cfg = await f.hub('GET', '/hubs/crm/configurations?pageSize=1');
    const cfgId = cfg.body[0].id;
    const put = await f.hub('PUT', `/hubs/crm/incidents/${ticketId}/configurations`, { body: { id: cfgId } });
    expect(put.status, put.text).toBe(200);
    const list = await f.hub('GET', `/hubs/crm/incidents/${ticketId}/configurations`);
    expect(list.status).toBe(200);
    expect(list.body.map((c: Rec) => c.id)).toContain(cfgId);
    const count = await f.hub('GET', `/hubs/crm/incidents/${ticketId}/configurations/count`);
    expect(count.body.count).toBe(list.body.length);
  });
});

describe('pass-through, discovery, shape, errors', () => {
  it('GET /{objectName}[/{id}[/{child}]] passes through to the ConnectWise path', async () => {
    const members = await f.hub('GET', '/hubs/crm/system/members?pageSize=2');
    expect(members.status).toBe(200);
    expect(members.headers.get('elements-returned-count')).toBe('2');
    const direct = await f.vendor('/system/members?pageSize=2');
    expect(members.body).toEqual(direct.body);
    const one = await f.hub('GET', `/hubs/crm/system/members/${members.body[0].id}`);
    expect(one.body).toEqual(members.body[0]);
    const sites = await f.hub('GET', '/hubs/crm/company/companies/1/sites');
    expect(sites.status).toBe(200);
    expect(sites.body).toEqual((await f.vendor('/company/companies/1/sites')).body);
    const filtered = await f.hub('GET', "/hubs/crm/system/members?where=identifier='asmith'");
    expect(filtered.body.map((m: Rec) => m.identifier)).toEqual(['asmith']);
    const count = await f.hub('GET', '/hubs/crm/system/members/count');
    expect(count.body).toEqual((await f.vendor('/system/members/count')).body);
    expect((await f.hub('POST', '/hubs/crm/system/members', { body: {} })).status).toBe(405);
  });

  it('the /hubs/{hub}/ segment is not authoritative', async () => {
    const crm = await f.hub('GET', '/hubs/crm/contacts?pageSize=2');
    const other = await f.hub('GET', '/hubs/documents/contacts?pageSize=2');
    expect(other.body).toEqual(crm.body);
  });

  it('objects and metadata come from the element definition', async () => {
    const objects = await f.hub('GET', '/hubs/crm/objects');
    expect(objects.body).toEqual([
      'contacts',
      'organizations',
      'incidents',
      'opportunities',
      'configurations',
      'activities',
      'time-entries',
      'fields',
    ]);
    const meta = await f.hub('GET', '/hubs/crm/objects/contacts/metadata');
    expect(meta.status).toBe(200);
    expect(meta.body.fields.find((x: { vendorPath: string }) => x.vendorPath === 'id').type).toBe('number');
    expect((await f.hub('GET', '/hubs/crm/objects/nope/metadata')).status).toBe(404);
  });

  it('fields and orderBy are pushed down', async () => {
    const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=5&fields=id,lastName&orderBy=lastName desc');
    expect(res.status).toBe(200);
    for (const r of res.body) expect(Object.keys(r).sort()).toEqual(['id', 'lastName']);
    const names = res.body.map((r: { lastName: string }) => r.lastName);
    expect(names).toEqual([...names].sort().reverse());
    const stats = await f.vendor('/_sandbox/stats');
    const last = stats.body.requests.filter((r: { path: string }) => r.path === '/company/contacts').at(-1);
    expect(last.query.fields).toBe('id,lastName');
    expect(last.query.orderBy).toBe('lastName desc,id asc');
  });

  it('includeTotalCount answers Elements-Total-Count from the vendor /count', async () => {
    const res = await f.hub(
      'GET',
      `/hubs/crm/contacts?pageSize=2&includeTotalCount=true&where=${encodeURIComponent('id<=10')}`,
    );
    expect(res.headers.get('elements-total-count')).toBe('10');
    const cors = await fetch(`${f.server.base}/hubs/crm/contacts?pageSize=1`, {
      headers: { origin: 'http://console.example', authorization: `User ${f.org.userSecret}, Element ${f.token}` },
    });
    expect(cors.headers.get('access-control-expose-headers')).toContain('Elements-Next-Page-Token');
  });

  it('explain=true shows the ConnectWise request and sends nothing', async () => {
    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    const res = await f.hub(
      'GET',
      `/hubs/crm/contacts?explain=true&pageSize=10&where=${encodeURIComponent("email='a@b.c' AND lastName LIKE 'Le%'")}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.query).toEqual({
      conditions: 'lastName like "Le%"',
      childConditions: 'communicationItems/value="a@b.c" AND communicationItems/communicationType="Email"',
      pageSize: '10',
      page: '1',
    });
    expect(res.body.headers.authorization).toBe('[REDACTED]');
    expect((await f.vendor('/_sandbox/stats')).body.total).toBe(0);
  });

  it('bad CEQL is a 400 naming the problem, never a 5xx', async () => {
    const parse = await f.hub('GET', `/hubs/crm/contacts?where=${encodeURIComponent("lastName = 'x")}`);
    expect(parse.status).toBe(400);
    expect(parse.body.message).toMatch(/^Error parsing query/);
    expect(parse.body.message).toMatch(/position/);
    const unsupported = await f.hub('GET', `/hubs/crm/contacts?where=${encodeURIComponent("email='a@b.c' OR id=1")}`);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.message).toContain("email='a@b.c'");
    const badType = await f.hub('GET', `/hubs/crm/contacts?where=${encodeURIComponent("id='abc'")}`);
    expect(badType.status).toBe(400);
  });

  it('vendor validation errors keep the field names', async () => {
    const res = await f.hub('POST', '/hubs/crm/incidents', { body: { summary: 'x'.repeat(150), company: { id: 1 } } });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('summary');
    expect(res.body.providerMessage).toBeTruthy();
    expect(res.body.requestId).toMatch(/^[0-9a-f]{24}$/);
  });

  it('POST Idempotency-Key: same body → same result without a second POST; other body → 422', async () => {
    const body = { firstName: 'Idem', lastName: `Potent${suffix}`, company: { id: 1 } };
    const headers = { 'idempotency-key': `k-${suffix}` };
    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    const a = await f.hub('POST', '/hubs/crm/contacts', { body, headers });
    const b = await f.hub('POST', '/hubs/crm/contacts', { body, headers });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect((await f.vendor('/_sandbox/stats')).body.paths['POST /company/contacts']).toBe(1);
    const c = await f.hub('POST', '/hubs/crm/contacts', { body: { ...body, firstName: 'Other' }, headers });
    expect(c.status).toBe(422);
  });

  it('vendor 5xx after retries is a 502 with the provider message; no hang', async () => {
    await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({ errorRate: 1 }) });
    try {
      const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('UPSTREAM_ERROR');
      expect(res.body.providerMessage).toBeTruthy();
    } finally {
      await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({}) });
    }
  }, 15_000);

  it('disabled instance: 403 on records, objects still answer', async () => {
    expect((await f.platform('DELETE', `/instances/${f.instanceId}/enabled`)).status).toBe(200);
    try {
      expect((await f.hub('GET', '/hubs/crm/contacts')).status).toBe(403);
      expect((await f.hub('GET', '/hubs/crm/objects')).status).toBe(200);
    } finally {
      expect((await f.platform('PUT', `/instances/${f.instanceId}/enabled`)).status).toBe(200);
    }
    expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=1')).status).toBe(200);
  });

  it('docs: OpenAPI 3 for every hub resource', async () => {
    const byElement = await f.platform('GET', '/elements/connectwisecrmrest/docs?format=openapi3');
    expect(byElement.status).toBe(200);
    expect(byElement.body.openapi).toMatch(/^3\./);
    for (const name of [
      'contacts',
      'organizations',
      'incidents',
      'opportunities',
      'configurations',
      'activities',
      'time-entries',
      'fields',
    ]) {
      expect(byElement.body.paths[`/hubs/crm/${name}`].get).toBeDefined();
      expect(byElement.body.components.schemas[name].properties.id.type).toBe('integer');
    }
    expect(byElement.body.paths['/hubs/crm/incidents/{id}/comments/{commentsId}'].patch).toBeDefined();
    const byInstance = await f.platform('GET', `/instances/${f.instanceId}/docs?format=openapi3`);
    expect(byInstance.body.paths).toEqual(byElement.body.paths);
    expect((await f.hub('GET', '/instances/docs')).status).toBe(200);
  });

  it('trace logs record vendor calls with secrets redacted', async () => {
    expect((await f.platform('PUT', `/instances/${f.instanceId}/trace-logging`)).body.traceLoggingEnabled).toBe(true);
    await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
    await new Promise((r) => setTimeout(r, 100));
    const logs = await f.platform('GET', `/instances/${f.instanceId}/logs`);
    expect(logs.status).toBe(200);
    const entry = logs.body.find((l: { url: string }) => l.url.includes('/company/contacts'));
    expect(entry.status).toBe(200);
    expect(entry.requestHeaders.authorization).toBe('[REDACTED]');
    expect(JSON.stringify(logs.body)).not.toContain(f.sandbox.credentials.privateKey);
    await f.platform('DELETE', `/instances/${f.instanceId}/trace-logging`);
  });
});

describe('engine API used by pollers and bulk', () => {
  it('listRecords pushes the poller where and orderBy down; getRecord reads one', async () => {
    const deps = f.server.runtime.deps;
    const instance = {
      id: f.instanceId,
      elementKey: 'connectwisecrmrest',
      config: await loadInstanceConfig(deps, f.instanceId),
    };
    const page = await listRecords(deps, instance, 'contacts', {
      where: "lastUpdated>'2000-01-01T00:00:00Z'",
      orderBy: '_info.lastUpdated asc',
      pageSize: 5,
      page: 1,
    });
    expect(page.ok).toBe(true);
    if (!page.ok) return;
    expect(page.value.records).toHaveLength(5);
    expect(page.value.hasMore).toBe(true);
    expect(decodeURIComponent(page.value.vendorRequest)).toContain('conditions=lastUpdated>[2000-01-01T00:00:00Z]');
    expect(decodeURIComponent(page.value.vendorRequest)).toContain('orderBy=lastUpdated asc,id asc');
    const stamps = page.value.records.map((r) => (r._info as { lastUpdated: string }).lastUpdated);
    expect(stamps).toEqual([...stamps].sort());
    const one = await getRecord(deps, instance, 'contacts', page.value.records[0]!.id as number);
    expect(one.ok && one.value).toEqual(page.value.records[0]);
    const bad = await listRecords(deps, instance, 'contacts', { where: "lastUpdated>'" });
    expect(!bad.ok && bad.error.code).toBe('QUERY_PARSE');
    const child = await listRecords(deps, instance, `incidents/${ticketId}/comments`, { pageSize: 2 });
    expect(child.ok).toBe(true);
  });
});
