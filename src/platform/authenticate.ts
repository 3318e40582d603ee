// Resolves the Cloud Elements Authorization header to an organization, user and (optionally) instance.
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { type AuthParts, hashSecret, parseAuthHeader } from '../security/index.ts';
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

/** 'session': a Bearer session token (sign-in by password) or User + Organization (see src/http/auth.ts). */
export type Need = 'organization' | 'element' | 'either' | 'session';

// Short-lived cache of token → instance; writes to an instance clear it (see forgetInstance).
const instanceCache = new Map<string, { instance: InstanceRecord; at: number }>();
const userCache = new Map<string, { user: User; at: number }>();
const CACHE_MS = 2_000;

export function forgetInstance(tokenHash?: string): void {
  if (tokenHash) instanceCache.delete(tokenHash);
  else instanceCache.clear();
}

/** After a user secret rotation: the old secret must stop working at once, not when its cache entry ages out. */
export function forgetUsers(): void {
  userCache.clear();
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

/** An Authorization header read once: the SHA-256 digest of each part it has (what the store is searched by). */
type ReadHeader = { ok: false; message: string } | { ok: true; digests: { [K in keyof AuthParts]?: string } };

// Clients send the same header on every call: parsing and hashing it once saves two SHA-256 runs per request.
const readHeaders = new Map<string, ReadHeader>();
const READ_HEADERS_MAX = 10_000;

function readHeader(header: string | undefined): ReadHeader {
  let read = header === undefined ? undefined : readHeaders.get(header);
  if (!read) {
    const parsed = parseAuthHeader(header);
    const digest = (secret: string | undefined) => (secret === undefined ? undefined : hashSecret(secret));
    read = !parsed.ok
      ? parsed
      : {
          ok: true,
          digests: {
            user: digest(parsed.parts.user),
            organization: digest(parsed.parts.organization),
            element: digest(parsed.parts.element),
          },
        };
    if (header !== undefined) {
      if (readHeaders.size >= READ_HEADERS_MAX) readHeaders.clear();
      readHeaders.set(header, read);
    }
  }
  return read;
}

export async function authenticate(store: Store, header: string | undefined, need: Need): Promise<Result<Principal>> {
  const read = readHeader(header);
  if (!read.ok) return unauthorized(read.message);
  const { user: userDigest, organization: orgDigest, element: tokenDigest } = read.digests;
  if (!userDigest) return unauthorized('Authorization header must include User <secret>');
  if ((need === 'organization' || need === 'session') && !orgDigest)
    return unauthorized('Authorization header must include Organization <secret>');
  if (need === 'element' && !tokenDigest) return unauthorized('Authorization header must include Element <token>');
  if (need === 'either' && !orgDigest && !tokenDigest) {
    return unauthorized('Authorization header must include Organization <secret> or Element <token>');
  }
  // Platform calls (an Organization part) read the user afresh, so a rotated user secret fails there at once even
  // when another process rotated it; hub calls keep the short cache (their hot path).
  const user = orgDigest ? await findUserBySecretHash(store.db, userDigest) : await cachedUser(store, userDigest);
  if (!user) return unauthorized('Invalid User secret');
  const principal: Principal = { organizationId: user.organizationId, user };
  if (orgDigest) {
    const org = await findOrganizationBySecretHash(store.db, orgDigest);
    if (!org || org.id !== user.organizationId) return unauthorized('Invalid Organization secret for this User');
    principal.organization = org;
  }
  if (tokenDigest) {
    const instance = await cachedInstance(store, tokenDigest);
    if (!instance || instance.organizationId !== user.organizationId) return unauthorized('Invalid Element token');
    principal.instance = instance;
  }
  return ok(principal);
}
