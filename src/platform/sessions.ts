// Sign-in by password and bearer sessions. A session token is a random secret given once; only its SHA-256 is
// stored. Failed sign-ins are counted per e-mail and per remote address over a window; at the limit, sign-in
// answers 429 with Retry-After before any password is checked, so guessing stops even with the right one. Each
// attempt is recorded before its password is checked, so parallel guesses cannot all slip under the limit.
import type { Config } from '../config/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { generateSecret, hashSecret } from '../security/index.ts';
import { findOrganizationById, findUserById, type Organization, type Store, type User } from '../store/index.ts';
import { verifyPassword } from './authPassword.ts';

export interface Session {
  token: string;
  expiresAt: string;
  user: User;
}

type Limits = Pick<
  Config,
  | 'CONDUIT_SESSION_TTL_MIN'
  | 'CONDUIT_SIGN_IN_FAILURES_PER_USER'
  | 'CONDUIT_SIGN_IN_FAILURES_PER_ADDRESS'
  | 'CONDUIT_SIGN_IN_WINDOW_MIN'
>;

const normalEmail = (email: string) => email.trim().toLowerCase();

/** Seconds until the subject has fewer than `limit` rows in the window, or 0 when it has fewer already. */
async function waitFor(store: Store, subject: string, limit: number, windowMs: number, now: number): Promise<number> {
  const since = new Date(now - windowMs).toISOString();
  const rows = await store.db
    .selectFrom('sign_in_failures')
    .select('at')
    .where('subject', '=', subject)
    .where('at', '>', since)
    .orderBy('at', 'desc')
    .limit(limit)
    .execute();
  if (rows.length < limit) return 0;
  // The oldest of the last `limit` failures leaving the window brings the count under the limit.
  const oldest = Date.parse(rows[rows.length - 1]!.at);
  return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
}

/** Records an attempt as a failure up front (undone when it is refused or succeeds); returns the rows' ids. */
async function recordAttempt(store: Store, subjects: string[], now: number, windowMs: number): Promise<number[]> {
  const at = new Date(now).toISOString();
  await store.db
    .deleteFrom('sign_in_failures')
    .where('at', '<', new Date(now - windowMs).toISOString())
    .execute();
  const rows = await store.db
    .insertInto('sign_in_failures')
    .values(subjects.map((subject) => ({ subject, at })))
    .returning('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

async function forgetAttempt(store: Store, ids: number[]): Promise<void> {
  await store.db.deleteFrom('sign_in_failures').where('id', 'in', ids).execute();
}

/** POST /authentication: e-mail and password → a session token, or 401 / 429. */
export async function signIn(
  store: Store,
  config: Limits,
  input: { username: string; password: string; address: string },
): Promise<Result<Session>> {
  const email = normalEmail(input.username);
  const now = Date.now();
  const windowMs = config.CONDUIT_SIGN_IN_WINDOW_MIN * 60_000;
  const userSubject = `user:${email}`;
  const addressSubject = `address:${input.address}`;
  const attempt = await recordAttempt(store, [userSubject, addressSubject], now, windowMs);
  // The rows counted include this attempt's own: `limit` earlier failures (limit + 1 rows) block it.
  const wait = Math.max(
    await waitFor(store, userSubject, config.CONDUIT_SIGN_IN_FAILURES_PER_USER + 1, windowMs, now),
    await waitFor(store, addressSubject, config.CONDUIT_SIGN_IN_FAILURES_PER_ADDRESS + 1, windowMs, now),
  );
  if (wait > 0) {
    await forgetAttempt(store, attempt); // a refused attempt does not extend the lock-out
    return fail(
      appError('RATE_LIMITED', `Too many failed sign-ins; try again in ${wait} s`, {
        headers: { 'Retry-After': String(wait) },
        retryable: true,
      }),
    );
  }
  const candidate = await store.db
    .selectFrom('users')
    .select(['id', 'password_hash'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .where('password_hash', 'is not', null)
    .orderBy('id')
    .executeTakeFirst();
  const matches = await verifyPassword(input.password, candidate?.password_hash ?? undefined);
  const user = matches && candidate ? await findUserById(store.db, Number(candidate.id)) : undefined;
  if (!user) return fail(appError('UNAUTHORIZED', 'Wrong e-mail or password', { field: 'password' }));
  await forgetAttempt(store, attempt);
  await store.db.deleteFrom('sign_in_failures').where('subject', '=', userSubject).execute();
  return ok(await createSession(store, user, config.CONDUIT_SESSION_TTL_MIN));
}

export async function createSession(store: Store, user: User, ttlMinutes: number): Promise<Session> {
  const token = generateSecret();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ttlMinutes * 60_000).toISOString();
  await store.db.deleteFrom('sessions').where('expires_at', '<', now.toISOString()).execute();
  await store.db
    .insertInto('sessions')
    .values({ token_hash: hashSecret(token), user_id: user.id, created_at: now.toISOString(), expires_at: expiresAt })
    .execute();
  return { token, expiresAt, user };
}

/** The user and organization of an unexpired session token, or undefined. */
export async function findSession(
  store: Store,
  token: string,
): Promise<{ user: User; organization: Organization } | undefined> {
  const row = await store.db
    .selectFrom('sessions')
    .select('user_id')
    .where('token_hash', '=', hashSecret(token))
    .where('expires_at', '>', new Date().toISOString())
    .executeTakeFirst();
  if (!row) return undefined;
  const user = await findUserById(store.db, Number(row.user_id));
  const organization = user ? await findOrganizationById(store.db, user.organizationId) : undefined;
  return user && organization ? { user, organization } : undefined;
}

export async function endSession(store: Store, token: string): Promise<void> {
  await store.db.deleteFrom('sessions').where('token_hash', '=', hashSecret(token)).execute();
}

export async function endSessionsOf(store: Store, userId: number): Promise<void> {
  await store.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
