// Bulk routes under /hubs/{hub}/bulk/…: registered as static and parametric paths, so they take precedence over
// the hub's generic /hubs/{hub}/* routes. Their own body parsers live in this scope only: multipart uploads,
// form fields, and a JSON parser that accepts an empty body (Cloud Elements clients POST /bulk/query body-less).
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { PlatformDeps } from '../../../platform/index.ts';
import { downloadRoute } from './download.ts';
import { errorsRoute } from './errors.ts';
import { jobsRoutes } from './jobs.ts';
import { submitQueryRoute } from './submitQuery.ts';
import { uploadRoute } from './upload.ts';

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  return JSON.parse(text);
}

export function bulkRoutes(deps: PlatformDeps) {
  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      await scope.register(multipart);
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
        try {
          done(null, parseJsonBody(body as string));
        } catch (e) {
          done(e as Error, undefined);
        }
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
