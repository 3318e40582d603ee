// Bulk over a common resource: an export of `myContacts` is the instance's transformation applied to every
// ConnectWise contact (the where in common names, pushed down in vendor names), a record the script cannot map
// is listed at /errors instead of written, and an upload of common-shaped rows creates vendor records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { bulkUpload, waitForJob } from './bulk.support.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

type Json = Record<string, unknown>;
let f: HubFixture;

const definition = {
  fields: [
    { path: 'id', type: 'number' },
    { path: 'givenName', type: 'string' },
    { path: 'familyName', type: 'string' },
    { path: 'company.id', type: 'number' },
    { path: 'tag', type: 'string' },
  ],
};
const transformation = (script?: string) => ({
  level: 'organization',
  vendorName: 'contacts',
  fields: [
    { path: 'id', type: 'number', vendorPath: 'id' },
    { path: 'givenName', type: 'string', vendorPath: 'firstName' },
    { path: 'familyName', type: 'string', vendorPath: 'lastName' },
    { path: 'company.id', type: 'number', vendorPath: 'company.id' },
  ],
  configuration: [],
  ...(script ? { script: { body: script } } : {}),
});

beforeAll(async () => {
  f = await startHubFixture({ sandbox: { contacts: 1_500 } });
  const d = await f.platform('POST', '/organizations/objects/definitions', { body: { myContacts: definition } });
  expect(d.status, d.text).toBe(200);
  const t = await f.platform('POST', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
    body: transformation(),
  });
  expect(t.status, t.text).toBe(200);
}, 60_000);
afterAll(async () => {
  await f?.close();
});

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);

async function exportOf(q: string): Promise<{ status: Json; records: Json[] }> {
  const submitted = await f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent(q)}`);
  expect(submitted.status, submitted.text).toBe(200);
  const status = await waitForJob(f, submitted.body.id, undefined, 60_000);
  const res = await fetch(`${f.server.base}/hubs/crm/bulk/${submitted.body.id}/myContacts`, {
    headers: { authorization: `User ${f.org.userSecret}, Element ${f.token}` },
  });
  expect(res.status).toBe(200);
  return { status, records: lines(await res.text()) };
}

describe(`bulk over a common resource (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('exports every record mapped, in id order, the where written in common names and pushed down', async () => {
    const vendor: Json[] = [];
    for (let page = 1; ; page++) {
      const got = (await f.vendor(`/company/contacts?pageSize=1000&page=${page}&orderBy=id asc`)).body as Json[];
      vendor.push(...got);
      if (got.length < 1000) break;
    }
    const all = await exportOf('select * from myContacts');
    expect(all.status).toMatchObject({ status: 'COMPLETED', recordsCount: vendor.length, recordsFailedCount: 0 });
    expect(all.records).toEqual(
      vendor.map((v) => ({
        id: v.id,
        givenName: v.firstName,
        familyName: v.lastName,
        company: { id: (v.company as Json).id },
      })),
    );

    await f.vendor('/_sandbox/stats', { method: 'DELETE' });
    const name = vendor[7]?.lastName as string;
    const some = await exportOf(`select * from myContacts where familyName = '${name}'`);
    expect(some.records.length).toBeGreaterThan(0);
    expect(some.records.every((r) => r.familyName === name)).toBe(true);
    const stats = (await f.vendor('/_sandbox/stats')).body as { requests: Array<{ path: string; query: Json }> };
    const pages = stats.requests.filter((r) => r.path.endsWith('/company/contacts') && r.query.pageId);
    expect(pages[0]?.query.conditions).toBe(`lastName="${name}"`);
  }, 120_000);

  it('refuses at submission a where on a field only the script could produce', async () => {
    const res = await f.hub(
      'POST',
      `/hubs/crm/bulk/query?q=${encodeURIComponent("select * from myContacts where tag = 'x'")}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('tag');
  });

  it('lists records the script fails on at /errors and writes the others', async () => {
    const script =
      "if (originalObject.id % 100 === 0) throw new Error('no hundreds'); transformedObject.tag = 'ok'; done(transformedObject);";
    const put = await f.platform('PUT', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
      body: transformation(script),
    });
    expect(put.status, put.text).toBe(200);
    try {
      const out = await exportOf('select * from myContacts where id <= 1000');
      expect(out.status).toMatchObject({ status: 'COMPLETED', recordsCount: 990, recordsFailedCount: 10 });
      expect(out.records).toHaveLength(990);
      expect(out.records.every((r) => r.tag === 'ok' && (r.id as number) % 100 !== 0)).toBe(true);
      const errors = await f.hub('GET', `/hubs/crm/bulk/${out.status.id}/errors?pageSize=50`);
      expect(errors.status).toBe(200);
      expect(errors.body).toHaveLength(10);
      expect(errors.body[0].message).toContain('no hundreds');
      expect(errors.body.map((e: Json) => e.recordIndex)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 100));
    } finally {
      await f.platform('PUT', '/organizations/elements/connectwisecrmrest/transformations/myContacts', {
        body: transformation(),
      });
    }
  }, 120_000);

  it('an upload of common-shaped rows creates ConnectWise contacts through the reverse mapping', async () => {
    const company = ((await f.vendor('/company/companies?pageSize=1')).body as Json[])[0]?.id;
    const rows = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ givenName: `Mapped${i}`, familyName: 'BulkMapped', company: { id: company } }),
    ).join('\n');
    const up = await bulkUpload(f, 'myContacts', { content: rows, type: 'application/x-ndjson' });
    expect(up.status, up.text).toBe(200);
    const done = await waitForJob(f, up.body.id, undefined, 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', recordsCount: 12, recordsFailedCount: 0 });
    const made = (
      await f.vendor(`/company/contacts?pageSize=50&conditions=${encodeURIComponent('lastName="BulkMapped"')}`)
    ).body as Json[];
    expect(made.map((c) => c.firstName).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `Mapped${i}`).sort());
  }, 60_000);
});
