// Bulk routes under /hubs/{hub}/bulk/…: registered as static and parametric paths, so they take precedence over
// the hub's generic /hubs/{hub}/* routes. Their own body parsers live in this scope only (multipart uploads
// and form fields); JSON keeps the app's parser, and an empty body labelled JSON counts as no body (Cloud Elements
// clients POST /bulk/query body-less).
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { PlatformDeps } from '../../../platform/index.ts';
import { downloadRoute } from './download.ts';
import { errorsRoute } from './errors.ts';
import { jobsRoutes } from './jobs.ts';
import { submitQueryRoute } from './submitQuery.ts';
import { uploadRoute } from './upload.ts';

export function bulkRoutes(deps: PlatformDeps) {
  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      await scope.register(multipart);
      // A body-less POST labelled application/json is a POST without a body, not malformed JSON.
      scope.addHook('onRequest', (request, _reply, done) => {
        if (request.headers['content-length'] === '0' && request.headers['content-type'] !== undefined) {
          delete request.headers['content-type'];
        }
        done();
      });
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
        done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
      for (const plugin of [submitQueryRoute, jobsRoutes, errorsRoute, downloadRoute, uploadRoute]) {
        await scope.register(plugin(deps));
      }
    });
  };
}
