// Transformations end to end over real HTTP, against the ConnectWise simulator: definitions and transformations
// at both levels (precedence), the mapping both ways through the hub, push-down of common-name queries (read
// from the simulator's own request log), docs, VDR export/import between two servers, preview, bad input at
// save time and organization isolation.
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBody } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: vendor and API bodies are asserted field by field
type Json = any;

interface Logged {
  method: string;
  path: string;
  query: Record<string, string>;
}

const definition = {
  fields: [
    { path: 'id', type: 'number' },
    { path: 'givenName', type: 'string' },
    { path: 'familyName', type: 'string' },
    { path: 'email', type: 'string' },
    { path: 'company.name', type: 'string' },
    { path: 'active', type: 'boolean' },
    { path: 'updated', type: 'date' },
    { path: 'title', type: 'string' },
    { path: 'greeting', type: 'string' },
  ],
};

const orgTransformation = {
  level: 'organization',
  vendorName: 'contacts',
  fields: [
    { path: 'id', type: 'number', vendorPath: 'id' },
    { path: 'givenName', type: 'string', vendorPath: 'firstName' },
    { path: 'familyName', type: 'string', vendorPath: 'lastName' },
    { path: 'email', type: 'string', vendorPath: "communicationItems[?(@.communicationType=='Email')].value" },
    {
      path: 'company.name',
      type: 'string',
      vendorPath: 'company.name',
      configuration: [{ type: 'passThrough', properties: { fromVendor: true, toVendor: false } }],
    },
    {
      path: 'updated',
      type: 'date',
      vendorPath: '_info.lastUpdated',
      configuration: [{ type: 'transformDate', properties: { pattern: 'yyyy-MM-dd' } }],
    },
    { path: 'title', type: 'string', vendorPath: 'title', configuration: [{ type: 'remove' }] },
  ],
  configuration: [],
};

let f: HubFixture;
const secondInstanceBody = async () => seedBody(f.sandbox);
const resetStats = () => f.vendor('/_sandbox/stats', { method: 'DELETE' });
const requests = async () => (await f.vendor('/_sandbox/stats')).body.requests as Logged[];

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.close();
});

