import { generateSecret, hashSecret } from '../security/index.ts';
import {
  countOrganizations,
  insertOrganization,
  insertUser,
  listOrganizations,
  type Organization,
  type Store,
  type User,
} from '../store/index.ts';

export interface CreatedOrganization {
  organizationId: number;
  organizationSecret: string;
  userId: number;
  userSecret: string;
}

/** Creates an organization with its first user; the secrets exist only in this return value. */
export async function createOrganization(
  store: Store,
  input: { name: string; email?: string; firstName?: string; lastName?: string },
): Promise<CreatedOrganization> {
  const organizationSecret = generateSecret();
  const userSecret = generateSecret();
  return store.db.transaction().execute(async (trx) => {
    const scoped = { ...store, db: trx } as unknown as Store;
    const org = await insertOrganization(scoped.db, { name: input.name, secretHash: hashSecret(organizationSecret) });
    const user = await insertUser(scoped.db, {
      organizationId: org.id,
      email: input.email ?? `admin@${input.name.toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'org'}.local`,
      firstName: input.firstName ?? 'Admin',
      lastName: input.lastName ?? input.name,
      secretHash: hashSecret(userSecret),
    });
    return { organizationId: org.id, organizationSecret, userId: user.id, userSecret };
  });
}

export async function createUser(
  store: Store,
  input: { organizationId: number; email?: string; firstName?: string; lastName?: string },
): Promise<{ user: User; userSecret: string }> {
  const userSecret = generateSecret();
  const user = await insertUser(store.db, {
    organizationId: input.organizationId,
    email: input.email ?? `user-${Date.now()}@conduit.local`,
    firstName: input.firstName ?? 'User',
    lastName: input.lastName ?? '',
    secretHash: hashSecret(userSecret),
  });
  return { user, userSecret };
}

export { countOrganizations, listOrganizations, type Organization };

/** On an empty store, creates the default organization and returns its secrets (printed once by `serve`). */
export async function bootstrapIfEmpty(store: Store): Promise<CreatedOrganization | undefined> {
  if ((await countOrganizations(store.db)) > 0) return undefined;
  return createOrganization(store, { name: 'Default', email: 'admin@conduit.local' });
}
