import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

export interface Organization {
  id: number;
  name: string;
  createdAt: string;
}

export interface User {
  id: number;
  organizationId: number;
  email: string;
  firstName: string;
  lastName: string;
  createdAt: string;
}

type Db = Kysely<Tables>;

export async function insertOrganization(db: Db, row: { name: string; secretHash: string }): Promise<Organization> {
  const createdAt = new Date().toISOString();
  const inserted = await db
    .insertInto('organizations')
    .values({ name: row.name, secret_hash: row.secretHash, created_at: createdAt })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return { id: Number(inserted.id), name: row.name, createdAt };
}

export async function listOrganizations(db: Db): Promise<Organization[]> {
  const rows = await db.selectFrom('organizations').select(['id', 'name', 'created_at']).orderBy('id').execute();
  return rows.map((r) => ({ id: Number(r.id), name: r.name, createdAt: r.created_at }));
}

export async function countOrganizations(db: Db): Promise<number> {
  const row = await db
    .selectFrom('organizations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findOrganizationBySecretHash(db: Db, secretHash: string): Promise<Organization | undefined> {
  const r = await db
    .selectFrom('organizations')
    .select(['id', 'name', 'created_at'])
    .where('secret_hash', '=', secretHash)
    .executeTakeFirst();
  return r ? { id: Number(r.id), name: r.name, createdAt: r.created_at } : undefined;
}

export async function findOrganizationById(db: Db, id: number): Promise<Organization | undefined> {
  const r = await db
    .selectFrom('organizations')
    .select(['id', 'name', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? { id: Number(r.id), name: r.name, createdAt: r.created_at } : undefined;
}

function toUser(r: {
  id: number;
  organization_id: number;
  email: string;
  first_name: string;
  last_name: string;
  created_at: string;
}): User {
  return {
    id: Number(r.id),
    organizationId: Number(r.organization_id),
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    createdAt: r.created_at,
  };
}

const userColumns = ['id', 'organization_id', 'email', 'first_name', 'last_name', 'created_at'] as const;

export async function insertUser(
  db: Db,
  row: { organizationId: number; email: string; firstName: string; lastName: string; secretHash: string },
): Promise<User> {
  const createdAt = new Date().toISOString();
  const inserted = await db
    .insertInto('users')
    .values({
      organization_id: row.organizationId,
      email: row.email,
      first_name: row.firstName,
      last_name: row.lastName,
      secret_hash: row.secretHash,
      created_at: createdAt,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return {
    id: Number(inserted.id),
    organizationId: row.organizationId,
    email: row.email,
    firstName: row.firstName,
    lastName: row.lastName,
    createdAt,
  };
}

export async function findUserBySecretHash(db: Db, secretHash: string): Promise<User | undefined> {
  const r = await db.selectFrom('users').select(userColumns).where('secret_hash', '=', secretHash).executeTakeFirst();
  return r ? toUser(r) : undefined;
}

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  const r = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
  return r ? toUser(r) : undefined;
}

export async function listUsers(db: Db, organizationId: number): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .select(userColumns)
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  return rows.map(toUser);
}