describe(`transformations (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('saves an organization definition and transformation and reads them back', async () => {
    const d = await f.platform('POST', '/organizations/objects/definitions', { body: { myContacts: definition } });
    expect(d.status, d.text).toBe(200);
    expect(d.body.myContacts.fields).toHaveLength(definition.fields.length);
    const again = await f.platform('POST', '/organizations/objects/myContacts/definitions', { body: definition });
    expect(again.status).toBe(409);
    const list = await f.platform('GET', '/organizations/objects/definitions');
    expect(Object.keys(list.body)).toEqual(['myContacts']);
    const system = await f.platform('GET', '/organizations/objects/definitions?systemOnly=true');
    expect(Object.keys(system.body)).toEqual(expect.arrayContaining(['contact', 'account', 'ticket']));

    const t = await f.platform('POST', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
      body: orgTransformation,
    });
    expect(t.status, t.text).toBe(200);
    expect(t.body).toMatchObject({ name: 'myContacts', level: 'organization', vendorName: 'contacts' });
    const read = await f.platform('GET', '/organizations/elements/connectwisecrmrest/transformations/myContacts');
    expect(read.body.fields).toEqual(orgTransformation.fields);
    const all = await f.platform('GET', '/organizations/elements/connectwisecrmrest/transformations');
    expect(Object.keys(all.body)).toEqual(['myContacts']);
  });

  it('GET /hubs/crm/myContacts maps each record: rename, filter path, remove, passThrough, transformDate', async () => {
    const vendor = (await f.vendor('/company/contacts?pageSize=5&orderBy=id asc')).body as Array<Record<string, Json>>;
    const res = await f.hub('GET', '/hubs/crm/myContacts?pageSize=5&orderBy=id asc');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toHaveLength(5);
    expect(res.headers.get('elements-returned-count')).toBe('5');
    for (const [i, r] of res.body.entries()) {
      const v = vendor[i]!;
      expect(r.id).toBe(v.id);
      expect(r.givenName).toBe(v.firstName);
      expect(r.familyName).toBe(v.lastName);
      const email = v.communicationItems?.find((c: Json) => c.communicationType === 'Email')?.value;
      if (email) expect(r.email).toBe(email);
      expect(r.company?.name).toBe(v.company?.name);
      expect(r.updated).toBe(String(v._info.lastUpdated).slice(0, 10));
      expect(r).not.toHaveProperty('title');
      expect(r).not.toHaveProperty('firstName');
      expect(r).not.toHaveProperty('communicationItems');
    }
    const one = await f.hub('GET', `/hubs/crm/myContacts/${vendor[0]!.id}`);
    expect(one.status, one.text).toBe(200);
    expect(one.body).toEqual(res.body[0]);
  });

  it('where/orderBy on common names are pushed down to ConnectWise; explain shows the rewrite', async () => {
    await resetStats();
    const res = await f.hub(
      'GET',
      `/hubs/crm/myContacts?where=${encodeURIComponent("familyName='Rossi'")}&orderBy=givenName desc&pageSize=10`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.length).toBeGreaterThan(0);
    for (const r of res.body) expect(r.familyName).toBe('Rossi');
    const calls = (await requests()).filter((r) => r.path === '/company/contacts');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query.conditions).toBe('lastName="Rossi"');
    const counted = await f.hub('GET', `/hubs/crm/myContacts/count?where=${encodeURIComponent("familyName='Rossi'")}`);
    expect(counted.status, counted.text).toBe(200);
    expect(counted.body.count).toBeGreaterThanOrEqual(res.body.length);
    expect(calls[0]!.query.orderBy).toContain('firstName');
    expect(calls[0]!.query.pageSize).toBe('10');

    const byId = await f.hub('GET', `/hubs/crm/myContacts?where=${encodeURIComponent('id=3')}&explain=true`);
    expect(byId.status, byId.text).toBe(200);
    expect(byId.body.transformation.common.where).toBe('id=3');
    expect(byId.body.transformation.vendor.where).toMatch(/id\s*=\s*3/);
    expect(byId.body.query.conditions).toMatch(/id\s*=\s*3/);

    const scripted = await f.hub('GET', `/hubs/crm/myContacts?where=${encodeURIComponent("greeting='hi'")}`);
    expect(scripted.status).toBe(400);
    expect(scripted.body.message).toContain('greeting');
  });

  it('POST, PATCH and PUT map the body back onto the ConnectWise contact', async () => {
    const created = await f.hub('POST', '/hubs/crm/myContacts', {
      body: {
        givenName: 'Ada',
        familyName: 'Lovelace',
        email: 'ada@example.com',
        company: { name: 'ignored' },
        extra: 'dropped',
      },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace', email: 'ada@example.com' });
    const id = created.body.id as number;
    const stored = (await f.vendor(`/company/contacts/${id}`)).body;
    expect(stored.firstName).toBe('Ada');
    expect(stored.lastName).toBe('Lovelace');
    expect(stored.communicationItems.find((c: Json) => c.communicationType === 'Email')?.value).toBe('ada@example.com');
    expect(stored).not.toHaveProperty('extra');

    const patched = await f.hub('PATCH', `/hubs/crm/myContacts/${id}`, { body: { familyName: 'Byron' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.familyName).toBe('Byron');
    expect((await f.vendor(`/company/contacts/${id}`)).body.lastName).toBe('Byron');

    const replaced = await f.hub('PUT', `/hubs/crm/myContacts/${id}`, { body: { givenName: 'Augusta' } });
    expect(replaced.status, replaced.text).toBe(200);
    const after = (await f.vendor(`/company/contacts/${id}`)).body;
    expect(after.firstName).toBe('Augusta');
    expect(after.lastName).toBe('Byron');

    const deleted = await f.hub('DELETE', `/hubs/crm/myContacts/${id}`);
    expect(deleted.status).toBe(200);
    expect((await f.vendor(`/company/contacts/${id}`)).status).toBe(404);
  });

  it('instance level overrides field by field; GET /instances/{id}/transformations says where each field comes from', async () => {
    const inst = await f.platform('PUT', `/instances/${f.instanceId}/transformations/myContacts`, {
      body: {
        vendorName: 'contacts',
        fields: [{ path: 'givenName', type: 'string', vendorPath: 'lastName' }],
        script: { body: "transformedObject.greeting = 'Hello ' + CE.b64('x');\ndone(transformedObject);" },
      },
    });
    expect(inst.status, inst.text).toBe(200);
    const applied = await f.platform('GET', `/instances/${f.instanceId}/transformations`);
    expect(applied.status).toBe(200);
    const fields = applied.body.myContacts.fields as Array<{ path: string; level: string; vendorPath: string }>;
    expect(fields.find((x) => x.path === 'givenName')).toMatchObject({ level: 'instance', vendorPath: 'lastName' });
    expect(fields.find((x) => x.path === 'familyName')).toMatchObject({ level: 'organization' });
    expect(applied.body.myContacts.scriptLevel).toBe('instance');

    const res = await f.hub('GET', '/hubs/crm/myContacts?pageSize=3');
    expect(res.status, res.text).toBe(200);
    for (const r of res.body) {
      expect(r.givenName).toBe(r.familyName);
      expect(r.greeting).toBe('Hello eA==');
    }
    const del = await f.platform('DELETE', `/instances/${f.instanceId}/transformations/myContacts`);
    expect(del.status).toBe(200);
    const back = await f.hub('GET', '/hubs/crm/myContacts?pageSize=1');
    expect(back.body[0]).not.toHaveProperty('greeting');
  });

  it('a script error names the line: 502 on a single record and on a list (with the record index)', async () => {
    await f.platform('PUT', `/instances/${f.instanceId}/transformations/myContacts`, {
      body: {
        vendorName: 'contacts',
        fields: [],
        script: { body: 'if (originalObject.id === 2) {\n  throw new Error("no two");\n}\ndone(transformedObject);' },
      },
    });
    const one = await f.hub('GET', '/hubs/crm/myContacts/2');
    expect(one.status).toBe(502);
    expect(one.body.message).toMatch(/line 2/);
    const list = await f.hub('GET', '/hubs/crm/myContacts?pageSize=5&orderBy=id asc');
    expect(list.status).toBe(502);
    expect(list.body.message).toMatch(/record 1/);
    const fine = await f.hub('GET', '/hubs/crm/myContacts/1');
    expect(fine.status).toBe(200);
    await f.platform('DELETE', `/instances/${f.instanceId}/transformations/myContacts`);
  });

  it('a script that loops forever is stopped: 502 SCRIPT_TIMEOUT, and the server keeps answering', async () => {
    await f.platform('PUT', `/instances/${f.instanceId}/transformations/myContacts`, {
      body: { vendorName: 'contacts', fields: [], script: { body: 'while (true) {}\ndone(transformedObject);' } },
    });
    const started = Date.now();
    const stuck = await f.hub('GET', '/hubs/crm/myContacts/1');
    expect(stuck.status).toBe(502);
    expect(stuck.body.message).toContain('SCRIPT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await f.hub('GET', '/hubs/crm/contacts/1')).status).toBe(200);
    await f.platform('DELETE', `/instances/${f.instanceId}/transformations/myContacts`);
    expect((await f.hub('GET', '/hubs/crm/myContacts/1')).status).toBe(200);
  });

  it('script.filterEmptyResponse leaves emptied records out of a list', async () => {
    await f.platform('PUT', `/instances/${f.instanceId}/transformations/myContacts`, {
      body: {
        vendorName: 'contacts',
        fields: [],
        script: { body: 'done(originalObject.id % 2 === 0 ? null : transformedObject);', filterEmptyResponse: true },
      },
    });
    const res = await f.hub('GET', '/hubs/crm/myContacts?pageSize=10&orderBy=id asc');
    expect(res.status, res.text).toBe(200);
    expect(res.body.length).toBeGreaterThan(0);
    for (const r of res.body) expect(r.id % 2).toBe(1);
    expect(res.headers.get('elements-returned-count')).toBe(String(res.body.length));
    await f.platform('DELETE', `/instances/${f.instanceId}/transformations/myContacts`);
  });

  it('a transformation under the vendor object name changes GET /hubs/crm/contacts', async () => {
    const t = await f.platform('POST', `/instances/${f.instanceId}/transformations/contacts`, {
      body: { vendorName: 'contacts', fields: [{ path: 'name', type: 'string', vendorPath: 'firstName' }] },
    });
    expect(t.status, t.text).toBe(200);
    const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=2');
    expect(Object.keys(res.body[0])).toEqual(['name']);
    await f.platform('DELETE', `/instances/${f.instanceId}/transformations/contacts`);
    const plain = await f.hub('GET', '/hubs/crm/contacts?pageSize=2');
    expect(plain.body[0]).toHaveProperty('firstName');
  });

  it('docs list the common resource with a schema from its definition', async () => {
    const docs = await f.platform('GET', `/instances/${f.instanceId}/docs?format=openapi3`);
    expect(docs.status, docs.text).toBe(200);
    expect(docs.body.paths['/hubs/crm/myContacts']).toBeDefined();
    expect(docs.body.paths['/hubs/crm/myContacts/{id}']).toBeDefined();
    const schema = docs.body.components.schemas.myContacts;
    expect(schema.properties.givenName).toEqual({ type: 'string' });
    expect(schema.properties.company.properties.name).toEqual({ type: 'string' });
    expect(schema.properties.updated).toMatchObject({ type: 'string', format: 'date-time' });
    await SwaggerParser.validate(structuredClone(docs.body));
    const swagger = await f.platform('GET', `/instances/${f.instanceId}/docs`);
    expect(swagger.body.paths['/hubs/crm/myContacts']).toBeDefined();
    await SwaggerParser.validate(structuredClone(swagger.body));
  });

  it('preview maps a given record or the first live records, with notes', async () => {
    const given = await f.platform('POST', `/instances/${f.instanceId}/transformations/myContacts/preview`, {
      body: { record: { id: 9, firstName: 'Grace', lastName: 'Hopper' } },
    });
    expect(given.status, given.text).toBe(200);
    expect(given.body.results).toHaveLength(1);
    expect(given.body.results[0].common).toMatchObject({ id: 9, givenName: 'Grace', familyName: 'Hopper' });
    expect(Array.isArray(given.body.results[0].notes)).toBe(true);
    expect(given.body.results[0].notes.length).toBeGreaterThan(0);

    const live = await f.platform('POST', `/instances/${f.instanceId}/transformations/myContacts/preview`, {
      body: { count: 4 },
    });
    expect(live.status, live.text).toBe(200);
    expect(live.body.results).toHaveLength(4);
    for (const r of live.body.results) expect(r.common.givenName).toBe(r.vendor.firstName);

    const unsaved = await f.platform('POST', `/instances/${f.instanceId}/transformations/myContacts/preview`, {
      body: {
        record: { id: 1, firstName: 'A' },
        transformation: { vendorName: 'contacts', fields: [], script: { body: 'done({ n: 1 });\nfoo(' } },
      },
    });
    expect(unsaved.status).toBe(400);
    expect(unsaved.body.field).toContain('script');
  });

  it('bad input at save time: unknown type, bad vendorPath, script that does not compile, unknown definition', async () => {
    const badType = await f.platform('POST', '/organizations/objects/definitions', {
      body: { broken: { fields: [{ path: 'a', type: 'strng' }] } },
    });
    expect(badType.status).toBe(400);
    expect(badType.body.field).toContain('fields[0].type');

    const badPath = await f.platform('PUT', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
      body: { ...orgTransformation, fields: [{ path: 'email', vendorPath: 'communicationItems[?(@.x==' }] },
    });
    expect(badPath.status).toBe(400);
    expect(badPath.body.field).toBe('fields[0].vendorPath');

    const badScript = await f.platform('PUT', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
      body: { ...orgTransformation, script: { body: 'done(transformedObject;\n' } },
    });
    expect(badScript.status).toBe(400);
    expect(badScript.body.field).toContain('script');

    const noDef = await f.platform('POST', '/organizations/elements/connectwisecrmrest/transformations/nothing', {
      body: orgTransformation,
    });
    expect(noDef.status).toBe(400);
    expect(noDef.body.field).toBe('name');

    const badVendor = await f.platform('POST', `/instances/${f.instanceId}/transformations/myContacts`, {
      body: { vendorName: 'spaceships', fields: [] },
    });
    expect(badVendor.status).toBe(400);
    expect(badVendor.body.field).toBe('vendorName');

    // The saved transformation is unchanged by the refused writes.
    const still = await f.platform('GET', '/organizations/elements/connectwisecrmrest/transformations/myContacts');
    expect(still.body.fields).toEqual(orgTransformation.fields);
  });

  it('common resources (v2): list, usages, PUT /transformations, rename moves the transformations', async () => {
    const list = await f.platform('GET', '/common-resources');
    expect(list.status).toBe(200);
    const mine = list.body.find((c: Json) => c.name === 'myContacts');
    expect(mine.fields.find((x: Json) => x.path === 'email')).toMatchObject({ associatedLevel: 'organization' });
    const usages = await f.platform('GET', '/common-resources/myContacts/usages');
    expect(usages.body).toMatchObject({
      formulaUsages: [],
      transformations: [{ level: 'organization', vendorName: 'contacts' }],
    });

    const v2 = await f.platform('PUT', '/transformations', {
      body: {
        level: 'instance',
        objectName: 'myContacts',
        vendorName: 'contacts',
        elementInstanceId: f.instanceId,
        fields: [{ path: 'email', vendorPath: 'firstName' }],
        configuration: [],
      },
    });
    expect(v2.status, v2.text).toBe(200);
    expect(v2.body).toMatchObject({ level: 'instance', instanceId: f.instanceId });

    const renamed = await f.platform('PATCH', '/common-resources/myContacts', { body: { name: 'people' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.transformations).toHaveLength(2);
    const viaNew = await f.hub('GET', '/hubs/crm/people?pageSize=1');
    expect(viaNew.status, viaNew.text).toBe(200);
    expect(viaNew.body[0].email).toBe(viaNew.body[0].givenName);
    const old = await f.hub('GET', '/hubs/crm/myContacts?pageSize=1');
    expect(old.status).not.toBe(200);
    const back = await f.platform('PATCH', '/common-resources/people', { body: { name: 'myContacts' } });
    expect(back.status).toBe(200);
    await f.platform('DELETE', `/instances/${f.instanceId}/transformations/myContacts`);
  });

  it('instance definitions (Element token) win over the organization one; instance rows go with the instance', async () => {
    const el = await f.hub('PUT', '/instances/objects/myContacts/definitions', {
      body: { fields: [...definition.fields, { path: 'nickname', type: 'string' }] },
    });
    expect(el.status, el.text).toBe(200);
    expect(el.body).toMatchObject({ level: 'instance', instanceId: f.instanceId });
    const applied = await f.platform('GET', `/instances/${f.instanceId}/transformations`);
    expect(applied.body.myContacts.definitionLevel).toBe('instance');
    expect((await f.hub('DELETE', '/instances/objects/myContacts/definitions')).status).toBe(200);
    const after = await f.platform('GET', `/instances/${f.instanceId}/transformations`);
    expect(after.body.myContacts.definitionLevel).toBe('organization');

    const second = await f.platform('POST', '/instances', {
      body: { ...(await secondInstanceBody()), name: 'second' },
    });
    expect(second.status, second.text).toBe(200);
    const put = await f.platform('PUT', `/instances/${second.body.id}/transformations/myContacts`, {
      body: { vendorName: 'contacts', fields: [{ path: 'email', vendorPath: 'lastName' }] },
    });
    expect(put.status, put.text).toBe(200);
    const before = await f.platform('GET', '/common-resources/myContacts/usages');
    expect(before.body.transformations.map((t: Json) => t.elementInstanceId)).toContain(second.body.id);
    expect((await f.platform('DELETE', `/instances/${second.body.id}`)).status).toBe(200);
    const gone = await f.platform('GET', '/common-resources/myContacts/usages');
    expect(gone.body.transformations.map((t: Json) => t.elementInstanceId)).not.toContain(second.body.id);
  });

  it('another organization neither sees nor uses these definitions and transformations', async () => {
    const other = await f.server.createOrg('Other');
    const auth = orgAuth(other);
    const defs = await call(f.server.base, 'GET', '/organizations/objects/definitions', { auth });
    expect(defs.body).toEqual({});
    const t = await call(
      f.server.base,
      'GET',
      '/organizations/elements/connectwisecrmrest/transformations/myContacts',
      { auth },
    );
    expect(t.status).toBe(404);
    expect((await call(f.server.base, 'GET', '/common-resources', { auth })).body).toEqual([]);
    const inst = await call(f.server.base, 'GET', `/instances/${f.instanceId}/transformations`, { auth });
    expect(inst.status).toBe(404);
    const put = await call(f.server.base, 'PUT', '/transformations', {
      auth,
      body: {
        level: 'instance',
        objectName: 'myContacts',
        vendorName: 'contacts',
        elementInstanceId: f.instanceId,
        fields: [],
      },
    });
    expect(put.status).toBe(404);
    const preview = await call(f.server.base, 'POST', `/instances/${f.instanceId}/transformations/myContacts/preview`, {
      auth,
      body: { record: {} },
    });
    expect(preview.status).toBe(404);
  });

  describe('VDR export/import between two servers', () => {
    let second: TestServer;
    beforeAll(async () => {
      second = await startTestServer();
    });
    afterAll(async () => {
      await second?.close();
    });

    it('an exported VDR imports unchanged into another Conduit', async () => {
      const exported = await f.platform('GET', '/vdrs/myContacts/export');
      expect(exported.status, exported.text).toBe(200);
      expect(exported.body.objectName).toBe('myContacts');
      expect(exported.body.transformations).toHaveLength(1);
      const org2 = await second.createOrg('Importer');
      const imported = await call(second.base, 'PUT', '/vdrs/import', { auth: orgAuth(org2), body: exported.body });
      expect(imported.status, imported.text).toBe(200);
      const again = await call(second.base, 'GET', '/vdrs/myContacts/export', { auth: orgAuth(org2) });
      expect(again.body).toEqual(exported.body);
      const vdrs = await call(second.base, 'GET', '/vdrs', { auth: orgAuth(org2) });
      expect(vdrs.body.map((v: Json) => v.objectName)).toEqual(['myContacts']);
    });
  });
});
