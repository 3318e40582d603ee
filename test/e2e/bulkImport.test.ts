// Bulk upload end to end: multipart CSV / JSON / JSON Lines written through the hub's write path into the
// simulator, failures paged at /errors, and the bad-input answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementAuth, testDatabaseUrl } from '../helpers/server.ts';
import { bulkUpload, waitForJob } from './bulk.support.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

type Json = Record<string, unknown>;

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({ env: { CONDUIT_BULK_MAX_UPLOAD_MB: '0.05' } });
});
afterAll(async () => {
  await f?.close();
});

async function contactsNamed(lastName: string): Promise<Json[]> {
  const res = await f.hub(
    'GET',
    `/hubs/crm/contacts?pageSize=200&where=${encodeURIComponent(`lastName = '${lastName}'`)}`,
  );
  expect(res.status, res.text).toBe(200);
  return res.body as Json[];
}

async function allErrors(id: number, pageSize: number) {
  const pages: Array<{ body: Json[]; token: string | null; count: string | null }> = [];
  let token: string | null = null;
  do {
    const res: { status: number; text: string; headers: Headers; body: Json[] } = await f.hub(
      'GET',
      `/hubs/crm/bulk/${id}/errors?pageSize=${pageSize}${token ? `&nextPage=${encodeURIComponent(token)}` : ''}`,
    );
    expect(res.status, res.text).toBe(200);
    token = res.headers.get('elements-next-page-token');
    pages.push({ body: res.body, token, count: res.headers.get('elements-returned-count') });
  } while (token && pages.length < 20);
  return pages;
}

