// Bulk retention, quota and documentation: a server with a tiny retention and quota.
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { waitForJob } from './bulk.support.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

let f: HubFixture;
beforeAll(async () => {
  // 0.001 h = 3.6 s of retention; a 0.002 MB (≈ 2 KB) quota per organization.
  f = await startHubFixture({ env: { CONDUIT_BULK_RETENTION_HOURS: '0.001', CONDUIT_BULK_QUOTA_MB: '0.002' } });
});
afterAll(async () => {
  await f?.close();
});

const submit = (where: string) =>
  f.hub('POST', `/hubs/crm/bulk/query?q=${encodeURIComponent(`select * from contacts where ${where}`)}`);

describe(`bulk retention and quota (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('refuses new jobs once the organization files fill its quota (507 naming the setting)', async () => {
    const first = await submit('id <= 10');
    expect(first.status, first.text).toBe(200);
    const status = await waitForJob(f, first.body.id);
    expect(status.fileSize).toBeGreaterThan(2 * 1024 * 1.024);
    const refused = await submit('id = 1');
    expect(refused.status, refused.text).toBe(507);
    expect(refused.body.code).toBe('QUOTA_EXCEEDED');
    expect(refused.body.message).toContain('CONDUIT_BULK_QUOTA_MB');
  });

  it('deletes ended jobs and their files after the retention; the quota is free again', async () => {
    const dir = join(f.server.dataDir, 'bulk');
    // The sweep removes a job's files, then its row: wait for both.
    const listed = async () => (await f.hub('GET', '/hubs/crm/bulk/jobs')).body as unknown[];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (readdirSync(dir).length > 0 || (await listed()).length > 0))
      await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(dir)).toEqual([]);
    expect(await listed()).toEqual([]);
    const again = await submit('id = 1');
    expect(again.status, again.text).toBe(200);
    expect((await waitForJob(f, again.body.id)).recordsCount).toBe(1);
    expect(existsSync(join(dir, `${again.body.id}.jsonl.enc`))).toBe(true);
  });

  it('removes files no job owns (a deleted instance, a crash mid-upload) once they are an hour old', async () => {
    const dir = join(f.server.dataDir, 'bulk');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    const orphans = ['999999.jsonl.enc', '999999.upload.enc', 'upload-0123.tmp'];
    for (const name of [...orphans, 'upload-fresh.tmp']) writeFileSync(join(dir, name), 'x');
    for (const name of orphans) utimesSync(join(dir, name), hourAgo, hourAgo);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && orphans.some((n) => existsSync(join(dir, n)))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const name of orphans) expect(existsSync(join(dir, name)), name).toBe(false);
    expect(existsSync(join(dir, 'upload-fresh.tmp'))).toBe(true);
  });

  it('the OpenAPI document lists the bulk operations', async () => {
    const doc = await f.hub('GET', '/instances/docs?format=openapi3');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    expect(paths['/hubs/crm/bulk/query']?.post).toBeDefined();
    expect(paths['/hubs/crm/bulk/{id}/status']?.get).toBeDefined();
    expect(paths['/hubs/crm/bulk/{id}/{objectName}']?.get).toBeDefined();
    expect(paths['/hubs/crm/bulk/{id}/cancel']?.put).toBeDefined();
    expect(paths['/hubs/crm/bulk/{id}/errors']?.get).toBeDefined();
    expect(paths['/hubs/crm/bulk/{objectName}']?.post).toBeDefined();
    expect(paths['/hubs/crm/bulk/jobs']?.get).toBeDefined();
    expect(doc.body.components.schemas.BulkStatus.properties.status.enum).toEqual([
      'CREATED',
      'RUNNING',
      'COMPLETED',
      'FAILED',
      'CANCELLED',
    ]);
  });
});
