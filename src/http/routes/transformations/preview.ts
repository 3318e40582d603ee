// POST /instances/{id}/transformations/{name}/preview: maps a given vendor record, or the first N live records,
// through the saved transformation (or an unsaved one in the body) and answers each result with per-field notes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listRecords } from '../../../engine/index.ts';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import { loadInstanceConfig, type PlatformDeps } from '../../../platform/index.ts';
import { findDefinition } from '../../../store/transformations.ts';
import { type CompiledTransformation, compileTransformation, type Transformation } from '../../../transform/index.ts';
import { toDefinition, transformationFor } from '../../../transformations/resolve.ts';
import { checkTransformation, findElement } from '../../../transformations/service.ts';
import { addressedInstance } from '../../auth.ts';
import { AnyObject, errorResponses } from '../../schemas.ts';
import { mappingFailure } from './hub.ts';
import { IdNameParams, PreviewBody } from './schemas.ts';

export function previewRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/instances/:id/transformations/:name/preview',
      {
        config: { auth: 'either' },
        schema: { params: IdNameParams, body: PreviewBody, response: { 200: AnyObject, ...errorResponses } },
      },
      async (request) => {
        const instance = await addressedInstance(deps, request, request.params.id);
        const { name } = request.params;
        const body = request.body;
        let compiled: CompiledTransformation | undefined;
        let adHoc = false;
        if (body.transformation) {
          // An unsaved transformation is checked as if saved at the instance level, then used as it is.
          const level = { level: 'instance' as const, instanceId: instance.id };
          const element = unwrap(findElement(deps, instance.elementKey));
          const candidate = body.transformation;
          unwrap(await checkTransformation(deps, instance.organizationId, level, element, name, candidate));
          const def =
            (await findDefinition(deps.store.db, instance.organizationId, level, name)) ??
            (await findDefinition(deps.store.db, instance.organizationId, { level: 'organization' }, name));
          compiled = await compileTransformation(def && toDefinition(def), {
            ...(candidate as Omit<Transformation, 'level'>),
            level: 'instance',
          });
          adHoc = true;
        } else {
          compiled = await transformationFor(deps, instance.id, name);
        }
        if (!compiled) {
          throw new AppFailure(
            appError('NOT_FOUND', `No transformation named ${name} applies to instance ${instance.id}`),
          );
        }
        try {
          let records: unknown[];
          if (body.record) {
            records = [body.record];
          } else {
            const listed = await listRecords(
              { catalog: deps.catalog, upstream: deps.upstream, store: deps.store, callStartedAt: performance.now() },
              {
                id: instance.id,
                elementKey: instance.elementKey,
                config: await loadInstanceConfig(deps, instance.id),
                traceLoggingEnabled: instance.traceLoggingEnabled,
              },
              compiled.vendorName,
              { pageSize: body.count ?? 3, page: 1 },
            );
            records = unwrap(listed).records;
          }
          const mapped = await compiled.toCommon(records);
          return {
            name,
            vendorName: compiled.vendorName,
            results: records.map((vendor, i) => {
              const m = mapped[i];
              if (!m) return { vendor, common: null, notes: [] };
              if (m.ok) return { vendor, common: m.value, notes: m.notes };
              const failure = mappingFailure(compiled, m.error, body.record ? undefined : i);
              return {
                vendor,
                common: null,
                notes: [],
                error: {
                  code: m.error.code,
                  message: failure.message,
                  ...(m.error.line ? { line: m.error.line } : {}),
                },
              };
            }),
          };
        } finally {
          if (adHoc) compiled.dispose();
        }
      },
    );
  };
}
