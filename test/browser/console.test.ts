// The console end to end: Debian's Chromium (playwright-core) against a real Conduit server and the ConnectWise
// simulator. Screenshots go to test-results/console/ for review.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSandboxInfo } from '../../src/cli/sandboxInfo.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, docsImage, ensureConsoleBuilt, repoRoot, startReceiver } from './console.ts';

const shots = join(repoRoot, 'test-results', 'console');

interface Delivery {
  eventId: string;
  status: string;
  attempts: number;
  lastError?: string | null;
}

describe(`console in a browser (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  let created: { id: number; token: string };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const renameContact = async (contactId: number, firstName: string) => {
    const c = sandbox.credentials;
    const res = await fetch(`${sandbox.apiBase}/company/contacts/${contactId}`, {
      method: 'PATCH',
      headers: {
        authorization: `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
        clientId: c.clientId,
        'content-type': 'application/json',
      },
      body: JSON.stringify([{ op: 'replace', path: 'firstName', value: firstName }]),
    });
    expect(res.status).toBe(200);
  };

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const api = (method: string, path: string, body?: unknown) =>
    call(server.base, method, path, { auth: orgAuth(org), body });

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const built = ensureConsoleBuilt();
    sandbox = await startTestSandbox();
    receiver = await startReceiver();
    server = await startTestServer({
      env: {
        CONDUIT_UPSTREAM_ALLOW: `${sandboxAllow(sandbox)},${new URL(receiver.url).host}`,
        CONDUIT_POLL_MIN_INTERVAL_S: '1',
      },
    });
    setSandboxInfo({ apiBase: sandbox.apiBase, ...sandbox.credentials });
    org = await server.createOrg('Console');
    await built;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 }, baseURL: server.url });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const origin = new URL(server.url).origin;
    // Everything must come from Conduit itself: no CDN fonts or scripts, no calls elsewhere.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    setSandboxInfo(undefined);
    await browser?.close();
    await server?.close();
    await receiver?.close();
    await sandbox?.close();
  });

  it('serves the console at / and client routes, keeps JSON 404s under the API', async () => {
    const home = await fetch(`${server.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/text\/html/);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await home.text();
    expect(html).toContain('<div id="root">');
    const deep = await fetch(`${server.url}/instances/42/events`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await fetch(`${server.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${server.url}/assets/nope.js`)).status).toBe(404);
    const apiMiss = await call(server.base, 'GET', '/no-such-route', { auth: orgAuth(org) });
    expect(apiMiss.status).toBe(404);
    expect(apiMiss.body.code).toBe('NOT_FOUND');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('GET /sandbox answers the in-process sandbox, 404 without one, 401 without secrets', async () => {
    const res = await api('GET', '/sandbox');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ apiBase: sandbox.apiBase, ...sandbox.credentials });
    expect((await call(server.base, 'GET', '/sandbox')).status).toBe(401);
    setSandboxInfo(undefined);
    expect((await api('GET', '/sandbox')).status).toBe(404);
    setSandboxInfo({ apiBase: sandbox.apiBase, ...sandbox.credentials });
  });

  it('signs in, with a clear message for wrong secrets', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to Conduit' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('Enter the organization secret').isVisible()).resolves.toBe(true);
    await page.getByLabel('Organization secret').fill(org.organizationSecret);
    await page.getByLabel('User secret').fill('wrong-user-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('These secrets were not accepted').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await shot('01-sign-in-wrong');
    await page.getByLabel('User secret').fill(org.userSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Elements' }).waitFor();
    await page.getByRole('heading', { name: 'ConnectWise CRM REST' }).waitFor();
    expect(await page.getByText('Add a ConnectWise Instance').isVisible()).toBe(true);
    expect(await page.getByRole('img', { name: /logo placeholder/ }).count()).toBe(1);
    // Secrets are kept in the tab's sessionStorage, nowhere else.
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).toContain(org.userSecret);
    expect(await page.evaluate(() => localStorage.length + document.cookie.length)).toBe(0);
    await shot('02-catalog');
  });

  it('validates the authenticate form in the browser before sending anything', async () => {
    await page.getByRole('link', { name: 'Authenticate ConnectWise CRM REST' }).click();
    await page.getByRole('heading', { name: 'Authenticate ConnectWise CRM REST' }).waitFor();
    // The URL picker composes the API root from a region.
    await page.getByLabel('Where your ConnectWise runs').selectOption('api-eu.myconnectwise.net');
    expect(await page.getByTestId('composed-url').textContent()).toBe(
      'https://api-eu.myconnectwise.net/v4_6_release/apis/3.0',
    );
    await page.getByLabel('Where your ConnectWise runs').selectOption({ label: 'On-premises host…' });
    await page.getByLabel('On-premises host').fill('cw.example.com');
    expect(await page.getByTestId('composed-url').textContent()).toBe('https://cw.example.com/v4_6_release/apis/3.0');
    expect(await page.getByLabel('Private Key').getAttribute('type')).toBe('password');
    expect(await page.getByLabel('Filter null values from the response').isChecked()).toBe(true);
    const before = (await api('GET', '/instances/count')).body.count;
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByText('Company is required').waitFor();
    expect(await page.getByLabel('Company').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText('Give the instance a name').isVisible()).toBe(true);
    // Events: the section's fields appear with the toggle, and need a callback URL.
    await page.getByLabel('Events Enabled').check();
    await page.getByLabel('Event Type').selectOption('hybrid');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByText('Events are delivered to this URL').waitFor();
    await page.getByLabel('Events Enabled').uncheck();
    expect(await page.getByLabel('Event Type').count()).toBe(0);
    expect((await api('GET', '/instances/count')).body.count).toBe(before);
    // Every field has a visible label tied to it; every button has a name.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => (el as HTMLInputElement).labels?.length === 0)
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    const unnamed = await page.evaluate(
      () => [...document.querySelectorAll('button')].filter((b) => !b.textContent?.trim()).length,
    );
    expect(unnamed).toBe(0);
  });

  it('shows the server error next to the field it names (wrong private key, refused URL)', async () => {
    await page.getByRole('button', { name: 'Fill in the sandbox' }).click();
    await page.getByLabel('Private Key').fill('not-the-private-key');
    await page.getByLabel('Instance name').fill('Wrong key');
    await page.getByRole('button', { name: 'Create instance' }).click();
    const keyError = page.locator('[data-field-error="field-public-key"]');
    await keyError.waitFor();
    expect(await keyError.textContent()).toMatch(/rejected the credentials/);
    expect(await page.getByLabel('Public Key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').first().textContent()).toMatch(/Authentication failed/);
    await shot('03-authenticate-wrong-key');

    // A URL the outbound policy refuses: the error lands on the URL field.
    await page.getByLabel('Private Key').fill(sandbox.credentials.privateKey);
    await page.getByLabel('Where your ConnectWise runs').selectOption({ label: 'On-premises host…' });
    await page.getByLabel('On-premises host').fill('10.1.2.3');
    await page.getByRole('button', { name: 'Create instance' }).click();
    const urlError = page.locator('[data-field-error="field-baseUrl"]');
    await urlError.waitFor();
    expect(await urlError.textContent()).toMatch(/baseUrl/);
    expect(await page.getByLabel('On-premises host').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-field-error="field-public-key"]').count()).toBe(0);
    await shot('04-authenticate-refused-url');
  });

  it('authenticates against the sandbox with the Sandbox button and shows id, token and next steps', async () => {
    await page.goto('/elements/connectwisecrmrest/authenticate');
    await page.getByRole('button', { name: 'Fill in the sandbox' }).click();
    expect(await page.getByLabel('ConnectWise API URL').inputValue()).toBe(sandbox.apiBase);
    expect(await page.getByLabel('Company').inputValue()).toBe(sandbox.credentials.company);
    await page.getByLabel('Instance name').fill('Console sandbox');
    await page.getByLabel('Tags').fill('sandbox, console');
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: docsImage('console-authenticate.png') ?? join(shots, 'authenticate.png') });
    await page.screenshot({ path: join(shots, '05-authenticate-filled.png'), fullPage: true });
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('heading', { name: 'Instance “Console sandbox” is ready' }).waitFor();
    const id = Number(await page.getByTestId('created-id').textContent());
    const token = (await page.getByTestId('created-token').textContent()) ?? '';
    const stored = await api('GET', `/instances/${id}`);
    expect(stored.status).toBe(200);
    expect(stored.body.token).toBe(token);
    expect(stored.body.tags).toEqual(['sandbox', 'console']);
    expect(stored.body.configuration['filter.response.nulls']).toBe('true');
    created = { id, token };
    expect(await page.getByText('The token is a credential').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Copy token' }).click();
    await page.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    expect(await page.getByRole('link', { name: 'Try the API' }).getAttribute('href')).toBe(`/instances/${id}/docs`);
    expect(await page.getByText('Map to a virtual data resource').isVisible()).toBe(true);
    expect(await page.getByText('Use in a formula').isVisible()).toBe(true);
    expect(await page.getByText('not available yet').count()).toBe(2);
    await shot('06-authenticated');
  });

  it('lists, searches and filters instances (an empty search says "no matches")', async () => {
    for (const [name, tags] of [
      ['Acme production', ['acme', 'production']],
      ['Globex staging', ['globex']],
    ] as const) {
      const res = await api('POST', '/instances', { ...seedBody(sandbox), name, tags });
      expect(res.status).toBe(200);
    }
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    await page.getByRole('link', { name: 'Globex staging' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(3);
    const row = page.locator('tbody tr', { hasText: 'Console sandbox' });
    expect(await row.textContent()).toMatch(/sandbox.*console.*Valid.*Enabled.*Off/s);

    await page.getByLabel('Search by name').fill('zzz-nothing');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No matches').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(0);

    await page.getByLabel('Search by name').fill('acme');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/search=acme/);
    await page.getByRole('link', { name: 'Acme production' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Tag').selectOption('globex');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/tag=globex/);
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('Globex staging')]);
    await shot('07-instances-filtered');
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('link', { name: 'Console sandbox' }).waitFor();
  });

  it('opens an instance: masked configuration, edit, disable/enable, re-validate', async () => {
    await page.getByRole('link', { name: 'Console sandbox' }).click();
    await page.getByRole('heading', { name: 'Console sandbox' }).waitFor();
    const privateRow = page.locator('tr', { hasText: 'private.key' }).first();
    expect(await privateRow.textContent()).toContain('********');
    expect(await page.content()).not.toContain(sandbox.credentials.privateKey);
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: docsImage('console-instance.png') ?? join(shots, 'instance.png') });

    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Instance name').fill('Console sandbox renamed');
    await page.getByLabel('Tags').fill('sandbox, renamed');
    await page.getByLabel('Filter null values from the response').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    await page.getByRole('heading', { name: 'Console sandbox renamed' }).waitFor();
    let stored = (await api('GET', `/instances/${created.id}`)).body;
    expect(stored.name).toBe('Console sandbox renamed');
    expect(stored.tags).toEqual(['sandbox', 'renamed']);
    expect(stored.configuration['filter.response.nulls']).toBe('false');
    expect(stored.configuration['private.key']).toBe('********');

    // A bad configuration edit is refused with the error on its field.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Private Key').fill('wrong-private-key');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('[data-field-error="field-public-key"]').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Instance disabled').waitFor();
    stored = (await api('GET', `/instances/${created.id}`)).body;
    expect(stored.disabled).toBe(true);
    expect(await page.getByText('Disabled', { exact: true }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('Instance enabled.').waitFor();
    expect((await api('GET', `/instances/${created.id}`)).body.disabled).toBe(false);

    await page.getByRole('button', { name: 'Re-validate credentials' }).click();
    await page.getByText('ConnectWise accepted the stored credentials').waitFor();
    // Re-validation sent the masked secrets back: the stored private key still works.
    stored = (await api('GET', `/instances/${created.id}`)).body;
    expect(stored.valid).toBe(true);
    const hub = await call(server.base, 'GET', '/hubs/crm/contacts?pageSize=1', {
      auth: `User ${org.userSecret}, Element ${created.token}`,
    });
    expect([200, 404]).toContain(hub.status); // 404 only while the hub capability is absent
    expect(hub.status === 200 || hub.body?.message?.startsWith('No route')).toBe(true);
    await shot('08-instance');
  });

  it('shows the events page (or says events are not available)', async () => {
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: /^Events/ }).waitFor();
    const probe = await api('GET', `/instances/${created.id}/events`);
    if (probe.status === 404) {
      await page.getByTestId('events-unavailable').waitFor();
    } else {
      expect(probe.status).toBe(200);
      await page.getByRole('heading', { name: 'Event log' }).waitFor();
    }
    expect(await page.getByLabel(/Live refresh/).isChecked()).toBe(true);
    expect(await page.getByText('Events are off for this instance').isVisible()).toBe(true);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Console sandbox renamed' }).waitFor();
  });

  it('creates an instance with events from the form; the events page shows the log, failed deliveries, redeliver', async () => {
    await page.goto('/elements/connectwisecrmrest/authenticate');
    await page.getByRole('button', { name: 'Fill in the sandbox' }).click();
    await page.getByLabel('Events Enabled').check();
    await page.getByLabel('Event Notification Callback URL').fill(receiver.url);
    await page.getByLabel('Callback Notification Signature Key').fill('console-signature-key');
    await page.getByLabel('Event Type').selectOption('polling');
    await page.getByLabel('Event Poller Refresh Interval (mins)').fill('0.01');
    await page.getByLabel('Instance name').fill('Console events');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('heading', { name: 'Instance “Console events” is ready' }).waitFor();
    const id = Number(await page.getByTestId('created-id').textContent());
    const stored = (await api('GET', `/instances/${id}`)).body;
    expect(stored.eventsEnabled).toBe(true);
    expect(stored.configuration['event.notification.callback.url']).toBe(receiver.url);
    expect(stored.configuration['event.notification.signature.key']).toBe('********');
    expect(stored.configuration['event.poller.refresh_interval']).toBe('0.01');

    await page.goto(`/instances/${id}/events`);
    await page.getByRole('heading', { name: 'Events — Console events' }).waitFor();
    if ((await api('GET', `/instances/${id}/events`)).status === 404) {
      await page.getByTestId('events-unavailable').waitFor();
      return;
    }
    await page.getByRole('heading', { name: 'Event log' }).waitFor();
    await page.getByRole('button', { name: 'Pause events' }).waitFor();
    // A change in ConnectWise; the receiver refuses the first notifications.
    receiver.status = 500;
    const contactId = 1;
    let deliveries: Delivery[] = [];
    for (let i = 0; i < 40 && !deliveries.some((d) => d.attempts >= 1 && d.lastError); i++) {
      if (i % 6 === 0) await renameContact(contactId, `Console${i}`);
      await new Promise((r) => setTimeout(r, 250));
      deliveries = (await api('GET', `/instances/${id}/events/deliveries`)).body;
    }
    const failed = deliveries.find((d) => d.attempts >= 1 && d.lastError);
    expect(failed).toBeDefined();
    // Live refresh brings the failed delivery in without a click.
    const row = page.locator('tr', { hasText: failed!.eventId });
    await row.first().waitFor({ timeout: 8000 });
    await page
      .locator('section', { hasText: 'Deliveries' })
      .locator('tr', { hasText: failed!.eventId })
      .waitFor({ timeout: 8000 });
    expect(await page.getByRole('table').first().textContent()).toMatch(/contacts/);
    await shot('09-events');
    receiver.status = 200;
    await page.getByRole('button', { name: `Redeliver notification ${failed!.eventId}` }).click();
    await page.getByText(`Notification ${failed!.eventId} queued for redelivery.`).waitFor();
    await receiver.waitFor((r) => r.some((b) => b.eventId === failed!.eventId));
    for (let i = 0; i < 40; i++) {
      const d = (await api('GET', `/instances/${id}/events/deliveries`)).body.find(
        (x: Delivery) => x.eventId === failed!.eventId,
      );
      if (d?.status === 'delivered') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page
      .locator('section', { hasText: 'Deliveries' })
      .locator('tr', { hasText: failed!.eventId })
      .filter({ hasText: 'delivered' })
      .waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Pause events' }).click();
    await page.getByText('Events paused').waitFor();
    await page.getByRole('button', { name: 'Resume events' }).waitFor();
    await shot('09b-events-delivered');
    expect((await api('DELETE', `/instances/${id}`)).status).toBe(200);
    await page.goto(`/instances/${created.id}`);
    await page.getByRole('heading', { name: 'Console sandbox renamed' }).waitFor();
  });

  it('renders the API docs as operations with a try-it form using the instance token', async () => {
    await page.getByRole('link', { name: 'API docs' }).click();
    await page.getByRole('heading', { name: /^API docs/ }).waitFor();
    const probe = await api('GET', `/instances/${created.id}/docs`);
    if (probe.status === 404) {
      await page.getByTestId('docs-unavailable').waitFor();
      return;
    }
    expect(probe.status).toBe(200);
    expect(await page.getByLabel('Instance token').inputValue()).toBe(created.token);
    await page.getByLabel('Filter operations').fill('contacts');
    const list = page.locator('summary', { hasText: 'List contacts' }).first();
    await list.click();
    const op = page.locator('details[open]').first();
    await op.getByLabel('pageSize (query)').fill('2');
    await op.getByRole('button', { name: 'Send GET request' }).click();
    await op.getByTestId('try-status').waitFor();
    expect(await op.getByTestId('try-status').textContent()).toBe('HTTP 200');
    const body = JSON.parse(await op.getByLabel('Response body').inputValue()) as unknown[];
    expect(body).toHaveLength(2);
    await shot('10-docs');
  });

  it('deletes an instance only after confirmation', async () => {
    await page.goto(`/instances/${created.id}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    expect((await api('GET', `/instances/${created.id}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete' }).click();
    await shot('11-delete-confirm');
    await page.getByRole('button', { name: 'Delete permanently' }).click();
    await page.getByText('Deleted instance “Console sandbox renamed”').waitFor();
    await page.waitForURL(/\/instances$/);
    expect((await api('GET', `/instances/${created.id}`)).status).toBe(404);
    expect(await page.getByRole('link', { name: 'Console sandbox renamed' }).count()).toBe(0);
  });

  it('works at a phone width and from the keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/instances');
    await page.getByRole('link', { name: 'Acme production' }).waitFor();
    await shot('12-phone-instances');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.goto('/elements/connectwisecrmrest/authenticate');
    await page.getByRole('heading', { name: /^Authenticate/ }).waitFor();
    await shot('13-phone-authenticate');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).toBeLessThanOrEqual(0);
    // Keyboard: the skip link comes first and the sandbox button is reachable with Tab and works with Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    for (let i = 0; i < 15; i++) {
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Fill in the sandbox') break;
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    expect(await page.getByLabel('Company').inputValue()).toBe(sandbox.credentials.company);
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  it('signs out and forgets the secrets; no request left this origin; no page errors', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Conduit' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
