// The CRM hub's HTTP surface under /elements/api-v2: /hubs/{hub}/… plus docs and trace logs.
import type { FastifyInstance } from 'fastify';
import type { PlatformDeps } from '../../../platform/index.ts';
import { transformedHubCalls } from '../transformations/hub.ts';
import { createRecordRoute } from './createRecord.ts';
import { deleteRecordRoute } from './deleteRecord.ts';
import { docsRoutes } from './docs.ts';
import { logsRoutes } from './logs.ts';
import { objectsRoutes } from './objects.ts';
import { readRecordsRoute } from './readRecords.ts';
import { replaceRecordRoute } from './replaceRecord.ts';
import { updateRecordRoute } from './updateRecord.ts';

export { forgetHubInstance } from './instance.ts';
export { elementOpenApi } from './openapi.ts';

export function hubRoutes(deps: PlatformDeps) {
  return async (app: FastifyInstance) => {
    // Common resources (and vendor objects with a transformation of their own name) answer through the mapping.
    app.addHook('preHandler', transformedHubCalls(deps));
    for (const plugin of [
      objectsRoutes,
      readRecordsRoute,
      createRecordRoute,
      replaceRecordRoute,
      updateRecordRoute,
      deleteRecordRoute,
      docsRoutes,
      logsRoutes,
    ]) {
      await app.register(plugin(deps));
    }
  };
}
