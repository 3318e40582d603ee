// The transformation API: definitions and transformations (v1), common resources, PUT /transformations and
// VDRs (v2), and the preview.
import type { FastifyInstance } from 'fastify';
import type { PlatformDeps } from '../../../platform/index.ts';
import { commonResourceRoutes } from './commonResources.ts';
import { definitionRoutes } from './definitions.ts';
import { previewRoutes } from './preview.ts';

export { transformedHubCalls } from './hub.ts';

export function transformationRoutes(deps: PlatformDeps) {
  return async (app: FastifyInstance) => {
    for (const plugin of [definitionRoutes, commonResourceRoutes, previewRoutes]) await app.register(plugin(deps));
  };
}
