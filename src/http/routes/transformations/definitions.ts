// Object definitions (the common model) and transformations (its mapping onto an element's object), at the
// organization and instance levels: /organizations/objects/…, /organizations/elements/{keyOrId}/transformations/…,
// /instances/{id}/objects/…, /instances/{id}/transformations/… (and /instances/objects/… with the Element token).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import type { InstanceRecord } from '../../../store/index.ts';
import {
  findDefinition,
  findTransformation,
  type Level,
  listDefinitions,
  listTransformations,
} from '../../../store/transformations.ts';
import { systemDefinitions } from '../../../transform/index.ts';
import { effectiveTransformations } from '../../../transformations/resolve.ts';
import {
  definitionView,
  findElement,
  putDefinition,
  putTransformation,
  removeDefinition,
  removeTransformation,
  transformationView,
} from '../../../transformations/service.ts';
import { addressedInstance, principalOf } from '../../auth.ts';
import { AnyObject, errorResponses, IdParam } from '../../schemas.ts';
import {
  DefinitionBody,
  DefinitionsBody,
  ElementNameParams,
  ElementParam,
  IdNameParams,
  NameParam,
  SystemOnlyQuery,
  TransformationBody,
} from './schemas.ts';

const ORG: Level = { level: 'organization' };
const instanceLevel = (i: InstanceRecord): Level => ({ level: 'instance', instanceId: i.id });
const reply200 = { 200: AnyObject, ...errorResponses };

/** Definitions as the `{ "<name>": {fields, …} }` map Cloud Elements answered. */
function definitionMap(list: ReturnType<typeof definitionView>[]) {
  return Object.fromEntries(list.map(({ name, ...rest }) => [name, rest]));
}

/** What applies to an instance, merged, each field saying the level it comes from. */
async function appliedView(deps: PlatformDeps, instance: InstanceRecord) {
  const out: Record<string, unknown> = {};
  for (const [name, e] of await effectiveTransformations(deps, instance)) {
    const instFields = (e.instance?.spec.fields ?? []) as Array<{ path: string }>;
    const instPaths = new Set(instFields.map((f) => f.path));
    // Merged when the org fields not overridden are still there (see mergeTransformations for the rules).
    const merged =
      e.instance !== undefined && e.organization !== undefined && e.merged.fields.length > instFields.length;
    const level = merged ? 'merged' : e.instance ? 'instance' : 'organization';
    out[name] = {
      vendorName: e.vendorName,
      level,
      ...(e.definitionLevel ? { definitionLevel: e.definitionLevel } : {}),
      fields: e.merged.fields.map((f) => ({
        ...f,
        level: level === 'organization' || (level === 'merged' && !instPaths.has(f.path)) ? 'organization' : 'instance',
      })),
      configuration: e.merged.configuration ?? [],
      ...(e.merged.script
        ? { script: e.merged.script, scriptLevel: e.instance?.spec.script ? 'instance' : 'organization' }
        : {}),
    };
  }
  return out;
}

