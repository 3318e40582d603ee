import type { FastifyRequest } from 'fastify';
import { AppFailure, appError, unwrap } from '../errors/index.ts';
import {
  authenticate,
  findOwnInstance,
  findSession,
  type Need,
  type PlatformDeps,
  type Principal,
} from '../platform/index.ts';
import type { InstanceRecord } from '../store/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    auth?: Need | 'none';
  }
}

export async function resolvePrincipal(deps: PlatformDeps, request: FastifyRequest): Promise<void> {
  const need = request.routeOptions.config.auth ?? 'organization';
  if (need === 'none') return;
  const token = bearerToken(request.headers.authorization);
  if (token !== undefined) {
    // A session from sign-in by password reaches only the routes that recover the secrets (docs/platform-api.md).
    if (need !== 'session') {
      throw new AppFailure(
        appError(
          'UNAUTHORIZED',
          'A Bearer session token is accepted only by /authentication/secrets, /users/me and /organizations/me; other calls take User <secret>, Organization <secret>',
        ),
      );
    }
    const session = await findSession(deps.store, token);
    if (!session)
      throw new AppFailure(appError('UNAUTHORIZED', 'The session token is unknown or has expired; sign in again'));
    request.principal = {
      organizationId: session.user.organizationId,
      user: session.user,
      organization: session.organization,
    };
    return;
  }
  request.principal = unwrap(await authenticate(deps.store, request.headers.authorization, need));
}

/** The token of `Authorization: Bearer <token>`, or undefined for any other header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppFailure(appError('UNAUTHORIZED', 'Authorization is required'));
  return request.principal;
}

/** The instance a platform call addresses: by id in the path, or "this instance" from the Element token. */
export async function addressedInstance(
  deps: PlatformDeps,
  request: FastifyRequest,
  id?: number,
): Promise<InstanceRecord> {
  const principal = principalOf(request);
  if (id === undefined) {
    if (!principal.instance) {
      throw new AppFailure(
        appError('BAD_REQUEST', 'Address the instance by id, or authenticate with its Element token'),
      );
    }
    return principal.instance;
  }
  return unwrap(await findOwnInstance(deps, principal.organizationId, id));
}
