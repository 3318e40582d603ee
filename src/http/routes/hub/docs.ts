// OpenAPI 3 documents: GET /elements/{keyOrId}/docs, /instances/{id}/docs and /instances/docs (Element token).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { API_PREFIX } from '../../app.ts';
import { addressedInstance } from '../../auth.ts';
import { AnyObject, errorResponses, IdParam } from '../../schemas.ts';
import { elementOpenApi } from './openapi.ts';

function serverUrl(deps: PlatformDeps, request: FastifyRequest): string {
  const base = deps.config.CONDUIT_PUBLIC_URL ?? `${request.protocol}://${request.host}`;
  return `${base.replace(/\/+$/, '')}${API_PREFIX}`;
}

export function docsRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const docFor = (request: FastifyRequest, key: string) => {
      const def = deps.catalog.find(key);
      if (!def) throw new AppFailure(appError('NOT_FOUND', `Element ${key} does not exist`));
      return elementOpenApi(def, serverUrl(deps, request));
    };
    app.get(
      '/elements/:keyOrId/docs',
      {
        config: { auth: 'either' },
        schema: { params: Type.Object({ keyOrId: Type.String() }), response: { 200: AnyObject, ...errorResponses } },
      },
      async (request) => docFor(request, request.params.keyOrId),
    );
    app.get(
      '/instances/:id/docs',
      { config: { auth: 'either' }, schema: { params: IdParam, response: { 200: AnyObject, ...errorResponses } } },
      async (request) => docFor(request, (await addressedInstance(deps, request, request.params.id)).elementKey),
    );
    app.get(
      '/instances/docs',
      { config: { auth: 'element' }, schema: { response: { 200: AnyObject, ...errorResponses } } },
      async (request) => docFor(request, (await addressedInstance(deps, request)).elementKey),
    );
  };
}
