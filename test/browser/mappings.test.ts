// The console's Mappings tab end to end: Debian's Chromium (playwright-core) against a real Conduit server and the
// ConnectWise simulator — create a definition, map fields by clicking the live record's tree (an index-free filter
// for the email), watch the preview follow, see a script's syntax error with its line, fix it, save, and read the
// mapped records back over HTTP.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, ensureConsoleBuilt, repoRoot } from './console.ts';

const shots = join(repoRoot, 'test-results', 'console');
const EMAIL_PATH = "communicationItems[?(@.communicationType=='Email')].value";

interface Contact {
  id: number;
  firstName: string;
  communicationItems?: Array<{ communicationType: string; value: string }>;
}

describe(`console Mappings tab (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let instance: { id: number; token: string; name: string };
  let first: Contact;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  const requestUrls: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const hub = (method: string, path: string, body?: unknown) =>
    call(server.base, method, path, { auth: elementAuth(org, instance.token), body });
  const firstPreview = () => page.getByTestId('preview-result').first();
  // Playwright's string `hasText` ignores case; a RegExp without the `i` flag does not.
  const exactly = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const emailOf = (c: Contact) => c.communicationItems?.find((i) => i.communicationType === 'Email')?.value;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const built = ensureConsoleBuilt();
    sandbox = await startTestSandbox();
    server = await startTestServer({ env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox) } });
    org = await server.createOrg('Mappings console');
    const created = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: { ...seedBody(sandbox), name: 'Mapping sandbox' },
    });
    expect(created.status, created.text).toBe(200);
    instance = { id: created.body.id, token: created.body.token, name: 'Mapping sandbox' };
    const listed = await hub('GET', '/hubs/crm/contacts?pageSize=1');
    expect(listed.status, listed.text).toBe(200);
    first = listed.body[0];
    expect(emailOf(first), 'the first simulator contact has an email').toBeTruthy();
    await built;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: server.url });
    const origin = new URL(server.url).origin;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => requestUrls.push(r.url()));
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

  it('opens from the instance page and creates a definition with two fields', async () => {
    await page.goto(`/instances/${instance.id}`);
    await page.getByRole('heading', { name: 'Mapping sandbox' }).waitFor();
    await page.getByRole('link', { name: 'Mappings' }).click();
    await page.waitForURL(new RegExp(`/instances/${instance.id}/mappings$`));
    await page.getByRole('heading', { name: 'Mappings — Mapping sandbox' }).waitFor();

    await page.getByLabel('Definition', { exact: true }).selectOption({ label: 'New definition…' });
    // The form's own check: a name must be an identifier.
    await page.getByLabel('Definition name').fill('my contacts');
    await page.getByLabel('Field 1 path').fill('givenName');
    await page.getByRole('button', { name: 'Create definition' }).click();
    await page.getByText('A letter, then letters, digits or _.').waitFor();

    await page.getByLabel('Definition name').fill('myContacts');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Field 2 path').fill('email');
    await page.getByRole('button', { name: 'Create definition' }).click();
    await page.getByRole('heading', { name: 'Fields of myContacts' }).waitFor();
    const saved = await call(server.base, 'GET', `/instances/${instance.id}/objects/myContacts/definitions`, {
      auth: orgAuth(org),
    });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.fields).toEqual([
      expect.objectContaining({ path: 'givenName', type: 'string' }),
      expect.objectContaining({ path: 'email', type: 'string' }),
    ]);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => (el as HTMLInputElement).labels?.length === 0)
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  });

  it('maps fields by clicking the live record tree, and the preview shows the mapped values', async () => {
    await page.getByRole('heading', { name: 'First contacts record' }).waitFor();
    await page.getByRole('button', { name: 'Map into givenName' }).click();
    await page.getByRole('button', { name: 'Map firstName', exact: true }).click();
    expect(await page.getByLabel('vendorPath of givenName').inputValue()).toBe('firstName');

    await page.getByRole('button', { name: 'Map into email' }).click();
    await page
      .getByRole('button', { name: `Map ${EMAIL_PATH}`, exact: true })
      .first()
      .click();
    expect(await page.getByLabel('vendorPath of email').inputValue()).toBe(EMAIL_PATH);

    await firstPreview()
      .filter({ hasText: exactly(`"givenName": ${JSON.stringify(first.firstName)}`) })
      .waitFor();
    await firstPreview()
      .filter({ hasText: exactly(`"email": ${JSON.stringify(emailOf(first))}`) })
      .waitFor();
    await shot('30-mappings-preview');
  });

  it('shows a script syntax error with its line as you type, then the fixed script in the preview', async () => {
    const script = page.getByLabel('Script');
    await script.fill(
      'const upper = (s) => s.toUpperCase();\ntransformedObject.givenName = upper(;\ndone(transformedObject);',
    );
    const error = page.locator('[data-field-error="mapping-script"]');
    await error.filter({ hasText: /line 2/ }).waitFor();
    await shot('31-mappings-script-error');

    await script.fill(
      'const upper = (s) => s.toUpperCase();\ntransformedObject.givenName = upper(transformedObject.givenName);\ndone(transformedObject);',
    );
    await error.waitFor({ state: 'detached' });
    await firstPreview()
      .filter({ hasText: exactly(`"givenName": ${JSON.stringify(first.firstName.toUpperCase())}`) })
      .waitFor();
  });

  it('saves, and GET /hubs/crm/myContacts returns the mapped records', async () => {
    await page.getByRole('button', { name: 'Save transformation' }).click();
    await page.getByText('Saved transformation myContacts (instance level)').waitFor();
    const mapped = await hub('GET', '/hubs/crm/myContacts?pageSize=1');
    expect(mapped.status, mapped.text).toBe(200);
    expect(mapped.body).toEqual([{ givenName: first.firstName.toUpperCase(), email: emailOf(first) }]);

    // Reopening the page loads what was saved.
    await page.reload();
    await page.getByLabel('Definition', { exact: true }).selectOption('myContacts');
    await page.getByRole('heading', { name: 'Fields of myContacts' }).waitFor();
    await expect.poll(() => page.getByLabel('vendorPath of email').inputValue()).toBe(EMAIL_PATH);
    expect(await page.getByLabel('Script').inputValue()).toContain('upper(transformedObject.givenName)');
  });

  it('shows a save error next to the field it names', async () => {
    await page.getByLabel('vendorPath of givenName').fill('firstName[?(');
    await page.getByRole('button', { name: 'Save transformation' }).click();
    await page.locator('[data-field-error="vendor-path-0"]').waitFor();
    await page.getByText('Saved transformation').waitFor({ state: 'detached' });
    const still = await hub('GET', '/hubs/crm/myContacts?pageSize=1');
    expect(still.body[0].givenName).toBe(first.firstName.toUpperCase());
  });

  it('shows per-field notes, and the tree follows the vendor object', async () => {
    await page.getByRole('button', { name: 'Map into givenName' }).click();
    await page.getByRole('button', { name: 'Map id', exact: true }).click();
    expect(await page.getByLabel('vendorPath of givenName').inputValue()).toBe('id');
    await firstPreview().getByRole('listitem').filter({ hasText: 'givenName: coerced number→string' }).waitFor();

    const options = await page.getByLabel('Vendor object').locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['contacts', 'opportunities']));
    await page.getByLabel('Vendor object').selectOption('opportunities');
    await page.getByRole('heading', { name: 'First opportunities record' }).waitFor();
    const opportunity = (await hub('GET', '/hubs/crm/opportunities?pageSize=1')).body[0] as { name: string };
    await page.getByRole('button', { name: 'Map name', exact: true }).click();
    await firstPreview()
      .filter({ hasText: exactly(`"givenName": ${JSON.stringify(opportunity.name.toUpperCase())}`) })
      .waitFor();
  });

  it('saves at organization level once the organization has the definition', async () => {
    await page.getByLabel('Save transformation at').selectOption('organization');
    await page.getByRole('button', { name: 'Save transformation' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'That did not work' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('myContacts');

    const def = await call(server.base, 'PUT', '/organizations/objects/myContacts/definitions', {
      auth: orgAuth(org),
      body: {
        fields: [
          { path: 'givenName', type: 'string' },
          { path: 'email', type: 'string' },
        ],
      },
    });
    expect(def.status, def.text).toBe(200);
    await page.getByRole('button', { name: 'Save transformation' }).click();
    await page.getByText('Saved transformation myContacts (organization level)').waitFor();
    await alert.waitFor({ state: 'detached' });
    const saved = await call(
      server.base,
      'GET',
      '/organizations/elements/connectwisecrmrest/transformations/myContacts',
      {
        auth: orgAuth(org),
      },
    );
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.vendorName).toBe('opportunities');
    expect(saved.body.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'givenName', vendorPath: 'name' })]),
    );
  });

  it('fits a phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot('32-mappings-phone');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it('sent no secret in a URL, nothing to another origin, and threw no page error', () => {
    expect(requestUrls.filter((u) => u.includes(instance.token) || u.includes(org.userSecret))).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
