/**
 * Replays every request of §10 of shared/docs/connectwise-manage-api.md against a started
 * simulator, over real HTTP and HTTPS, and asserts ConnectWise's answers.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.ts';
import { type CwClient, cwClient, enc, linkRels } from './client.ts';

const LITERAL_HELP =
  'String values should be enclosed with double or single quotes; DateTime values should be enclosed in square brackets; numbers should consist of only digits, and optionally a decimal point and a negation sign; boolean values should be indicated with the keywords true or false; null values should be indicated by the keyword null.';

type Rec = Record<string, unknown> & { id: number };

interface Hub {
  url: string;
  received: { url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

async function startHub(): Promise<Hub> {
  const received: Hub['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function waitFor<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(['http', 'https'] as const)('digest §10 replay over %s', (protocol) => {
  let sb: RunningSandbox;
  let cw: CwClient;
  let hub: Hub;

  beforeAll(async () => {
    sb = await startSandbox({
      company: 'acme',
      publicKey: 'PUB',
      privateKey: 'PRIV',
      httpsPort: 0,
      quiet: true,
      seed: 7,
    });
    cw = cwClient(sb, protocol);
    hub = await startHub();
  });
  afterAll(async () => {
    await sb.close();
    await hub.close();
  });

  it('#1 GET /login/companyinfo/acme without auth → Codebase v4_6_release/', async () => {
    const r = await cw.call('GET', '//login/companyinfo/acme', {
      headers: { authorization: undefined, clientId: undefined },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ Codebase: 'v4_6_release/', CompanyID: 'acme', IsCloud: false });
    const body = r.json as Record<string, unknown>;
    for (const k of ['CompanyName', 'VersionCode', 'VersionNumber', 'SiteUrl']) expect(typeof body[k]).toBe('string');
    const unknown = await cw.call('GET', '//login/companyinfo/nobody', { headers: { authorization: undefined } });
    expect(unknown.status).toBe(200);
    expect(unknown.text).toBe('null');
  });

  it('#2 GET /system/info with an Accept version → Info and api-current-version', async () => {
    const r = await cw.call('GET', '/system/info', {
      headers: { accept: 'application/vnd.connectwise.com+json; version=2022.1' },
    });
    expect(r.status).toBe(200);
    expect(r.headers['api-current-version']).toMatch(/^\d{4}\.\d+$/);
    expect(r.headers['x-cw-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers['cache-control']).toBe('no-cache');
    const info = r.json as { version: string; isCloud: boolean; licenseBits: unknown[] };
    expect(info.version).toMatch(/^v\d{4}\.\d+\.\d+$/);
    expect(typeof info.isCloud).toBe('boolean');
    expect(Array.isArray(info.licenseBits)).toBe(true);
  });

  it('#3 missing clientId → the configured clientId error', async () => {
    const r = await cw.call('GET', '/system/info', { headers: { clientId: undefined } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'InvalidClientId' });
    expect((r.json as { message: string }).message).toContain('clientId');
    const unknown = await cw.call('GET', '/system/info', { headers: { ClientID: 'not-registered' } });
    expect(unknown.status).toBe(400);
    expect((unknown.json as { message: string }).message).toContain('not-registered');
  });

  it('#4 wrong private key → 401 {code,message}', async () => {
    const r = await cw.call('GET', '/system/info', {
      headers: { authorization: `Basic ${Buffer.from('acme+PUB:WRONG').toString('base64')}` },
    });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ code: 'Unauthorized', message: expect.any(String) });
  });

  it('#5 GET /company/companies → at most 25, Link first/next/last', async () => {
    const r = await cw.call('GET', '/company/companies');
    expect(r.status).toBe(200);
    const rows = r.json as Rec[];
    expect(rows).toHaveLength(25);
    const rels = linkRels(r.headers.link);
    expect(Object.keys(rels).sort()).toEqual(['first', 'last', 'next']);
    expect(rels.next).toMatch(/page=2$/);
    expect(rels.next?.startsWith(cw.base)).toBe(true);
  });

  it('#6 pageSize=2&page=2 → prev and next, URLs end in page=N', async () => {
    const r = await cw.call('GET', '/company/companies?pageSize=2&page=2');
    const rows = r.json as Rec[];
    expect(rows.map((x) => x.id)).toEqual([3, 4]);
    const rels = linkRels(r.headers.link);
    expect(rels.prev).toMatch(/\?pageSize=2&page=1$/);
    expect(rels.next).toMatch(/\?pageSize=2&page=3$/);
    expect(rels.last).toMatch(/page=25$/);
    expect(r.headers.link).toMatch(/page=(\d+)>; rel="next"/);
  });

  it('#7 /count with conditions → {"count": n}', async () => {
    const all = (await cw.call('GET', '/company/companies?pageSize=1000')).json as Rec[];
    const expected = all.filter((c) => String(c.name).toLowerCase().startsWith('a')).length;
    const r = await cw.call('GET', `/company/companies/count?conditions=${enc('name like "A%"')}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ count: expected });
    expect(expected).toBeGreaterThan(0);
  });

  it('#8 conditions with parentheses, in, orderBy desc and nested fields', async () => {
    const conditions = '(status/name="Active" and deletedFlag=false) or identifier in ("ABC","XYZ")';
    const r = await cw.call(
      'GET',
      `/company/companies?conditions=${enc(conditions)}&orderBy=${enc('name desc')}&fields=id,identifier,name,status/name&pageSize=1000`,
    );
    expect(r.status).toBe(200);
    const rows = r.json as { id: number; identifier: string; name: string; status: { name: string } }[];
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['id', 'identifier', 'name', 'status']);
      expect(row.status).toEqual({ name: 'Active' });
    }
    const names = rows.map((x) => x.name.toLowerCase());
    expect(names).toEqual([...names].sort().reverse());
  });

  it('#9 lastUpdated > [datetime] and boolean and not contains', async () => {
    const conditions = 'lastUpdated > [2024-01-01T00:00:00Z] and closedFlag = False and summary not contains "test"';
    const r = await cw.call('GET', `/service/tickets?conditions=${enc(conditions)}&pageSize=1000`);
    expect(r.status).toBe(200);
    const rows = r.json as { summary: string; closedFlag: boolean; _info: { lastUpdated: string } }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) {
      expect(Date.parse(t._info.lastUpdated)).toBeGreaterThan(Date.parse('2024-01-01T00:00:00Z'));
      expect(t.closedFlag).toBe(false);
      expect(t.summary.toLowerCase()).not.toContain('test');
    }
  });

  it('#10 board/id = "abc" → 400 with the literal-format message', async () => {
    const r = await cw.call('GET', `/service/tickets?conditions=${enc('board/id = "abc"')}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      code: 'InvalidObject',
      message: `Expected a numeric value, not a string. ${LITERAL_HELP}`,
    });
  });

  it('#11 childConditions bind both clauses to the same communication item', async () => {
    const cc = 'communicationItems/value like "%@acme.com" AND communicationItems/communicationType="Email"';
    const r = await cw.call('GET', `/company/contacts?childConditions=${enc(cc)}&pageSize=1000`);
    expect(r.status).toBe(200);
    const rows = r.json as { communicationItems: { value: string; communicationType: string }[] }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const c of rows) {
      expect(c.communicationItems.some((i) => i.communicationType === 'Email' && i.value.endsWith('@acme.com'))).toBe(
        true,
      );
    }
  });

  it('#12 customFieldConditions caption/value', async () => {
    const r = await cw.call(
      'GET',
      `/company/contacts?customFieldConditions=${enc('caption="Tier" AND value="Gold"')}&pageSize=1000`,
    );
    expect(r.status).toBe(200);
    const rows = r.json as { customFields: { caption: string; value?: unknown }[] }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const c of rows) expect(c.customFields.find((f) => f.caption === 'Tier')?.value).toBe('Gold');
  });

  let lastConfigId = 0;
  it('#13 forward-only from pageId=0 → ordered by id, Link with pageId=', async () => {
    const r = await cw.call('GET', '/company/configurations?pageSize=1000&pageId=0', {
      headers: { 'pagination-type': 'forward-only' },
    });
    expect(r.status).toBe(200);
    const ids = (r.json as Rec[]).map((x) => x.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    lastConfigId = ids[ids.length - 1] as number;
    expect(r.headers.link).toMatch(
      new RegExp(
        `^<${cw.base.replace(/[.]/g, '\\.')}/company/configurations\\?pageSize=1000&pageId=${lastConfigId}>; rel="next"$`,
      ),
    );
  });

  it('#14 forward-only past the last id → empty page, empty Link', async () => {
    const r = await cw.call('GET', `/company/configurations?pageSize=1000&pageId=${lastConfigId}`, {
      headers: { 'pagination-type': 'forward-only' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([]);
    expect(r.headers.link).toBe('');
  });

  it('#15 orderBy with forward-only → rejected', async () => {
    const r = await cw.call('GET', '/company/companies?orderBy=name', {
      headers: { 'pagination-type': 'forward-only' },
    });
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toMatch(/orderBy/);
  });

  let companyId = 0;
  it('#16 POST /company/companies → 201 full record with absolute _info hrefs', async () => {
    const body = {
      identifier: 'NEWCO',
      name: 'New Co',
      site: { name: 'Main' },
      status: { id: 1 },
      types: [{ id: 1 }],
      addressLine1: '1 Main St',
      website: 'https://newco.example',
    };
    const r = await cw.call('POST', '/company/companies', { body });
    expect(r.status).toBe(201);
    const c = r.json as Rec & { _info: Record<string, string>; site: { name: string }; status: { name: string } };
    companyId = c.id;
    expect(c).toMatchObject({ identifier: 'NEWCO', name: 'New Co', addressLine1: '1 Main St', site: { name: 'Main' } });
    expect(c.status.name).toBe('Active');
    expect(c._info.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(c._info.contacts_href).toBe(`${cw.base}/company/contacts?conditions=company/id=${c.id}`);
    expect(c._info.sites_href).toBe(`${cw.base}/company/companies/${c.id}/sites`);
    expect(Array.isArray(c.customFields)).toBe(true);
  });

  it('#17 POST the same identifier again → 400 InvalidObject / ObjectExists', async () => {
    const r = await cw.call('POST', '/company/companies', {
      body: { identifier: 'newco', name: 'Other', addressLine1: 'x' },
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      code: 'InvalidObject',
      message: 'company object is invalid',
      errors: [
        { code: 'ObjectExists', message: 'Company ID already in use.', resource: 'company', field: 'identifier' },
      ],
    });
  });

  it('#18 POST /company/contacts with a communication item → communicationType and domain filled', async () => {
    const r = await cw.call('POST', '/company/contacts', {
      body: {
        firstName: 'Ann',
        lastName: 'Lee',
        company: { identifier: 'NEWCO' },
        communicationItems: [{ type: { name: 'Email' }, value: 'ann@newco.com', defaultFlag: true }],
      },
    });
    expect(r.status).toBe(201);
    const c = r.json as { company: { id: number }; communicationItems: Record<string, unknown>[] };
    expect(c.company.id).toBe(companyId);
    expect(c.communicationItems[0]).toMatchObject({
      type: { id: 1, name: 'Email' },
      value: 'ann@newco.com',
      defaultFlag: true,
      communicationType: 'Email',
      domain: '@newco.com',
    });
  });

  let ticketId = 0;
  it('#19 POST /service/tickets → 201, initialDescription not echoed', async () => {
    const r = await cw.call('POST', '/service/tickets', {
      body: {
        summary: 'Printer down',
        company: { identifier: 'NEWCO' },
        board: { name: 'Service Board' },
        initialDescription: 'The office printer shows an error.',
        recordType: 'ServiceTicket',
      },
    });
    expect(r.status).toBe(201);
    const t = r.json as Rec & { board: { name: string }; status: { name: string } };
    ticketId = t.id;
    expect(t).not.toHaveProperty('initialDescription');
    expect(t.board.name).toBe('Service Board');
    expect(t.status.name).toBe('New');
    expect(t.closedFlag).toBe(false);
  });

  it('#20 PATCH status and summary → 200 updated', async () => {
    const r = await cw.call('PATCH', `/service/tickets/${ticketId}`, {
      body: [
        { op: 'replace', path: 'status', value: { id: 2 } },
        { op: 'replace', path: 'summary', value: 'Printer fixed' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: ticketId, summary: 'Printer fixed', status: { id: 2, name: 'In Progress' } });
  });

  it('#21 PATCH a nested path → 400 and the ticket unchanged', async () => {
    const r = await cw.call('PATCH', `/service/tickets/${ticketId}`, {
      body: [{ op: 'replace', path: 'company/identifier', value: 'X' }],
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'InvalidObject',
      errors: [{ field: 'company/identifier', resource: 'ticket' }],
    });
    const after = (await cw.call('GET', `/service/tickets/${ticketId}`)).json as { company: { identifier: string } };
    expect(after.company.identifier).toBe('NEWCO');
  });

  it('#22 PUT without website → website cleared', async () => {
    const before = (await cw.call('GET', `/company/companies/${companyId}`)).json as Record<string, unknown>;
    expect(before.website).toBe('https://newco.example');
    const { website: _dropped, ...full } = before;
    const r = await cw.call('PUT', `/company/companies/${companyId}`, { body: full });
    expect(r.status).toBe(200);
    expect(r.json).not.toHaveProperty('website');
    expect(r.json).toMatchObject({ identifier: 'NEWCO', name: 'New Co' });
  });

  it('#23 POST a ticket note → 201 ServiceNote with _info.lastUpdated', async () => {
    const r = await cw.call('POST', `/service/tickets/${ticketId}/notes`, {
      body: { text: 'Called user', detailDescriptionFlag: true },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ ticketId, text: 'Called user', detailDescriptionFlag: true });
    expect((r.json as { _info: { lastUpdated: string } })._info.lastUpdated).toMatch(/Z$/);
  });

  it('#24 GET notes/count → {"count":1}', async () => {
    const r = await cw.call('GET', `/service/tickets/${ticketId}/notes/count`);
    expect(r.json).toEqual({ count: 1 });
  });

  let opportunityId = 0;
  it('#25 POST /sales/opportunities → 201', async () => {
    const r = await cw.call('POST', '/sales/opportunities', {
      body: { name: 'Renewal', company: { id: 1 }, contact: { id: 1 }, primarySalesRep: { identifier: 'jdoe' } },
    });
    expect(r.status).toBe(201);
    const o = r.json as Rec & { primarySalesRep: { identifier: string } };
    opportunityId = o.id;
    expect(o.primarySalesRep.identifier).toBe('jdoe');
  });

  let activityId = 0;
  it('#26 POST /sales/activities → 201', async () => {
    const r = await cw.call('POST', '/sales/activities', {
      body: { name: 'Follow up', assignTo: { identifier: 'jdoe' }, opportunity: { id: opportunityId } },
    });
    expect(r.status).toBe(201);
    activityId = (r.json as Rec).id;
    expect(r.json).toMatchObject({ name: 'Follow up', opportunity: { id: opportunityId, name: 'Renewal' } });
  });

  it('#27 DELETE an activity → 204, then GET → 404 NotFound', async () => {
    const del = await cw.call('DELETE', `/sales/activities/${activityId}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const r = await cw.call('GET', `/sales/activities/${activityId}`);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'NotFound', message: `Activity ${activityId} not found` });
  });

  it('#28 GET /service/tickets/999999 → 404 NotFound', async () => {
    const r = await cw.call('GET', '/service/tickets/999999');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'NotFound', message: 'Ticket 999999 not found' });
  });

  it('#29 unknown route → 404 ConnectWiseApi', async () => {
    const r = await cw.call('GET', '/nonexistent/thing');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'ConnectWiseApi', message: 'The endpoint does not exist.' });
  });

  it('#30 POST /system/callbacks, then a ticket PATCH sends a signed callback', async () => {
    const r = await cw.call('POST', '/system/callbacks', {
      body: { url: `${hub.url}/cw/cb?recordId=`, objectId: 1, type: 'ticket', level: 'owner', description: 'hub' },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ type: 'ticket', level: 'owner', objectId: 1, inactiveFlag: false });
    await cw.call('PATCH', `/service/tickets/${ticketId}`, {
      body: [{ op: 'replace', path: 'summary', value: 'Printer fixed again' }],
    });
    const got = await waitFor(() => hub.received.find((x) => x.body.includes('Printer fixed again')));
    expect(got.url).toBe(`/cw/cb?recordId=${ticketId}&action=updated&id=${ticketId}`);
    const payload = JSON.parse(got.body) as Record<string, unknown> & { Metadata: { key_url: string }; Entity: string };
    expect(payload).toMatchObject({
      Action: 'updated',
      Type: 'ticket',
      ID: ticketId,
      CompanyId: 'acme',
      MemberId: 'APIMember',
    });
    expect(JSON.parse(payload.Entity)).toMatchObject({ id: ticketId, summary: 'Printer fixed again' });
    const keyRes = await request(payload.Metadata.key_url);
    const { signing_key } = (await keyRes.body.json()) as { signing_key: string };
    const key = createHash('sha256').update(signing_key).digest();
    const expected = createHmac('sha256', key).update(JSON.stringify(payload)).digest('base64');
    expect(got.headers['x-content-signature']).toBe(expected);
  });

  it('#31 POST /system/members/jdoe/tokens → a working, expiring key pair', async () => {
    const r = await cw.call('POST', '/system/members/jdoe/tokens', {
      body: { memberIdentifier: 'jdoe' },
      headers: { 'x-cw-usertype': 'member' },
    });
    expect(r.status).toBe(201);
    const t = r.json as { publicKey: string; privateKey: string; expiration: string };
    expect(Date.parse(t.expiration)).toBeGreaterThan(Date.now());
    const asJdoe = await cw.call('PATCH', `/service/tickets/${ticketId}`, {
      body: [{ op: 'replace', path: 'summary', value: 'Done by jdoe' }],
      headers: { authorization: `Basic ${Buffer.from(`acme+${t.publicKey}:${t.privateKey}`).toString('base64')}` },
    });
    expect(asJdoe.status).toBe(200);
    expect((asJdoe.json as { _info: { updatedBy: string } })._info.updatedBy).toBe('jdoe');
  });

  it('#32 POST /service/tickets/search with conditions in the body', async () => {
    const r = await cw.call('POST', '/service/tickets/search', {
      body: { conditions: "summary like 'Printer%'", pageSize: 1000 },
    });
    expect(r.status).toBe(200);
    const rows = r.json as { summary: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const t of rows) expect(t.summary.toLowerCase().startsWith('printer')).toBe(true);
  });

  it('#33 fault=429 switch → 429 + Retry-After', async () => {
    const r = await cw.call('GET', '/company/companies?fault=429');
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(r.json).toEqual({
      error: 'ConnectWiseAPI',
      message: `Too many requests. Please try again in ${r.headers['retry-after']} seconds.`,
    });
  });
});
