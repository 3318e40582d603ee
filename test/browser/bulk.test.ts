// The console's Bulk tab end to end: Debian's Chromium (playwright-core) against a real Conduit server and the
// ConnectWise simulator — export, live progress, download (with the Authorization header, never a token in a URL),
// upload with a failed row and its errors, cancel, server errors next to their fields, phone width.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Download, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { csvRows } from '../e2e/bulk.support.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, ensureConsoleBuilt, repoRoot } from './console.ts';

const shots = join(repoRoot, 'test-results', 'console');

describe(`console Bulk tab (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let instance: { id: number; token: string; name: string };
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  const requests: Array<{ url: string; authorization?: string }> = [];

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const hub = (method: string, path: string, body?: unknown) =>
    call(server.base, method, path, { auth: elementAuth(org, instance.token), body });
  const faults = async (settings: Record<string, unknown>) => {
    const res = await fetch(`${sandbox.httpUrl}/_sandbox/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });
    expect(res.status).toBe(200);
  };
  const watched = () => page.getByTestId('watched-job');
  const watchedStatus = async (status: string, timeout = 20_000) => {
    await watched().getByTestId('watched-status').filter({ hasText: status }).waitFor({ timeout });
  };
  const watchedId = async () => Number(/Job (\d+)/.exec((await watched().locator('h2').textContent()) ?? '')?.[1]);
  const downloadText = async (click: () => Promise<void>) => {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    const path = await (download as Download).path();
    return { name: (download as Download).suggestedFilename(), text: readFileSync(path!, 'utf8') };
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const built = ensureConsoleBuilt();
    sandbox = await startTestSandbox();
    server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) } });
    org = await server.createOrg('Bulk console');
    const created = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: { ...seedBody(sandbox), name: 'Bulk sandbox', tags: ['bulk'] },
    });
    expect(created.status, created.text).toBe(200);
    instance = { id: created.body.id, token: created.body.token, name: 'Bulk sandbox' };
    await built;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    context = await browser.newContext({
      viewport: { width: 1200, height: 900 },
      baseURL: server.url,
      acceptDownloads: true,
    });
    const origin = new URL(server.url).origin;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers().authorization }));
    await page.goto('/');
    await page.getByLabel('Organization secret').fill(org.organizationSecret);
    await page.getByLabel('User secret').fill(org.userSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Elements' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sandbox?.close();
  });

  it('opens from the instance page; every field has a visible label', async () => {
    await page.goto(`/instances/${instance.id}`);
    await page.getByRole('heading', { name: 'Bulk sandbox' }).waitFor();
    await page.getByRole('link', { name: 'Bulk' }).click();
    await page.waitForURL(new RegExp(`/instances/${instance.id}/bulk$`));
    await page.getByRole('heading', { name: 'Bulk — Bulk sandbox' }).waitFor();
    // Client-side navigation moves focus to the new heading.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    await page.getByText('No jobs of this instance yet').waitFor();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => (el as HTMLInputElement).labels?.length === 0)
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  });

  it('starts an export, watches it complete, downloads every record as JSON Lines and CSV', async () => {
    const count = (await hub('GET', '/hubs/crm/contacts/count')).body.count as number;
    expect(count).toBeGreaterThan(0);
    await page.getByLabel('Object to export').selectOption('contacts');
    await page.getByLabel('Download format').selectOption('csv');
    await page.getByRole('button', { name: 'Start export' }).click();
    await page.getByText(/Export job \d+ started/).waitFor();
    const id = await watchedId();
    // Live refresh brings the end of the job in without a click.
    await watchedStatus('COMPLETED');
    expect(Number(await watched().getByTestId('watched-records').textContent())).toBe(count);
    const row = page.getByTestId('jobs-table').locator(`tr[data-job="${id}"]`);
    await row.filter({ hasText: 'COMPLETED' }).waitFor();
    expect(await row.textContent()).toContain('contacts');

    // The chosen format comes first; both are offered.
    const csv = await downloadText(() =>
      watched()
        .getByRole('button', { name: `Download job ${id} as CSV` })
        .click(),
    );
    expect(csv.name).toBe(`contacts-${id}.csv`);
    const rows = csvRows(csv.text).filter((r) => r.length > 1 || r[0] !== '');
    expect(rows.length - 1).toBe(count);
    expect(rows[0]).toContain('id');
    const jsonl = await downloadText(() =>
      watched()
        .getByRole('button', { name: `Download job ${id} as JSON Lines` })
        .click(),
    );
    const lines = jsonl.text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(count);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { id: number }).id)).size).toBe(count);
    await page.getByText(`Downloaded job ${id} as JSON Lines`).waitFor();

    // The file was fetched with the Authorization header; no token ever went into a URL.
    const fetched = requests.filter((r) => r.url.includes(`/bulk/${id}/contacts`));
    expect(fetched.length).toBeGreaterThanOrEqual(2);
    for (const r of fetched) expect(r.authorization).toBe(`User ${org.userSecret}, Element ${instance.token}`);
    expect(requests.filter((r) => r.url.includes(instance.token) || r.url.includes(org.userSecret))).toEqual([]);
    await shot('20-bulk-export');
  });

  it("shows the server's 4xx message next to the field it is about", async () => {
    const before = (await hub('GET', '/hubs/crm/bulk/jobs')).body.length as number;
    await page.getByLabel('Where (CEQL, optional)').fill("lastName = 'unterminated");
    await page.getByRole('button', { name: 'Start export' }).click();
    const whereError = page.locator('[data-field-error="export-where"]');
    await whereError.waitFor();
    expect(await whereError.textContent()).toMatch(/pars/i);
    expect(await page.getByLabel('Where (CEQL, optional)').getAttribute('aria-invalid')).toBe('true');
    await page.waitForFunction(() => document.activeElement?.id === 'export-where');
    await page.getByLabel('Where (CEQL, optional)').fill('');

    // An unknown field in the select list lands on the fields input.
    await page.getByLabel('Fields (optional)').fill('id, first name');
    await page.getByRole('button', { name: 'Start export' }).click();
    await page.locator('[data-field-error="export-fields"]').waitFor();
    expect(await page.locator('[data-field-error="export-where"]').count()).toBe(0);
    await page.getByLabel('Fields (optional)').fill('');

    // Another path: required in the browser, then the server's refusal of an unknown path next to it.
    await page.getByLabel('Object to export').selectOption('other');
    await page.getByRole('button', { name: 'Start export' }).click();
    await page.locator('[data-field-error="export-path"]').filter({ hasText: 'Enter a ConnectWise path' }).waitFor();
    await page.getByLabel('ConnectWise path').fill('system/nosuchthing');
    await page.getByRole('button', { name: 'Start export' }).click();
    await page
      .locator('[data-field-error="export-path"]')
      .filter({ hasText: /system\/nosuchthing/ })
      .waitFor();
    await shot('21-bulk-field-errors');
    await page.getByLabel('Object to export').selectOption('contacts');
    expect((await hub('GET', '/hubs/crm/bulk/jobs')).body.length).toBe(before);
  });

  it('sends "Changed since" as from (UTC) with the where; the job exports only what matches', async () => {
    await page.getByLabel('Where (CEQL, optional)').fill("lastName like 'A%'");
    await page.getByLabel('Changed since (optional)').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Start export' }).click();
    await page.getByText(/Export job \d+ started/).waitFor();
    const id = await watchedId();
    await watchedStatus('COMPLETED');
    const status = (await hub('GET', `/hubs/crm/bulk/${id}/status`)).body;
    const sent = await page.evaluate(() => new Date('2099-01-01T00:00').toISOString());
    expect(status.metadata.from).toBe(sent);
    expect(status.metadata.where).toContain("lastName like 'A%'");
    expect(status.recordsCount).toBe(0);
    await page.getByLabel('Where (CEQL, optional)').fill('');
    await page.getByLabel('Changed since (optional)').fill('');
  });

  it('uploads a CSV with one bad row, watches the import and lists the failed record', async () => {
    const company = (await hub('GET', '/hubs/crm/organizations?pageSize=1')).body[0] as { id: number };
    // A file the server refuses before a job exists: the message lands on the file field.
    await page.getByLabel(/^File\b(?! format)/).setInputFiles({
      name: 'broken.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('firstName,lastName\nAnn,Broken,extra\n'),
    });
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page
      .locator('[data-field-error="upload-file"]')
      .filter({ hasText: /line|column/i })
      .waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'upload-file');

    const csv = [
      'firstName,lastName,company.id',
      `Ann,ConsoleBulk,${company.id}`,
      'Bob,ConsoleBulk,999999',
      `Cid,ConsoleBulk,${company.id}`,
    ].join('\n');
    await page.getByLabel(/^File\b(?! format)/).setInputFiles({
      name: 'people.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${csv}\n`),
    });
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByText(/Import job \d+ started from people.csv/).waitFor();
    expect(await page.locator('[data-field-error="upload-file"]').count()).toBe(0);
    const id = await watchedId();
    await watchedStatus('COMPLETED');
    expect(await watched().getByTestId('watched-records').textContent()).toBe('2');
    expect(await watched().getByTestId('watched-failed').textContent()).toBe('1');
    const row = page.getByTestId('jobs-table').locator(`tr[data-job="${id}"]`);
    await row.filter({ hasText: 'COMPLETED' }).waitFor();
    expect(await row.textContent()).toMatch(/2\s*of 3/);

    await watched()
      .getByRole('button', { name: `Show the failed records of job ${id}` })
      .click();
    const table = page.getByTestId('errors-table');
    await table.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'errors-heading');
    const errorRows = table.locator('tbody tr');
    expect(await errorRows.count()).toBe(1);
    const text = (await errorRows.first().textContent()) ?? '';
    expect(text).toMatch(/^1/); // record index, 0-based in the file
    expect(text).toContain('Bob');
    expect(text).toContain('999999');
    expect(text).toMatch(/400/);
    expect(text).toMatch(/company/i);
    const named = await hub('GET', `/hubs/crm/contacts?where=${encodeURIComponent("lastName = 'ConsoleBulk'")}`);
    expect((named.body as Array<{ firstName: string }>).map((c) => c.firstName).sort()).toEqual(['Ann', 'Cid']);
    await shot('22-bulk-import-errors');
  });

  it('imports JSON Lines; pages through many failed records with "Load more errors"', async () => {
    const lines = Array.from({ length: 57 }, (_, i) =>
      JSON.stringify({ firstName: `P${i}`, lastName: 'ConsolePaged', company: { id: 900_000 + i } }),
    );
    await page.getByLabel('Action').selectOption('create');
    await page.getByLabel(/^File\b(?! format)/).setInputFiles({
      name: 'many.jsonl',
      mimeType: '',
      buffer: Buffer.from(`${lines.join('\n')}\n`),
    });
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByText(/Import job \d+ started from many.jsonl/).waitFor();
    const id = await watchedId();
    await watchedStatus('COMPLETED');
    expect(await watched().getByTestId('watched-failed').textContent()).toBe('57');
    expect((await hub('GET', `/hubs/crm/bulk/${id}/status`)).body.fileFormat).toBe('JSONL');
    await watched()
      .getByRole('button', { name: `Show the failed records of job ${id}` })
      .click();
    const rows = page.getByTestId('errors-table').locator('tbody tr');
    await page.getByRole('heading', { name: `Failed records of job ${id}` }).waitFor();
    await page.getByRole('button', { name: 'Load more errors' }).waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Load more errors' }).click();
    await rows.nth(56).waitFor();
    expect(await rows.count()).toBe(57);
    // The last page has no Elements-Next-Page-Token: no more button.
    expect(await page.getByRole('button', { name: 'Load more errors' }).count()).toBe(0);
    const indexes = await rows.locator('td[data-label="Record index"]').allTextContents();
    expect(indexes.map(Number)).toEqual(Array.from({ length: 57 }, (_, i) => i));
    await page.getByRole('button', { name: 'Close errors' }).click();
  });

  it('shows live progress and records/s of a long export, cancels it; its partial file stays downloadable', async () => {
    // 8000 contacts at 8 vendor pages of 1000, each answered after 700 ms: several seconds of RUNNING.
    const reset = await fetch(`${sandbox.httpUrl}/_sandbox/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sizes: { contacts: 8000 } }),
    });
    expect(reset.status).toBe(200);
    await faults({ latencyMs: 700 });
    try {
      await page.getByLabel('Object to export').selectOption('contacts');
      await page.getByRole('button', { name: 'Start export' }).click();
      await page.getByText(/Export job \d+ started/).waitFor();
      const id = await watchedId();
      await watchedStatus('RUNNING', 10_000);
      const bar = watched().getByRole('progressbar', { name: `Progress of job ${id}` });
      await bar.waitFor();
      // The total is the hub's count; progress and a measured rate arrive with the 2 s refresh.
      await watched()
        .getByText(/[1-5],000 of 8,000 \(\d+%\) · [\d,]+ records\/s/)
        .waitFor({ timeout: 10_000 });
      expect(Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
      await watched()
        .getByRole('button', { name: `Cancel job ${id}` })
        .click();
      await page.getByText(new RegExp(`Job ${id} (cancelled|is stopping)`)).waitFor();
      await watchedStatus('CANCELLED', 10_000);
      const status = (await hub('GET', `/hubs/crm/bulk/${id}/status`)).body;
      expect(status.status).toBe('CANCELLED');
      expect(status.recordsCount).toBeLessThan(8000);
      expect(
        await watched()
          .getByRole('button', { name: `Cancel job ${id}` })
          .count(),
      ).toBe(0);
      const partial = await downloadText(() =>
        watched()
          .getByRole('button', { name: `Download job ${id} as JSON Lines` })
          .click(),
      );
      expect(partial.text.split('\n').filter(Boolean)).toHaveLength(status.recordsCount);
    } finally {
      await faults({ latencyMs: 0 });
    }
  });

  it('works at a phone width: the jobs table becomes stacked cards, nothing overflows', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole('heading', { name: 'Bulk — Bulk sandbox' }).waitFor();
    await page.getByTestId('jobs-table').waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    const cell = page.getByTestId('jobs-table').locator('td').first();
    expect(await cell.evaluate((td) => getComputedStyle(td).display)).toBe('block');
    expect(await page.getByTestId('jobs-table').locator('tbody tr').count()).toBe(5); // three exports, two imports
    await shot('23-bulk-phone');
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('no request left this origin; no page errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
