import type { FastifyRequest } from 'fastify';
import { AppFailure, appError, unwrap } from '../errors/index.ts';
import { authenticate, findOwnInstance, type Need, type PlatformDeps, type Principal } from '../platform/index.ts';
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
  request.principal = unwrap(await authenticate(deps.store, request.headers.authorization, need));
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
