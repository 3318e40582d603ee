// API docs: GET /elements/{keyOrId}/docs, /instances/{id}/docs and /instances/docs (Element token). Swagger 2.0 by
// default, as Cloud Elements answered (generators built on it keep working); `?format=openapi3` for OpenAPI 3.1.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import type { InstanceRecord } from '../../../store/index.ts';
import { commonResourceDocs } from '../../../transformations/docs.ts';
import { API_PREFIX } from '../../app.ts';
import { addressedInstance } from '../../auth.ts';
import { AnyObject, errorResponses, IdParam } from '../../schemas.ts';
import { type DocsExtra, elementOpenApi } from './openapi.ts';
import { toSwagger2 } from './swagger2.ts';

function serverUrl(deps: PlatformDeps, request: FastifyRequest): string {
  const base = deps.config.CONDUIT_PUBLIC_URL ?? `${request.protocol}://${request.host}`;
  return `${base.replace(/\/+$/, '')}${API_PREFIX}`;
}

/**
 * Paths and schemas other modules add to an element's docs (e.g. common resources), in OpenAPI 3 style; they
 * appear in both formats. `instance` is absent for the element-level docs.
 */
async function docsExtras(deps: PlatformDeps, instance?: InstanceRecord): Promise<DocsExtra[]> {
  const def = instance && deps.catalog.find(instance.elementKey);
  return instance && def ? [await commonResourceDocs(deps, def, instance)] : [];
}

const DocsQuery = Type.Object({
  format: Type.Optional(
    Type.Union([Type.Literal('swagger2'), Type.Literal('openapi3')], {
      description: 'swagger2 (default, Swagger 2.0) or openapi3 (OpenAPI 3.1)',
    }),
  ),
});

export function docsRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const docFor = async (
      request: FastifyRequest & { query: { format?: 'swagger2' | 'openapi3' } },
      key: string,
      instance?: InstanceRecord,
    ) => {
      const def = deps.catalog.find(key);
      if (!def) throw new AppFailure(appError('NOT_FOUND', `Element ${key} does not exist`));
      const doc = elementOpenApi(def, serverUrl(deps, request), await docsExtras(deps, instance));
      return request.query.format === 'openapi3' ? doc : toSwagger2(doc);
    };
    app.get(
      '/elements/:keyOrId/docs',
      {
        config: { auth: 'either' },
        schema: {
          params: Type.Object({ keyOrId: Type.String() }),
          querystring: DocsQuery,
          response: { 200: AnyObject, ...errorResponses },
        },
      },
      async (request) => docFor(request, request.params.keyOrId),
    );
    app.get(
      '/instances/:id/docs',
      {
        config: { auth: 'either' },
        schema: { params: IdParam, querystring: DocsQuery, response: { 200: AnyObject, ...errorResponses } },
      },
      async (request) => {
        const instance = await addressedInstance(deps, request, request.params.id);
        return docFor(request, instance.elementKey, instance);
      },
    );
    app.get(
      '/instances/docs',
      {
        config: { auth: 'element' },
        schema: { querystring: DocsQuery, response: { 200: AnyObject, ...errorResponses } },
      },
      async (request) => {
        const instance = await addressedInstance(deps, request);
        return docFor(request, instance.elementKey, instance);
      },
    );
  };
}
