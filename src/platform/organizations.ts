import { generateSecret, hashSecret, type SecretBox } from '../security/index.ts';
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

/**
 * Creates an organization with its first user. With the secret box, the secrets are also kept sealed so that a
 * user who signs in by password can get them back (GET /authentication/secrets); otherwise only their hashes.
 */
export async function createOrganization(
  store: Store,
  input: { name: string; email?: string; firstName?: string; lastName?: string },
  box?: SecretBox,
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
    if (box) {
      await trx
        .updateTable('organizations')
        .set({ secret_sealed: box.encrypt(organizationSecret) })
        .where('id', '=', org.id)
        .execute();
      await trx
        .updateTable('users')
        .set({ secret_sealed: box.encrypt(userSecret) })
        .where('id', '=', user.id)
        .execute();
    }
    return { organizationId: org.id, organizationSecret, userId: user.id, userSecret };
  });
}

export async function createUser(
  store: Store,
  input: { organizationId: number; email?: string; firstName?: string; lastName?: string },
  box?: SecretBox,
): Promise<{ user: User; userSecret: string }> {
  const userSecret = generateSecret();
  const user = await insertUser(store.db, {
    organizationId: input.organizationId,
    email: input.email ?? `user-${Date.now()}@conduit.local`,
    firstName: input.firstName ?? 'User',
    lastName: input.lastName ?? '',
    secretHash: hashSecret(userSecret),
  });
  if (box)
    await store.db
      .updateTable('users')
      .set({ secret_sealed: box.encrypt(userSecret) })
      .where('id', '=', user.id)
      .execute();
  return { user, userSecret };
}

export { countOrganizations, listOrganizations, type Organization };

/** On an empty store, creates the default organization and returns its secrets (printed once by `serve`). */
export async function bootstrapIfEmpty(store: Store, box?: SecretBox): Promise<CreatedOrganization | undefined> {
  if ((await countOrganizations(store.db)) > 0) return undefined;
  return createOrganization(store, { name: 'Default', email: 'admin@conduit.local' }, box);
}
