// The console's "Sign in with e-mail and password" in Debian's Chromium against a real Conduit server: the session
// fetches the secrets, the tab keeps them like the secrets form does, and the session is ended right after.
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, setPassword } from '../../src/platform/index.ts';
import { startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, ensureConsoleBuilt } from './console.ts';

describe(`console: sign in with e-mail and password (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let org: Awaited<ReturnType<typeof createOrganization>>;
  const email = 'console@acme.example';
  const password = 'console pass phrase';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const built = ensureConsoleBuilt();
    server = await startTestServer();
    org = await createOrganization(server.runtime.deps.store, { name: 'Acme', email }, server.runtime.deps.box);
    expect((await setPassword(server.runtime.deps.store, { email, password })).ok).toBe(true);
    await built;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL: server.url });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('offers the form beside the secrets form and checks it before sending', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in with e-mail and password' }).waitFor();
    expect(await page.getByLabel('Organization secret').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Continue with password' }).click();
    await page.getByText('Enter your e-mail').waitFor();
    expect(await page.getByText('Enter your password').isVisible()).toBe(true);
  });

  it('says so for a wrong password and keeps nothing', async () => {
    await page.locator('#signin-email').fill(email);
    await page.locator('#signin-password').fill('not the right one');
    await page.getByRole('button', { name: 'Continue with password' }).click();
    await page.getByText('Wrong e-mail or password.').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('signs in, keeps the secrets in the tab only and ends the session it used', async () => {
    await page.locator('#signin-password').fill(password);
    await page.getByRole('button', { name: 'Continue with password' }).click();
    await page.getByRole('heading', { name: 'Elements' }).waitFor();
    const stored = await page.evaluate(() => JSON.stringify(sessionStorage));
    expect(stored).toContain(org.userSecret);
    expect(stored).toContain(org.organizationSecret);
    expect(stored).not.toContain(password);
    expect(await page.evaluate(() => localStorage.length + document.cookie.length)).toBe(0);
    const sessions = await server.runtime.deps.store.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', org.userId)
      .execute();
    expect(sessions).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
