// `npx conduit bulk export|import` as a user runs it: the real CLI in its own process, against a real server.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgAuth, testDatabaseUrl } from '../helpers/server.ts';
import { csvRows } from './bulk.support.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

const run = promisify(execFile);
let f: HubFixture;
let dir: string;
beforeAll(async () => {
  f = await startHubFixture({ sandbox: { contacts: 300 } });
  dir = mkdtempSync(join(tmpdir(), 'conduit-bulk-cli-'));
});
afterAll(async () => {
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  run(
    process.execPath,
    ['bin/conduit.js', 'bulk', ...args, '--url', f.server.url, '--instance', String(f.instanceId)],
    {
      env: { ...process.env, CONDUIT_AUTH: orgAuth(f.org), ...env },
      timeout: 60_000,
    },
  );

describe(`conduit bulk (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('export writes the CSV file and prints plain progress lines off a terminal', async () => {
    const out = join(dir, 'contacts.csv');
    const { stderr } = await cli([
      'export',
      '--object',
      'contacts',
      '--where',
      'id <= 120',
      '--format',
      'csv',
      '--out',
      out,
    ]);
    expect(stderr).toMatch(/Export job \d+ started/);
    expect(stderr).toMatch(/export \d+: 120\/120 records, \d+ records\/s/);
    expect(stderr).toContain(`Wrote 120 records`);
    const [header, ...rows] = csvRows(readFileSync(out, 'utf8'));
    expect(header).toContain('firstName');
    expect(rows).toHaveLength(120);
  }, 60_000);

  it('import uploads a file and reports failures', async () => {
    const company = ((await f.hub('GET', '/hubs/crm/organizations?pageSize=1')).body[0] as { id: number }).id;
    const file = join(dir, 'new.jsonl');
    writeFileSync(
      file,
      [
        { firstName: 'Cli1', lastName: 'BulkCli', company: { id: company } },
        { firstName: 'Cli2', lastName: 'BulkCli', company: { id: 999999 } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const { stderr } = await cli(['import', '--object', 'contacts', '--file', file]);
    expect(stderr).toMatch(/import \d+: 1\/2 records, 1 failed/);
    expect(stderr).toMatch(/record 1: 400 /);
    const listed = await f.hub('GET', `/hubs/crm/contacts?where=${encodeURIComponent("lastName = 'BulkCli'")}`);
    expect(listed.body).toHaveLength(1);
  }, 60_000);

  it('a refused export exits 1 with the server message', async () => {
    await expect(cli(['export', '--object', 'widgets'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Unknown object "widgets"'),
    });
  }, 60_000);
});
