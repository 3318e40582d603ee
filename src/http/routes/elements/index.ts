// The element catalog (Cloud Elements /elements).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { configurationRows, type ElementDefinition, elementObject } from '../../../elements/index.ts';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { AnyObject, errorResponses } from '../../schemas.ts';

const KeyParam = Type.Object({ keyOrId: Type.String({ minLength: 1 }) });

export function elementRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  const find = (keyOrId: string): ElementDefinition => {
    const def = deps.catalog.find(keyOrId);
    if (!def) throw new AppFailure(appError('NOT_FOUND', `Element ${keyOrId} does not exist`));
    return def;
  };
  return async (app) => {
    app.get('/elements', { schema: { response: { 200: Type.Array(AnyObject), ...errorResponses } } }, async () =>
      deps.catalog.list().map((d) => {
        const { resources: _r, models: _m, ...summary } = elementObject(d);
        return summary;
      }),
    );
    app.get(
      '/elements/:keyOrId',
      { schema: { params: KeyParam, response: { 200: AnyObject, ...errorResponses } } },
      async (request) => elementObject(find(request.params.keyOrId)),
    );
    app.get(
      '/elements/:keyOrId/configuration',
      { schema: { params: KeyParam, response: { 200: Type.Array(AnyObject), ...errorResponses } } },
      async (request) => configurationRows(find(request.params.keyOrId)),
    );
    app.get(
      '/elements/:keyOrId/metadata',
      { schema: { params: KeyParam, response: { 200: AnyObject, ...errorResponses } } },
      async (request) => {
        const def = find(request.params.keyOrId);
        return {
          id: def.id,
          key: def.key,
          name: def.name,
          hub: def.hub,
          events: { supported: def.events.methods.length > 0, methods: def.events.methods },
          bulk: { download: def.flags.bulkDownloadEnabled ?? false, upload: def.flags.bulkUploadEnabled ?? false },
          objects: def.resources.map((r) => r.name),
          authentication: def.authentication,
        };
      },
    );
  };
}