describe(`bulk upload (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('creates records from CSV; bad rows are counted and listed in paged errors', async () => {
    const company = (await f.hub('GET', '/hubs/crm/organizations?pageSize=1')).body[0] as Json;
    const rows = [
      'firstName,lastName,company.id,title',
      `Ann,BulkCsv,${company.id},"Head of ""Ops"", North"`,
      `Bob,BulkCsv,${company.id},`,
      'Cid,BulkCsv,999999,Lost',
      `Dee,BulkCsv,${company.id},Ops`,
      'Eve,BulkCsv,999998,Lost',
      `Fay,BulkCsv,${company.id},Ops`,
    ];
    const up = await bulkUpload(f, 'contacts', {
      content: `${rows.join('\r\n')}\r\n`,
      type: 'text/csv',
      name: 'c.csv',
    });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toEqual({ id: expect.any(Number), status: 'CREATED' });
    const status = await waitForJob(f, up.body.id);
    expect(status).toMatchObject({
      status: 'COMPLETED',
      recordsCount: 4,
      recordsFailedCount: 2,
      job_direction: 'UPLOAD',
      object_name: 'contacts',
      fileFormat: 'CSV',
      recordsTotal: 6,
    });
    const created = await contactsNamed('BulkCsv');
    expect(created.map((c) => c.firstName).sort()).toEqual(['Ann', 'Bob', 'Dee', 'Fay']);
    expect(created.find((c) => c.firstName === 'Ann')?.title).toBe('Head of "Ops", North');
    const pages = await allErrors(up.body.id, 1);
    expect(pages).toHaveLength(2);
    expect(pages[0]!.token).toBeTruthy();
    expect(pages[1]!.token).toBeNull(); // absent on the last page
    expect(pages.map((p) => p.count)).toEqual(['1', '1']);
    const errors = pages.flatMap((p) => p.body);
    expect(errors.map((e) => e.recordIndex)).toEqual([2, 4]);
    expect(errors[0]).toMatchObject({
      recordIndex: 2,
      record: { firstName: 'Cid', lastName: 'BulkCsv', company: { id: 999999 }, title: 'Lost' },
      status: 400,
      message: expect.stringContaining('company'),
      providerMessage: expect.any(String),
    });
    const one = await f.hub('GET', `/hubs/crm/bulk/${up.body.id}/errors`);
    expect(one.body).toHaveLength(2);
    expect(one.headers.get('elements-next-page-token')).toBeNull();
  });

  it('updates records from a JSON array with identifierFieldName id and action update', async () => {
    const some = (await f.hub('GET', '/hubs/crm/contacts?pageSize=3')).body as Json[];
    const file = JSON.stringify([
      ...some.map((c) => ({ id: c.id, title: `Bulk updated ${c.id}` })),
      { id: 99999999, title: 'nobody' },
    ]);
    const up = await bulkUpload(
      f,
      'contacts',
      { content: file, type: 'application/json' },
      {
        identifierFieldName: 'id',
        action: 'update',
      },
    );
    expect(up.status, up.text).toBe(200);
    const status = await waitForJob(f, up.body.id);
    expect(status).toMatchObject({ status: 'COMPLETED', recordsCount: 3, recordsFailedCount: 1 });
    for (const c of some) {
      const got = await f.hub('GET', `/hubs/crm/contacts/${c.id}`);
      expect(got.body.title).toBe(`Bulk updated ${c.id}`);
      expect(got.body.lastName).toBe(c.lastName); // a partial update: other fields untouched
    }
    const errors = await f.hub('GET', `/hubs/crm/bulk/${up.body.id}/errors`);
    expect(errors.body).toEqual([
      expect.objectContaining({ recordIndex: 3, status: 404, record: { id: 99999999, title: 'nobody' } }),
    ]);
  });

  it('reads a metaData part sent with Content-Type application/json (curl -F "metaData=…;type=application/json")', async () => {
    const some = (await f.hub('GET', '/hubs/crm/contacts?pageSize=2')).body as Json[];
    const file = some.map((c) => JSON.stringify({ id: c.id, title: `Typed meta ${c.id}` })).join('\n');
    // Built by hand: FormData cannot send a field part with its own Content-Type and no file name, as curl does.
    const boundary = '----conduit-typed-meta';
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="metaData"\r\nContent-Type: application/json\r\n\r\n` +
        `{"identifierFieldName":"id","action":"update"}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="u.jsonl"\r\n` +
        `Content-Type: application/x-ndjson\r\n\r\n${file}\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const res = await fetch(`${f.server.base}/hubs/crm/bulk/contacts`, {
      method: 'POST',
      headers: {
        authorization: elementAuth(f.org, f.token),
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body,
    });
    const up = (await res.json()) as Json;
    expect(res.status, JSON.stringify(up)).toBe(200);
    const status = await waitForJob(f, up.id as number);
    expect(status).toMatchObject({ status: 'COMPLETED', recordsCount: 2, recordsFailedCount: 0 });
    for (const c of some)
      expect((await f.hub('GET', `/hubs/crm/contacts/${c.id}`)).body.title).toBe(`Typed meta ${c.id}`);
  });

  it('upserts JSON Lines: a record with a known id is updated, one without is created', async () => {
    const [existing] = (await f.hub('GET', '/hubs/crm/contacts?pageSize=1&page=5')).body as Json[];
    const company = (existing!.company as Json).id;
    const lines = [
      JSON.stringify({ id: existing!.id, title: 'Upserted' }),
      JSON.stringify({ firstName: 'Gus', lastName: 'BulkUpsert', company: { id: company } }),
    ].join('\n');
    const up = await bulkUpload(
      f,
      'contacts',
      { content: lines, type: 'application/x-ndjson' },
      {
        identifierFieldName: 'id',
      },
    );
    expect(up.status, up.text).toBe(200);
    const status = await waitForJob(f, up.body.id);
    expect(status).toMatchObject({ status: 'COMPLETED', recordsCount: 2, recordsFailedCount: 0, fileFormat: 'JSONL' });
    expect((await f.hub('GET', `/hubs/crm/contacts/${existing!.id}`)).body.title).toBe('Upserted');
    expect(await contactsNamed('BulkUpsert')).toHaveLength(1);
  });

  it('upserts by another identifier field through a CEQL lookup', async () => {
    const company = ((await f.hub('GET', '/hubs/crm/organizations?pageSize=1')).body[0] as Json).id;
    const first = await bulkUpload(
      f,
      'contacts',
      { content: JSON.stringify([{ firstName: 'Hal', lastName: 'BulkByName', company: { id: company } }]) },
      { format: 'json' },
    );
    await waitForJob(f, first.body.id);
    const again = await bulkUpload(
      f,
      'contacts',
      { content: JSON.stringify([{ firstName: 'Hal', lastName: 'BulkByName', title: 'Found by name' }]) },
      { format: 'json', identifierFieldName: 'lastName', action: 'upsert' },
    );
    expect(again.status, again.text).toBe(200);
    expect((await waitForJob(f, again.body.id)).recordsCount).toBe(1);
    const found = await contactsNamed('BulkByName');
    expect(found).toHaveLength(1);
    expect(found[0]!.title).toBe('Found by name');
  });
});

describe('bulk upload bad input', () => {
  it.each([
    [
      'not CSV or JSON',
      { content: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: 'image/png', name: 'x.png' },
      undefined,
      415,
      'not CSV or JSON',
    ],
    [
      'a CSV row with the wrong column count',
      { content: 'firstName,lastName\nA,B\nC,D,E\n', type: 'text/csv' },
      undefined,
      400,
      'line 3 has 3 columns; the header has 2',
    ],
    ['malformed JSON', { content: '[{"firstName": "A"},', type: 'application/json' }, undefined, 400, 'JSON'],
    [
      'a JSON array of non-objects',
      { content: '[1, 2]', type: 'application/json' },
      undefined,
      400,
      'record 0 is not a JSON object',
    ],
    ['bad metaData', { content: '[]', type: 'application/json' }, { action: 'delete' }, 400, 'metaData.action'],
    ['no file part', undefined, { action: 'create' }, 400, 'file'],
  ])('%s → %i', async (_name, file, meta, status, text) => {
    const res = await bulkUpload(f, 'contacts', file, meta);
    expect(res.status, res.text).toBe(status);
    expect(res.body.message).toContain(text);
  });

  it('an oversized upload is a 413 naming the limit', async () => {
    const big = `[${Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ firstName: `N${i}`, lastName: 'Big' })).join(',')}]`;
    const res = await bulkUpload(f, 'contacts', { content: big, type: 'application/json' });
    expect(res.status, res.text).toBe(413);
    expect(res.body.message).toContain('CONDUIT_BULK_MAX_UPLOAD_MB');
    expect(res.body.message).toContain('0.05 MB');
  });

  it('an unknown object is a 404; a body that is not multipart is a 415', async () => {
    const unknown = await bulkUpload(f, 'widgets', { content: '[]', type: 'application/json' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('widgets');
    const plain = await f.hub('POST', '/hubs/crm/bulk/contacts', { body: [{ firstName: 'x' }] });
    expect(plain.status).toBe(415);
  });
});
