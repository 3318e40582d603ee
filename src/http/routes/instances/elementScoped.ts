// Element-scoped instance routes (Cloud Elements' /elements/{keyOrId}/instances/{id}): the /instances/{id}
// operations on an instance of that element; an instance of another element is 404, as if it did not exist.
//
//   GET|PUT|PATCH|DELETE /elements/{keyOrId}/instances/{id}
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import type { InstanceRecord } from '../../../store/index.ts';
import { addressedInstance } from '../../auth.ts';
import { AnyObject, errorResponses, InstanceBody, InstanceObject, MAX_ID } from '../../schemas.ts';
import { instanceOperations } from './index.ts';

const Params = Type.Object({
  keyOrId: Type.String({ minLength: 1, maxLength: 200 }),
  id: Type.Integer({ minimum: 1, maximum: MAX_ID }),
});

async function instanceOfElement(
  deps: PlatformDeps,
  request: FastifyRequest,
  params: { keyOrId: string; id: number },
): Promise<InstanceRecord> {
  const def = deps.catalog.find(params.keyOrId);
  if (!def)
    throw new AppFailure(appError('NOT_FOUND', `Element ${params.keyOrId} does not exist`, { field: 'keyOrId' }));
  const record = await addressedInstance(deps, request, params.id);
  if (record.elementKey !== def.key) {
    throw new AppFailure(appError('NOT_FOUND', `Instance ${params.id} is not an instance of element ${def.key}`));
  }
  return record;
}

export function elementScopedInstanceRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const path = '/elements/:keyOrId/instances/:id';
    const one = { params: Params, response: { 200: InstanceObject, ...errorResponses } };

    app.get(path, { schema: one }, async (request) =>
      instanceOperations.read(deps, await instanceOfElement(deps, request, request.params)),
    );
    app.put(path, { schema: { ...one, body: InstanceBody } }, async (request) =>
      instanceOperations.replace(deps, await instanceOfElement(deps, request, request.params), request.body),
    );
    app.patch(path, { schema: { ...one, body: InstanceBody } }, async (request) =>
      instanceOperations.patch(deps, await instanceOfElement(deps, request, request.params), request.body),
    );
    app.delete(path, { schema: { params: Params, response: { 200: AnyObject, ...errorResponses } } }, async (request) =>
      instanceOperations.remove(deps, await instanceOfElement(deps, request, request.params)),
    );
  };
}
