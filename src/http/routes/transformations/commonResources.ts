// v2 views of the same rows: /common-resources (definitions with the transformations using them), PUT
// /transformations, and /vdrs with export/import of a definition plus its organization-level transformations.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import { findOwnInstance, type PlatformDeps } from '../../../platform/index.ts';
import {
  type DefinitionRecord,
  deleteCommonResource,
  findDefinition,
  type Level,
  listDefinitions,
  listTransformations,
  renameCommonResource,
  type TransformationRecord,
} from '../../../store/transformations.ts';
import { systemDefinitions } from '../../../transform/index.ts';
import { forgetTransformations } from '../../../transformations/resolve.ts';
import {
  checkName,
  findElement,
  putDefinition,
  putTransformation,
  removeTransformation,
  type TransformationInput,
  transformationView,
} from '../../../transformations/service.ts';
import { principalOf } from '../../auth.ts';
import { AnyObject, errorResponses } from '../../schemas.ts';
import {
  CommonResourceBody,
  NameParam,
  RenameBody,
  SystemOnlyQuery,
  V2TransformationBody,
  VdrBody,
  VdrExport,
} from './schemas.ts';

const ORG: Level = { level: 'organization' };
const reply200 = { 200: AnyObject, ...errorResponses };

const usage = (t: TransformationRecord) => ({
  level: t.level.level,
  elementKey: t.elementKey,
  vendorName: t.vendorName,
  ...(t.level.level === 'instance' ? { elementInstanceId: t.level.instanceId } : {}),
});

/** One common resource: its fields at every level (associatedLevel/associatedId) and the transformations using it. */
function commonResource(
  organizationId: number,
  name: string,
  defs: DefinitionRecord[],
  transformations: TransformationRecord[],
) {
  const mine = defs.filter((d) => d.name === name);
  const orgDef = mine.find((d) => d.level.level === 'organization');
  return {
    name,
    ...(orgDef?.description !== undefined ? { description: orgDef.description } : {}),
    fields: mine.flatMap((d) =>
      d.fields.map((f) => ({
        ...f,
        associatedLevel: d.level.level,
        associatedId: d.level.level === 'instance' ? d.level.instanceId : organizationId,
      })),
    ),
    transformations: transformations.filter((t) => t.name === name).map(usage),
  };
}

async function commonResources(deps: PlatformDeps, organizationId: number, name?: string) {
  const filter = name === undefined ? {} : { name };
  const [defs, transformations] = await Promise.all([
    listDefinitions(deps.store.db, organizationId, filter),
    listTransformations(deps.store.db, organizationId, filter),
  ]);
  const names = [...new Set(defs.map((d) => d.name))];
  return names.map((n) => commonResource(organizationId, n, defs, transformations));
}

async function oneCommonResource(deps: PlatformDeps, organizationId: number, name: string) {
  const [found] = await commonResources(deps, organizationId, name);
  if (!found) throw new AppFailure(appError('NOT_FOUND', `No common resource named ${name}`));
  return found;
}

const vdrView = (d: DefinitionRecord) => ({
  id: d.id,
  objectName: d.name,
  ...(d.description !== undefined ? { description: d.description } : {}),
  fields: d.fields,
});

/** A VDR as one JSON document: the definition and its organization-level transformations (by element). */
async function exportVdr(deps: PlatformDeps, organizationId: number, name: string) {
  const def = await findDefinition(deps.store.db, organizationId, ORG, name);
  if (!def) throw new AppFailure(appError('NOT_FOUND', `No VDR named ${name}`));
  const transformations = await listTransformations(deps.store.db, organizationId, { level: ORG, name });
  return {
    objectName: def.name,
    ...(def.description !== undefined ? { description: def.description } : {}),
    fields: def.fields,
    transformations: transformations.map((t) => {
      const {
        name: _n,
        level: _l,
        instanceId: _i,
        ...rest
      } = transformationView(t) as ReturnType<typeof transformationView> & { instanceId?: number };
      return rest;
    }),
  };
}