export function definitionRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const org = (request: FastifyRequest) => principalOf(request).organizationId;

    // ---- organization definitions ----
    app.post(
      '/organizations/objects/definitions',
      { schema: { body: DefinitionsBody, response: reply200 } },
      async (request) => {
        const entries = Object.entries(request.body);
        if (entries.length === 0) {
          throw new AppFailure(
            appError('VALIDATION_FAILED', 'body names no definition: { "<name>": { "fields": [...] } }', {
              field: 'body',
            }),
          );
        }
        const saved = [];
        for (const [name, def] of entries) {
          saved.push(definitionView(unwrap(await putDefinition(deps, org(request), ORG, name, def, 'create', name))));
        }
        return definitionMap(saved);
      },
    );
    app.get(
      '/organizations/objects/definitions',
      { schema: { querystring: SystemOnlyQuery, response: reply200 } },
      async (request) => {
        if (request.query.systemOnly) {
          return Object.fromEntries(systemDefinitions.map((d) => [d.name, { level: 'system', fields: d.fields }]));
        }
        return definitionMap((await listDefinitions(deps.store.db, org(request), { level: ORG })).map(definitionView));
      },
    );
    const orgDefinition = '/organizations/objects/:name/definitions';
    app.get(orgDefinition, { schema: { params: NameParam, response: reply200 } }, async (request) => {
      const d = await findDefinition(deps.store.db, org(request), ORG, request.params.name);
      if (!d)
        throw new AppFailure(appError('NOT_FOUND', `No organization-level definition named ${request.params.name}`));
      return definitionView(d);
    });
    for (const [method, mode] of [
      ['POST', 'create'],
      ['PUT', 'upsert'],
    ] as const) {
      app.route({
        method,
        url: orgDefinition,
        schema: { params: NameParam, body: DefinitionBody, response: reply200 },
        handler: async (request) => {
          const { name } = request.params as { name: string };
          const body = request.body as { fields: Array<{ path: string; type: string }>; description?: string };
          return definitionView(unwrap(await putDefinition(deps, org(request), ORG, name, body, mode)));
        },
      });
    }
    app.delete(orgDefinition, { schema: { params: NameParam, response: reply200 } }, async (request) => {
      unwrap(await removeDefinition(deps, org(request), ORG, request.params.name));
      return { name: request.params.name, deleted: true };
    });

    // ---- instance definitions (by id, or the Element token's instance) ----
    for (const [url, auth] of [
      ['/instances/:id/objects/:name/definitions', 'either'],
      ['/instances/objects/:name/definitions', 'element'],
    ] as const) {
      const params = url.includes(':id') ? IdNameParams : NameParam;
      const instanceOf = (request: FastifyRequest) =>
        addressedInstance(deps, request, (request.params as { id?: number }).id);
      app.route({
        method: 'GET',
        url,
        config: { auth },
        schema: { params, response: reply200 },
        handler: async (request) => {
          const instance = await instanceOf(request);
          const { name } = request.params as { name: string };
          const d = await findDefinition(deps.store.db, instance.organizationId, instanceLevel(instance), name);
          if (!d)
            throw new AppFailure(
              appError('NOT_FOUND', `No instance-level definition named ${name} on instance ${instance.id}`),
            );
          return definitionView(d);
        },
      });
      for (const [method, mode] of [
        ['POST', 'create'],
        ['PUT', 'upsert'],
      ] as const) {
        app.route({
          method,
          url,
          config: { auth },
          schema: { params, body: DefinitionBody, response: reply200 },
          handler: async (request) => {
            const instance = await instanceOf(request);
            const { name } = request.params as { name: string };
            const body = request.body as { fields: Array<{ path: string; type: string }>; description?: string };
            return definitionView(
              unwrap(await putDefinition(deps, instance.organizationId, instanceLevel(instance), name, body, mode)),
            );
          },
        });
      }
      app.route({
        method: 'DELETE',
        url,
        config: { auth },
        schema: { params, response: reply200 },
        handler: async (request) => {
          const instance = await instanceOf(request);
          const { name } = request.params as { name: string };
          unwrap(await removeDefinition(deps, instance.organizationId, instanceLevel(instance), name));
          return { name, deleted: true };
        },
      });
    }
    app.get(
      '/instances/:id/objects/definitions',
      { config: { auth: 'either' }, schema: { params: IdParam, response: reply200 } },
      async (request) => {
        const instance = await addressedInstance(deps, request, request.params.id);
        const defs = await listDefinitions(deps.store.db, instance.organizationId, { level: instanceLevel(instance) });
        return definitionMap(defs.map(definitionView));
      },
    );

    // ---- organization transformations, per element ----
    app.get(
      '/organizations/elements/:keyOrId/transformations',
      { schema: { params: ElementParam, response: reply200 } },
      async (request) => {
        const element = unwrap(findElement(deps, request.params.keyOrId));
        const list = await listTransformations(deps.store.db, org(request), { level: ORG, elementKey: element.key });
        return Object.fromEntries(list.map((t) => [t.name, transformationView(t)]));
      },
    );
    const orgTransformation = '/organizations/elements/:keyOrId/transformations/:name';
    app.get(orgTransformation, { schema: { params: ElementNameParams, response: reply200 } }, async (request) => {
      const element = unwrap(findElement(deps, request.params.keyOrId));
      const t = await findTransformation(deps.store.db, org(request), ORG, element.key, request.params.name);
      if (!t)
        throw new AppFailure(
          appError('NOT_FOUND', `No organization-level transformation named ${request.params.name} for ${element.key}`),
        );
      return transformationView(t);
    });
    for (const [method, mode] of [
      ['POST', 'create'],
      ['PUT', 'upsert'],
    ] as const) {
      app.route({
        method,
        url: orgTransformation,
        schema: { params: ElementNameParams, body: TransformationBody, response: reply200 },
        handler: async (request) => {
          const { keyOrId, name } = request.params as { keyOrId: string; name: string };
          const element = unwrap(findElement(deps, keyOrId));
          const body = request.body as Parameters<typeof putTransformation>[5];
          return transformationView(
            unwrap(await putTransformation(deps, org(request), ORG, element, name, body, mode)),
          );
        },
      });
    }
    app.delete(orgTransformation, { schema: { params: ElementNameParams, response: reply200 } }, async (request) => {
      const element = unwrap(findElement(deps, request.params.keyOrId));
      unwrap(await removeTransformation(deps, org(request), ORG, element.key, request.params.name));
      return { name: request.params.name, deleted: true };
    });

    // ---- instance transformations ----
    app.get(
      '/instances/:id/transformations',
      { config: { auth: 'either' }, schema: { params: IdParam, response: reply200 } },
      async (request) => appliedView(deps, await addressedInstance(deps, request, request.params.id)),
    );
    const instTransformation = '/instances/:id/transformations/:name';
    app.get(
      instTransformation,
      { config: { auth: 'either' }, schema: { params: IdNameParams, response: reply200 } },
      async (request) => {
        const instance = await addressedInstance(deps, request, request.params.id);
        const t = await findTransformation(
          deps.store.db,
          instance.organizationId,
          instanceLevel(instance),
          instance.elementKey,
          request.params.name,
        );
        if (!t)
          throw new AppFailure(
            appError(
              'NOT_FOUND',
              `No instance-level transformation named ${request.params.name} on instance ${instance.id}`,
            ),
          );
        return transformationView(t);
      },
    );
    for (const [method, mode] of [
      ['POST', 'create'],
      ['PUT', 'upsert'],
    ] as const) {
      app.route({
        method,
        url: instTransformation,
        config: { auth: 'either' },
        schema: { params: IdNameParams, body: TransformationBody, response: reply200 },
        handler: async (request) => {
          const { id, name } = request.params as { id: number; name: string };
          const instance = await addressedInstance(deps, request, id);
          const element = unwrap(findElement(deps, instance.elementKey));
          const body = request.body as Parameters<typeof putTransformation>[5];
          return transformationView(
            unwrap(
              await putTransformation(
                deps,
                instance.organizationId,
                instanceLevel(instance),
                element,
                name,
                body,
                mode,
              ),
            ),
          );
        },
      });
    }
    app.delete(
      instTransformation,
      { config: { auth: 'either' }, schema: { params: IdNameParams, response: reply200 } },
      async (request) => {
        const instance = await addressedInstance(deps, request, request.params.id);
        unwrap(
          await removeTransformation(
            deps,
            instance.organizationId,
            instanceLevel(instance),
            instance.elementKey,
            request.params.name,
          ),
        );
        return { name: request.params.name, deleted: true };
      },
    );
  };
}
