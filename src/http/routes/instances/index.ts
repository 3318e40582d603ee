// Platform instance operations (Cloud Elements /instances). Every success answers 200, as Cloud Elements did.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unwrap } from '../../../errors/index.ts';
import {
  configurationRowsOf,
  instanceView,
  type PlatformDeps,
  patchConfigurationRow,
  patchInstance,
  provisionInstance,
  removeInstance,
  replaceInstance,
  searchInstances,
  setInstanceEnabled,
} from '../../../platform/index.ts';
import { type InstanceRecord, listInstances } from '../../../store/index.ts';
import { addressedInstance, principalOf } from '../../auth.ts';
import { AnyObject, ConfigRowObject, errorResponses, IdParam, InstanceBody, InstanceObject } from '../../schemas.ts';
import { sendSplicedInstance } from '../../splicedInstance.ts';
import { elementScopedInstanceRoutes } from './elementScoped.ts';

const SearchQuery = Type.Object(
  {
    'tags[]': Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
    tags: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
    searchText: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

type InstanceInputBody = Parameters<typeof replaceInstance>[2];

/** What GET/PUT/PATCH/DELETE do to an addressed instance; /elements/{keyOrId}/instances/{id} runs the same. */
export const instanceOperations = {
  read: (deps: PlatformDeps, record: InstanceRecord) => instanceView(deps, record),
  replace: async (deps: PlatformDeps, record: InstanceRecord, body: InstanceInputBody) =>
    instanceView(deps, unwrap(await replaceInstance(deps, record, body))),
  patch: async (deps: PlatformDeps, record: InstanceRecord, body: InstanceInputBody) =>
    instanceView(deps, unwrap(await patchInstance(deps, record, body))),
  remove: async (deps: PlatformDeps, record: InstanceRecord) => {
    await removeInstance(deps, record);
    return { id: record.id, deleted: true };
  },
};

/** Cloud Elements' count shape, keeping `count` (the console and older clients read it). */
const CountObject = Type.Object({
  totalInstances: Type.Integer(),
  count: Type.Integer(),
  elementInstances: Type.Array(
    Type.Object({
      element: Type.Object({ id: Type.Integer(), key: Type.String(), name: Type.String() }),
      count: Type.Integer(),
    }),
  ),
});

export function instanceRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const createSchema = { body: InstanceBody, response: { 200: InstanceObject, ...errorResponses } };

    app.post('/instances', { schema: createSchema }, async (request) => {
      const p = principalOf(request);
      const { record } = unwrap(
        await provisionInstance(deps, { organizationId: p.organizationId, userId: p.user.id }, request.body),
      );
      return instanceView(deps, record);
    });

    app.post(
      '/elements/:keyOrId/instances',
      { schema: { ...createSchema, params: Type.Object({ keyOrId: Type.String() }) } },
      async (request) => {
        const p = principalOf(request);
        const { record } = unwrap(
          await provisionInstance(
            deps,
            { organizationId: p.organizationId, userId: p.user.id },
            request.body,
            request.params.keyOrId,
          ),
        );
        return instanceView(deps, record);
      },
    );

    app.get(
      '/instances',
      { schema: { querystring: SearchQuery, response: { 200: Type.Array(InstanceObject), ...errorResponses } } },
      async (request) => {
        const q = request.query;
        return unwrap(
          await searchInstances(deps, principalOf(request).organizationId, {
            tags: [...asList(q['tags[]']), ...asList(q.tags)],
            searchText: q.searchText,
          }),
        );
      },
    );

    app.get(
      '/elements/:keyOrId/instances',
      {
        schema: {
          params: Type.Object({ keyOrId: Type.String() }),
          querystring: SearchQuery,
          response: { 200: Type.Array(InstanceObject), ...errorResponses },
        },
      },
      async (request) => {
        const def = deps.catalog.find(request.params.keyOrId);
        if (!def) return [];
        const q = request.query;
        return unwrap(
          await searchInstances(deps, principalOf(request).organizationId, {
            elementKey: def.key,
            tags: [...asList(q['tags[]']), ...asList(q.tags)],
            searchText: q.searchText,
          }),
        );
      },
    );

    app.get('/instances/count', { schema: { response: { 200: CountObject, ...errorResponses } } }, async (request) => {
      const records = await listInstances(deps.store.db, { organizationId: principalOf(request).organizationId });
      const perElement = new Map<string, number>();
      for (const r of records) perElement.set(r.elementKey, (perElement.get(r.elementKey) ?? 0) + 1);
      const elementInstances = [...perElement].map(([key, count]) => {
        const def = deps.catalog.find(key);
        return { element: { id: Number(def?.id ?? 0), key, name: def?.name ?? key }, count };
      });
      return { totalInstances: records.length, count: records.length, elementInstances };
    });

    const byId = { params: IdParam, response: { 200: InstanceObject, ...errorResponses } };

    app.get('/instances/:id', { schema: byId }, async (request, reply) =>
      sendSplicedInstance(
        reply,
        await instanceOperations.read(deps, await addressedInstance(deps, request, request.params.id)),
      ),
    );

    app.get(
      '/instance',
      { schema: { response: { 200: InstanceObject, ...errorResponses } }, config: { auth: 'element' } },
      async (request) => instanceView(deps, await addressedInstance(deps, request)),
    );

    app.put('/instances/:id', { schema: { ...byId, body: InstanceBody } }, async (request) =>
      instanceOperations.replace(deps, await addressedInstance(deps, request, request.params.id), request.body),
    );

    app.patch('/instances/:id', { schema: { ...byId, body: InstanceBody } }, async (request) =>
      instanceOperations.patch(deps, await addressedInstance(deps, request, request.params.id), request.body),
    );

    app.patch(
      '/instances',
      {
        schema: { body: InstanceBody, response: { 200: InstanceObject, ...errorResponses } },
        config: { auth: 'element' },
      },
      async (request) => instanceOperations.patch(deps, await addressedInstance(deps, request), request.body),
    );

    app.delete(
      '/instances/:id',
      { schema: { params: IdParam, response: { 200: AnyObject, ...errorResponses } } },
      async (request) => instanceOperations.remove(deps, await addressedInstance(deps, request, request.params.id)),
    );

    await app.register(elementScopedInstanceRoutes(deps));

    // Enable / disable, by id or with the Element token alone.
    for (const [path, auth] of [
      ['/instances/:id/enabled', 'either'],
      ['/instances/enabled', 'element'],
    ] as const) {
      const schema = {
        params: path.includes(':id') ? IdParam : Type.Object({}),
        response: { 200: InstanceObject, ...errorResponses },
      };
      for (const method of ['PUT', 'DELETE'] as const) {
        app.route({
          method,
          url: path,
          schema,
          config: { auth },
          handler: async (request) => {
            const id = (request.params as { id?: number }).id;
            const record = await addressedInstance(deps, request, id);
            return instanceView(deps, await setInstanceEnabled(deps, record, method === 'PUT'));
          },
        });
      }
    }

    // Configuration rows, by id or with the Element token alone.
    for (const [base, auth] of [
      ['/instances/:id/configuration', 'either'],
      ['/instances/configuration', 'element'],
    ] as const) {
      const params = base.includes(':id') ? IdParam : Type.Object({});
      app.get(
        base,
        { schema: { params, response: { 200: Type.Array(ConfigRowObject), ...errorResponses } }, config: { auth } },
        async (request) => {
          const record = await addressedInstance(deps, request, (request.params as { id?: number }).id);
          return configurationRowsOf(deps, record);
        },
      );
      const rowParams = Type.Composite([params, Type.Object({ configId: Type.Integer({ minimum: 1 }) })]);
      app.get(
        `${base}/:configId`,
        { schema: { params: rowParams, response: { 200: ConfigRowObject, ...errorResponses } }, config: { auth } },
        async (request, reply) => {
          const { id, configId } = request.params as { id?: number; configId: number };
          const record = await addressedInstance(deps, request, id);
          const row = (await configurationRowsOf(deps, record)).find((r) => r.id === configId);
          if (!row) return reply.callNotFound();
          return row;
        },
      );
      app.patch(
        `${base}/:configId`,
        {
          schema: {
            params: rowParams,
            body: Type.Object(
              { propertyValue: Type.Union([Type.String(), Type.Boolean(), Type.Number(), Type.Null()]) },
              { additionalProperties: true },
            ),
            response: { 200: ConfigRowObject, ...errorResponses },
          },
          config: { auth },
        },
        async (request) => {
          const { id, configId } = request.params as { id?: number; configId: number };
          const record = await addressedInstance(deps, request, id);
          const value = request.body.propertyValue;
          return unwrap(await patchConfigurationRow(deps, record, configId, value === null ? null : String(value)));
        },
      );
    }
  };
}