export function commonResourceRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const org = (request: FastifyRequest) => principalOf(request).organizationId;

    app.get(
      '/common-resources',
      { schema: { response: { 200: Type.Array(AnyObject), ...errorResponses } } },
      async (request) => commonResources(deps, org(request)),
    );
    app.get('/common-resources/:name', { schema: { params: NameParam, response: reply200 } }, async (request) =>
      oneCommonResource(deps, org(request), request.params.name),
    );
    app.put(
      '/common-resources/:name',
      { schema: { params: NameParam, body: CommonResourceBody, response: reply200 } },
      async (request) => {
        unwrap(await putDefinition(deps, org(request), ORG, request.params.name, request.body, 'upsert'));
        return oneCommonResource(deps, org(request), request.params.name);
      },
    );
    app.delete('/common-resources/:name', { schema: { params: NameParam, response: reply200 } }, async (request) => {
      const n = await deleteCommonResource(deps.store.db, org(request), request.params.name);
      if (n === 0) throw new AppFailure(appError('NOT_FOUND', `No common resource named ${request.params.name}`));
      forgetTransformations();
      return { name: request.params.name, deleted: true };
    });
    app.patch(
      '/common-resources/:name',
      { schema: { params: NameParam, body: RenameBody, response: reply200 } },
      async (request) => {
        const from = request.params.name;
        const to = unwrap(checkName(request.body.name));
        await oneCommonResource(deps, org(request), from);
        if (to !== from) {
          const taken =
            (await listDefinitions(deps.store.db, org(request), { name: to })).length > 0 ||
            (await listTransformations(deps.store.db, org(request), { name: to })).length > 0;
          if (taken) {
            throw new AppFailure(
              appError('CONFLICT', `A common resource named ${to} already exists`, { field: 'name' }),
            );
          }
          await renameCommonResource(deps.store.db, org(request), from, to);
          forgetTransformations();
        }
        return oneCommonResource(deps, org(request), to);
      },
    );
    app.get(
      '/common-resources/:name/usages',
      { schema: { params: NameParam, response: reply200 } },
      async (request) => {
        const found = await oneCommonResource(deps, org(request), request.params.name);
        // Formulas do not exist yet: nothing can use a common resource but transformations.
        return { name: found.name, formulaUsages: [], transformations: found.transformations };
      },
    );

    app.put('/transformations', { schema: { body: V2TransformationBody, response: reply200 } }, async (request) => {
      const body = request.body;
      const organizationId = org(request);
      let level: Level;
      let elementKey: string;
      if (body.level === 'instance') {
        if (body.elementInstanceId === undefined) {
          throw new AppFailure(
            appError('MISSING_PARAMETER', 'elementInstanceId is required for an instance-level transformation', {
              field: 'elementInstanceId',
            }),
          );
        }
        const instance = unwrap(await findOwnInstance(deps, organizationId, body.elementInstanceId));
        level = { level: 'instance', instanceId: instance.id };
        elementKey = instance.elementKey;
      } else if (body.level === 'organization') {
        level = ORG;
        const keys = deps.catalog.list().map((e) => e.key);
        if (!body.elementKey && keys.length !== 1) {
          throw new AppFailure(
            appError('MISSING_PARAMETER', `elementKey is required (one of ${keys.join(', ')})`, {
              field: 'elementKey',
            }),
          );
        }
        elementKey = body.elementKey ?? (keys[0] as string);
      } else {
        throw new AppFailure(
          appError('VALIDATION_FAILED', `level must be organization or instance, not ${JSON.stringify(body.level)}`, {
            field: 'level',
          }),
        );
      }
      const element = unwrap(findElement(deps, elementKey));
      const { objectName, elementInstanceId: _i, elementKey: _k, ...input } = body;
      return transformationView(
        unwrap(await putTransformation(deps, organizationId, level, element, objectName, input, 'upsert')),
      );
    });

    // ---- VDRs ----
    app.post('/vdrs', { schema: { body: VdrBody, response: reply200 } }, async (request) => {
      const { objectName, description, fields } = request.body;
      unwrap(checkName(objectName, 'objectName'));
      const d = unwrap(
        await putDefinition(
          deps,
          org(request),
          ORG,
          objectName,
          { fields, ...(description !== undefined ? { description } : {}) },
          'create',
        ),
      );
      return vdrView(d);
    });
    app.get(
      '/vdrs',
      { schema: { querystring: SystemOnlyQuery, response: { 200: Type.Array(AnyObject), ...errorResponses } } },
      async (request) => {
        if (request.query.systemOnly) {
          return systemDefinitions.map((d) => ({ objectName: d.name, system: true, fields: d.fields }));
        }
        return (await listDefinitions(deps.store.db, org(request), { level: ORG })).map(vdrView);
      },
    );
    app.put('/vdrs/import', { schema: { body: VdrExport, response: reply200 } }, async (request) => {
      const organizationId = org(request);
      const { objectName, description, fields, transformations } = request.body;
      unwrap(checkName(objectName, 'objectName'));
      const elements = transformations.map((t, i) => {
        const element = deps.catalog.find(t.elementKey);
        if (!element) {
          throw new AppFailure(
            appError('VALIDATION_FAILED', `transformations[${i}].elementKey: no element ${t.elementKey}`, {
              field: `transformations[${i}].elementKey`,
            }),
          );
        }
        return element;
      });
      unwrap(
        await putDefinition(
          deps,
          organizationId,
          ORG,
          objectName,
          { fields, ...(description !== undefined ? { description } : {}) },
          'upsert',
        ),
      );
      for (const [i, t] of transformations.entries()) {
        const { elementKey: _k, ...input } = t;
        const saved = await putTransformation(
          deps,
          organizationId,
          ORG,
          elements[i]!,
          objectName,
          input as TransformationInput,
          'upsert',
        );
        if (!saved.ok) {
          const field = `transformations[${i}].${saved.error.field ?? ''}`;
          throw new AppFailure({ ...saved.error, field, message: `transformations[${i}]: ${saved.error.message}` });
        }
      }
      // An import reproduces the export exactly: organization transformations it does not carry are removed.
      const kept = new Set(elements.map((e) => e.key));
      for (const t of await listTransformations(deps.store.db, organizationId, { level: ORG, name: objectName })) {
        if (!kept.has(t.elementKey))
          unwrap(await removeTransformation(deps, organizationId, ORG, t.elementKey, t.name));
      }
      return exportVdr(deps, organizationId, objectName);
    });
    app.get('/vdrs/:name', { schema: { params: NameParam, response: reply200 } }, async (request) => {
      const d = await findDefinition(deps.store.db, org(request), ORG, request.params.name);
      if (!d) throw new AppFailure(appError('NOT_FOUND', `No VDR named ${request.params.name}`));
      return vdrView(d);
    });
    app.put('/vdrs/:name', { schema: { params: NameParam, body: VdrBody, response: reply200 } }, async (request) => {
      const { objectName, description, fields } = request.body;
      if (objectName !== request.params.name) {
        throw new AppFailure(
          appError(
            'VALIDATION_FAILED',
            `objectName ${objectName} differs from the path's ${request.params.name}; rename with PATCH /common-resources/${request.params.name}`,
            {
              field: 'objectName',
            },
          ),
        );
      }
      return vdrView(
        unwrap(
          await putDefinition(
            deps,
            org(request),
            ORG,
            objectName,
            { fields, ...(description !== undefined ? { description } : {}) },
            'replace',
          ),
        ),
      );
    });
    app.delete('/vdrs/:name', { schema: { params: NameParam, response: reply200 } }, async (request) => {
      const n = await deleteCommonResource(deps.store.db, org(request), request.params.name);
      if (n === 0) throw new AppFailure(appError('NOT_FOUND', `No VDR named ${request.params.name}`));
      forgetTransformations();
      return { name: request.params.name, deleted: true };
    });
    app.get('/vdrs/:name/export', { schema: { params: NameParam, response: reply200 } }, async (request) =>
      exportVdr(deps, org(request), request.params.name),
    );
  };
}
