// Resolves the Cloud Elements Authorization header to an organization, user and (optionally) instance.
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { hashSecret, parseAuthHeader } from '../security/index.ts';
import {
  findInstanceByTokenHash,
  findOrganizationBySecretHash,
  findUserBySecretHash,
  type InstanceRecord,
  type Organization,
  type Store,
  type User,
} from '../store/index.ts';

export interface Principal {
  organizationId: number;
  user: User;
  organization?: Organization;
  instance?: InstanceRecord;
}

export type Need = 'organization' | 'element' | 'either';

// Short-lived cache of token → instance; writes to an instance clear it (see forgetInstance).
const instanceCache = new Map<string, { instance: InstanceRecord; at: number }>();
const userCache = new Map<string, { user: User; at: number }>();
const CACHE_MS = 2_000;

export function forgetInstance(tokenHash?: string): void {
  if (tokenHash) instanceCache.delete(tokenHash);
  else instanceCache.clear();
}

async function cachedUser(store: Store, hash: string): Promise<User | undefined> {
  const hit = userCache.get(hash);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.user;
  const user = await findUserBySecretHash(store.db, hash);
  if (user) userCache.set(hash, { user, at: Date.now() });
  return user;
}

async function cachedInstance(store: Store, hash: string): Promise<InstanceRecord | undefined> {
  const hit = instanceCache.get(hash);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.instance;
  const instance = await findInstanceByTokenHash(store.db, hash);
  if (instance) instanceCache.set(hash, { instance, at: Date.now() });
  return instance;
}

const unauthorized = (message: string) => fail(appError('UNAUTHORIZED', message));

// Clients repeat the same few secrets on every call; remembering their digests saves two SHA-256 runs per request.
const digests = new Map<string, string>();
const DIGESTS_MAX = 10_000;

function digestOf(secret: string): string {
  let hash = digests.get(secret);
  if (hash === undefined) {
    hash = hashSecret(secret);
    if (digests.size >= DIGESTS_MAX) digests.clear();
    digests.set(secret, hash);
  }
  return hash;
}

const parsedHeaders = new Map<string, ReturnType<typeof parseAuthHeader>>();

/** A client sends the same header on every call: parse it once. */
function parseHeader(header: string | undefined): ReturnType<typeof parseAuthHeader> {
  if (header === undefined) return parseAuthHeader(header);
  let parsed = parsedHeaders.get(header);
  if (!parsed) {
    parsed = parseAuthHeader(header);
    if (parsedHeaders.size >= DIGESTS_MAX) parsedHeaders.clear();
    parsedHeaders.set(header, parsed);
  }
  return parsed;
}

export async function authenticate(store: Store, header: string | undefined, need: Need): Promise<Result<Principal>> {
  const parsed = parseHeader(header);
  if (!parsed.ok) return unauthorized(parsed.message);
  const { user: userSecret, organization: orgSecret, element: token } = parsed.parts;
  if (!userSecret) return unauthorized('Authorization header must include User <secret>');
  if (need === 'organization' && !orgSecret)
    return unauthorized('Authorization header must include Organization <secret>');
  if (need === 'element' && !token) return unauthorized('Authorization header must include Element <token>');
  if (need === 'either' && !orgSecret && !token) {
    return unauthorized('Authorization header must include Organization <secret> or Element <token>');
  }
  const user = await cachedUser(store, digestOf(userSecret));
  if (!user) return unauthorized('Invalid User secret');
  const principal: Principal = { organizationId: user.organizationId, user };
  if (orgSecret) {
    const org = await findOrganizationBySecretHash(store.db, hashSecret(orgSecret));
    if (!org || org.id !== user.organizationId) return unauthorized('Invalid Organization secret for this User');
    principal.organization = org;
  }
  if (token) {
    const instance = await cachedInstance(store, digestOf(token));
    if (!instance || instance.organizationId !== user.organizationId) return unauthorized('Invalid Element token');
    principal.instance = instance;
  }
  return ok(principal);
}
