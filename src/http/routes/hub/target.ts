import type { FastifyRequest } from 'fastify';
import { type Addressed, resolveHubTarget } from '../../../engine/index.ts';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import type { HubCall } from './instance.ts';

/** The hub target that the path after `/hubs/{hub}/` addresses in the call's element. */
export function addressedTarget(deps: PlatformDeps, call: HubCall, wildcard: string): Addressed {
  const def = deps.catalog.find(call.instance.elementKey);
  if (!def) throw new AppFailure(appError('NOT_FOUND', `Element ${call.instance.elementKey} does not exist`));
  return unwrap(resolveHubTarget(def, wildcard));
}

/** The addressed hub target; writes need a named resource (pass-through is read-only). */
export function writeTarget(deps: PlatformDeps, call: HubCall, request: FastifyRequest, needsId: boolean): Addressed {
  const wildcard = (request.params as { '*': string })['*'];
  const target = addressedTarget(deps, call, wildcard);
  if (target.endpoint.name === 'pass-through' || target.count) {
    throw new AppFailure(
      appError(
        'METHOD_NOT_ALLOWED',
        `This API is not currently supported for this element (${request.method} /${wildcard})`,
      ),
    );
  }
  if (needsId && target.id === undefined && !target.endpoint.methods.has('attach')) {
    throw new AppFailure(appError('METHOD_NOT_ALLOWED', `${request.method} needs a record id: /${wildcard}/{id}`));
  }
  if (!needsId && target.id !== undefined) {
    throw new AppFailure(appError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on a single record`));
  }
  return target;
}
