// Secrets a signed-in user can get back, secret rotation and passwords (conduit org|user rotate-secret,
// conduit user set-password). Secrets are kept twice: SHA-256 to authenticate by, sealed to give back.
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { generateSecret, hashSecret, type SecretBox } from '../security/index.ts';
import { findOrganizationById, findUserById, type Organization, type Store, type User } from '../store/index.ts';
import { forgetUsers } from './authenticate.ts';
import { hashPassword, passwordProblem } from './authPassword.ts';
import { endSessionsOf } from './sessions.ts';

const rotateHint = (what: 'org' | 'user', id: number) =>
  what === 'org' ? `npx conduit org rotate-secret --org ${id}` : `npx conduit user rotate-secret --user ${id}`;

/** GET /authentication/secrets. Rows made before secrets were sealed cannot be given back, only rotated. */
export async function secretsOf(
  store: Store,
  box: SecretBox,
  user: User,
): Promise<Result<{ userSecret: string; organizationSecret: string }>> {
  const u = await store.db.selectFrom('users').select('secret_sealed').where('id', '=', user.id).executeTakeFirst();
  const o = await store.db
    .selectFrom('organizations')
    .select('secret_sealed')
    .where('id', '=', user.organizationId)
    .executeTakeFirst();
  if (!u?.secret_sealed) {
    return fail(
      appError(
        'CONFLICT',
        `User ${user.id}'s secret predates recoverable secrets; issue a new one: ${rotateHint('user', user.id)}`,
      ),
    );
  }
  if (!o?.secret_sealed) {
    return fail(
      appError(
        'CONFLICT',
        `Organization ${user.organizationId}'s secret predates recoverable secrets; issue a new one: ${rotateHint('org', user.organizationId)}`,
      ),
    );
  }
  return ok({ userSecret: box.decrypt(u.secret_sealed), organizationSecret: box.decrypt(o.secret_sealed) });
}

/** A new organization secret; the old one stops working at once. */
export async function rotateOrganizationSecret(
  store: Store,
  box: SecretBox,
  organizationId: number,
): Promise<Result<{ organization: Organization; organizationSecret: string }>> {
  const organization = await findOrganizationById(store.db, organizationId);
  if (!organization) return fail(appError('NOT_FOUND', `Organization ${organizationId} does not exist`));
  const organizationSecret = generateSecret();
  await store.db
    .updateTable('organizations')
    .set({ secret_hash: hashSecret(organizationSecret), secret_sealed: box.encrypt(organizationSecret) })
    .where('id', '=', organizationId)
    .execute();
  return ok({ organization, organizationSecret });
}

/** A new user secret; the old one stops working at once (this process's principal cache is cleared too). */
export async function rotateUserSecret(
  store: Store,
  box: SecretBox,
  userId: number,
): Promise<Result<{ user: User; userSecret: string }>> {
  const user = await findUserById(store.db, userId);
  if (!user) return fail(appError('NOT_FOUND', `User ${userId} does not exist`));
  const userSecret = generateSecret();
  await store.db
    .updateTable('users')
    .set({ secret_hash: hashSecret(userSecret), secret_sealed: box.encrypt(userSecret) })
    .where('id', '=', userId)
    .execute();
  forgetUsers();
  return ok({ user, userSecret });
}

/** Sets (or replaces) the password of the user with this e-mail; ends the user's sessions. */
export async function setPassword(
  store: Store,
  input: { email: string; password: string; organizationId?: number },
): Promise<Result<User>> {
  const problem = passwordProblem(input.password);
  if (problem) return fail(appError('INVALID_PARAMETER', problem, { field: 'password' }));
  const email = input.email.trim().toLowerCase();
  let q = store.db
    .selectFrom('users')
    .select(['id', 'organization_id', 'password_hash'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email));
  if (input.organizationId !== undefined) q = q.where('organization_id', '=', input.organizationId);
  const rows = await q.orderBy('id').execute();
  if (rows.length === 0)
    return fail(appError('NOT_FOUND', `No user has the e-mail ${input.email}`, { field: 'email' }));
  if (rows.length > 1) {
    return fail(
      appError(
        'CONFLICT',
        `Several users have the e-mail ${input.email} (organizations ${rows.map((r) => r.organization_id).join(', ')}); name one with --org <id>`,
        { field: 'email' },
      ),
    );
  }
  const target = rows[0]!;
  // Sign-in finds the user by e-mail alone, so only one user per e-mail may have a password.
  const other = await store.db
    .selectFrom('users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .where('password_hash', 'is not', null)
    .where('id', '!=', target.id)
    .executeTakeFirst();
  if (other) {
    return fail(
      appError('CONFLICT', `User ${other.id} with the e-mail ${input.email} signs in by password already`, {
        field: 'email',
      }),
    );
  }
  await store.db
    .updateTable('users')
    .set({ password_hash: await hashPassword(input.password) })
    .where('id', '=', target.id)
    .execute();
  await endSessionsOf(store, Number(target.id));
  return ok((await findUserById(store.db, Number(target.id)))!);
}

/** GET /users/me: the user without secrets or the password hash. */
export async function userView(store: Store, user: User) {
  const row = await store.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirst();
  return {
    id: user.id,
    emailAddress: user.email,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    organizationId: user.organizationId,
    accountId: user.organizationId,
    createdDate: user.createdAt,
    active: true,
    passwordSignIn: Boolean(row?.password_hash),
  };
}

/** GET /organizations/me. */
export function organizationView(organization: Organization) {
  return { id: organization.id, name: organization.name, createdDate: organization.createdAt, active: true };
}
