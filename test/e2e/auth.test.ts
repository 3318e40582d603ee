// Sign-in by password, sessions, getting the secrets back, and secret rotation (issue 14, Platform), over real
// HTTP against a real store; passwords and rotations through the real `conduit` CLI in a child process.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, setPassword } from '../../src/platform/index.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';

type Org = Awaited<ReturnType<TestServer['createOrg']>>;

/** Runs `conduit …` against the server's store, with `input` on stdin. */
function conduit(
  server: TestServer,
  args: string[],
  input = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/conduit.js', ...args], {
      env: { ...process.env, ...server.env, PORT: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const signIn = (server: TestServer, username: string, password: string) =>
  call(server.base, 'POST', '/authentication', { body: { username, password } });

describe(`sign-in by password and secret recovery (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let server: TestServer;
  let org: Org;
  const email = 'ops@acme.example';
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    server = await startTestServer({ env: { CONDUIT_SIGN_IN_FAILURES_PER_ADDRESS: '1000' } });
    org = await createOrganization(server.runtime.deps.store, { name: 'Acme', email }, server.runtime.deps.box);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('conduit user set-password reads the password from stdin; a too-short one is refused', async () => {
    const short = await conduit(server, ['user', 'set-password', '--email', email], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 10 characters/);
    const unknown = await conduit(server, ['user', 'set-password', '--email', 'nobody@acme.example'], `${password}\n`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No user has the e-mail nobody@acme.example/);
    const set = await conduit(server, ['user', 'set-password', '--email', email.toUpperCase()], `${password}\n`);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`User ${org.userId}`);
    expect(set.stdout).not.toContain(password);
  }, 180_000);

  it('POST /authentication answers a Bearer token with its expiry; GET /authentication/secrets gives the secrets back', async () => {
    const res = await signIn(server, email, password);
    expect(res.status).toBe(200);
    expect(res.body.tokenType).toBe('Bearer');
    expect(typeof res.body.token).toBe('string');
    const ttl = Date.parse(res.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(719 * 60_000);
    expect(ttl).toBeLessThanOrEqual(720 * 60_000);
    const secrets = await call(server.base, 'GET', '/authentication/secrets', {
      auth: `Bearer ${res.body.token}`,
    });
    expect(secrets.status).toBe(200);
    expect(secrets.headers.get('cache-control')).toBe('no-store');
    expect(secrets.body).toEqual({ userSecret: org.userSecret, organizationSecret: org.organizationSecret });
    // The secrets recovered work for platform calls.
    const list = await call(server.base, 'GET', '/instances', { auth: orgAuth(secrets.body) });
    expect(list.status).toBe(200);
  });

  it('GET /users/me and /organizations/me answer with a session or with the secrets, never a secret or hash', async () => {
    const { body } = await signIn(server, email, password);
    for (const auth of [`Bearer ${body.token}`, orgAuth(org)]) {
      const me = await call(server.base, 'GET', '/users/me', { auth });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        id: org.userId,
        emailAddress: email,
        organizationId: org.organizationId,
        passwordSignIn: true,
      });
      expect(me.text).not.toContain(org.userSecret);
      expect(me.text).not.toMatch(/scrypt|password_hash|secret/i);
      const o = await call(server.base, 'GET', '/organizations/me', { auth });
      expect(o.status).toBe(200);
      expect(o.body).toMatchObject({ id: org.organizationId, name: 'Acme' });
      expect(o.text).not.toContain(org.organizationSecret);
    }
  });

  it('a wrong password and an unknown e-mail get the same 401; a session token is refused by other routes', async () => {
    const wrong = await signIn(server, email, 'not the password at all');
    const unknown = await signIn(server, 'ghost@acme.example', password);
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body.message).toBe('Wrong e-mail or password');
      expect(r.body.token).toBeUndefined();
    }
    const missing = await call(server.base, 'POST', '/authentication', { body: { username: email } });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('password');
    const { body } = await signIn(server, email, password);
    const instances = await call(server.base, 'GET', '/instances', { auth: `Bearer ${body.token}` });
    expect(instances.status).toBe(401);
    expect(instances.body.message).toMatch(/Bearer session token is accepted only by/);
    const bogus = await call(server.base, 'GET', '/authentication/secrets', { auth: 'Bearer not-a-session' });
    expect(bogus.status).toBe(401);
    const none = await call(server.base, 'GET', '/authentication/secrets');
    expect(none.status).toBe(401);
  });

  it('DELETE /authentication ends the session; setting a new password ends every session of the user', async () => {
    const a = (await signIn(server, email, password)).body.token;
    const b = (await signIn(server, email, password)).body.token;
    const out = await call(server.base, 'DELETE', '/authentication', { auth: `Bearer ${a}` });
    expect(out.status).toBe(200);
    expect((await call(server.base, 'GET', '/users/me', { auth: `Bearer ${a}` })).status).toBe(401);
    expect((await call(server.base, 'GET', '/users/me', { auth: `Bearer ${b}` })).status).toBe(200);
    const changed = await setPassword(server.runtime.deps.store, { email, password: `${password}!` });
    expect(changed.ok).toBe(true);
    expect((await call(server.base, 'GET', '/users/me', { auth: `Bearer ${b}` })).status).toBe(401);
    expect((await signIn(server, email, password)).status).toBe(401);
    expect((await signIn(server, email, `${password}!`)).status).toBe(200);
    expect((await setPassword(server.runtime.deps.store, { email, password })).ok).toBe(true);
  });

  it('another organization signing in sees only its own secrets', async () => {
    const other = await createOrganization(
      server.runtime.deps.store,
      { name: 'Globex', email: 'it@globex.example' },
      server.runtime.deps.box,
    );
    expect((await setPassword(server.runtime.deps.store, { email: 'it@globex.example', password })).ok).toBe(true);
    const token = (await signIn(server, 'it@globex.example', password)).body.token;
    const secrets = await call(server.base, 'GET', '/authentication/secrets', { auth: `Bearer ${token}` });
    expect(secrets.body).toEqual({ userSecret: other.userSecret, organizationSecret: other.organizationSecret });
    const me = await call(server.base, 'GET', '/organizations/me', { auth: `Bearer ${token}` });
    expect(me.body.id).toBe(other.organizationId);
  });

  it('an organization whose secrets predate recoverable secrets gets 409 naming the rotate command', async () => {
    const legacy = await createOrganization(server.runtime.deps.store, { name: 'Legacy', email: 'old@legacy.example' });
    await setPassword(server.runtime.deps.store, { email: 'old@legacy.example', password });
    const token = (await signIn(server, 'old@legacy.example', password)).body.token;
    const res = await call(server.base, 'GET', '/authentication/secrets', { auth: `Bearer ${token}` });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain(`npx conduit user rotate-secret --user ${legacy.userId}`);
  });

  it('conduit org rotate-secret and user rotate-secret: new secrets printed once, the old ones refused at once', async () => {
    const fresh = await createOrganization(
      server.runtime.deps.store,
      { name: 'Initech', email: 'bill@initech.example' },
      server.runtime.deps.box,
    );
    expect((await call(server.base, 'GET', '/instances', { auth: orgAuth(fresh) })).status).toBe(200);

    const o = await conduit(server, ['org', 'rotate-secret', '--org', String(fresh.organizationId), '--json']);
    expect(o.code).toBe(0);
    const { organizationSecret } = JSON.parse(o.stdout);
    expect(organizationSecret).not.toBe(fresh.organizationSecret);
    const oldOrg = await call(server.base, 'GET', '/instances', { auth: orgAuth(fresh) });
    expect(oldOrg.status).toBe(401);
    const rotatedOrg = { ...fresh, organizationSecret };
    expect((await call(server.base, 'GET', '/instances', { auth: orgAuth(rotatedOrg) })).status).toBe(200);

    const u = await conduit(server, ['user', 'rotate-secret', '--user', String(fresh.userId)]);
    expect(u.code).toBe(0);
    const userSecret = /User secret: (\S+)/.exec(u.stdout)?.[1];
    expect(userSecret).toBeDefined();
    expect((await call(server.base, 'GET', '/instances', { auth: orgAuth(rotatedOrg) })).status).toBe(401);
    const rotated = { ...rotatedOrg, userSecret: userSecret! };
    expect((await call(server.base, 'GET', '/instances', { auth: orgAuth(rotated) })).status).toBe(200);

    // A user who signs in by password gets the new secrets back.
    await setPassword(server.runtime.deps.store, { email: 'bill@initech.example', password });
    const token = (await signIn(server, 'bill@initech.example', password)).body.token;
    const secrets = await call(server.base, 'GET', '/authentication/secrets', { auth: `Bearer ${token}` });
    expect(secrets.body).toEqual({ userSecret, organizationSecret });

    const missing = await conduit(server, ['org', 'rotate-secret', '--org', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Organization 999999 does not exist/);
  }, 180_000);
});

describe(`sign-in rate limits and session lifetime (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let server: TestServer;
  const password = 'a long enough password';

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        CONDUIT_SIGN_IN_FAILURES_PER_USER: '5',
        CONDUIT_SIGN_IN_FAILURES_PER_ADDRESS: '12',
        CONDUIT_SIGN_IN_WINDOW_MIN: '15',
        CONDUIT_SESSION_TTL_MIN: '0.02',
      },
    });
    for (const name of ['one', 'two']) {
      await createOrganization(
        server.runtime.deps.store,
        { name, email: `${name}@example.com` },
        server.runtime.deps.box,
      );
      await setPassword(server.runtime.deps.store, { email: `${name}@example.com`, password });
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a session expires after CONDUIT_SESSION_TTL_MIN', async () => {
    const res = await signIn(server, 'one@example.com', password);
    expect(res.status).toBe(200);
    const auth = `Bearer ${res.body.token}`;
    expect((await call(server.base, 'GET', '/users/me', { auth })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(res.body.expiresAt) - Date.now() + 50));
    const late = await call(server.base, 'GET', '/users/me', { auth });
    expect(late.status).toBe(401);
    expect(late.body.message).toMatch(/expired/);
  });

  it('after 5 failures for one e-mail: 429 with Retry-After, even with the right password; other users unaffected', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(server, 'one@example.com', `wrong ${i}`)).status).toBe(401);
    const limited = await signIn(server, 'ONE@example.com', password);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await signIn(server, 'two@example.com', password)).status).toBe(200);
  });

  it('after 12 failures from one address across e-mails: 429 for every e-mail from it', async () => {
    // 5 failures of the previous test came from this address too.
    for (let i = 0; i < 7; i++) {
      expect((await signIn(server, `nobody${i}@example.com`, 'whatever it is')).status).toBe(401);
    }
    const limited = await signIn(server, 'two@example.com', password);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe(`sign-in limit under parallel guesses (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let server: TestServer;
  const password = 'the parallel password';

  beforeAll(async () => {
    server = await startTestServer({
      env: { CONDUIT_SIGN_IN_FAILURES_PER_USER: '5', CONDUIT_SIGN_IN_FAILURES_PER_ADDRESS: '1000' },
    });
    await createOrganization(server.runtime.deps.store, { name: 'p', email: 'p@example.com' }, server.runtime.deps.box);
    await setPassword(server.runtime.deps.store, { email: 'p@example.com', password });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('12 guesses at once: at most 5 are checked, the rest answer 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn(server, 'p@example.com', `guess number ${i}`)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s !== 401).every((s) => s === 429)).toBe(true);
    expect((await signIn(server, 'p@example.com', password)).status).toBe(429);
  });
});
