// Cloud Elements' polling test hook: simulated poll results injected for an instance and delivered like real ones
// (cloud-elements-api.md §3.6; CE's tests post them to /events/{elementKey}Polling/{base64(instanceId)}).
//
//   POST /events/{elementKey}Polling/{base64(instanceId)}   header Id: <instanceId>
//        body {instance_id, objectType, events: [{objectId, eventType, date?, objectType?}], <objectType>: [records]}
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppFailure, appError } from '../../../errors/index.ts';
import { outboxChanged } from '../../../events/index.ts';
import { type Change, dedupeKey, storeChanges } from '../../../events/record.ts';
import { loadInstanceConfig, type PlatformDeps } from '../../../platform/index.ts';
import { eventsDb } from '../../../store/events.ts';
import { addressedInstance } from '../../auth.ts';
import { errorResponses, MAX_ID } from '../../schemas.ts';

const InjectedEvent = Type.Object(
  {
    objectId: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]),
    eventType: Type.Union([Type.Literal('CREATED'), Type.Literal('UPDATED'), Type.Literal('DELETED')]),
    objectType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    date: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'ISO-8601 date of the change' })),
  },
  { additionalProperties: true },
);

const PollBody = Type.Object(
  {
    instance_id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 20 })])),
    objectType: Type.String({ minLength: 1, maxLength: 100 }),
    events: Type.Array(InjectedEvent, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: true },
);

const Stored = Type.Object({
  instanceId: Type.Integer(),
  stored: Type.Integer(),
  eventIds: Type.Array(Type.String()),
});

/** base64(instanceId) as Cloud Elements writes it; anything else names no instance. */
function decodeInstanceId(encoded: string): number | undefined {
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  const id = Number(text);
  return /^[1-9][0-9]{0,9}$/.test(text) && id <= MAX_ID ? id : undefined;
}

export function pollingHookRoutes(deps: PlatformDeps) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    for (const def of deps.catalog.list()) {
      app.post(
        `/events/${def.key}Polling/:encodedId`,
        {
          schema: {
            params: Type.Object({ encodedId: Type.String({ minLength: 1, maxLength: 40 }) }),
            headers: Type.Object({ id: Type.Optional(Type.String({ maxLength: 20 })) }, { additionalProperties: true }),
            body: PollBody,
            response: { 200: Stored, ...errorResponses },
          },
        },
        async (request) => {
          const id = decodeInstanceId(request.params.encodedId);
          if (id === undefined) {
            throw new AppFailure(
              appError('INVALID_PARAMETER', 'The path must end with the base64 of the instance id', {
                field: 'encodedId',
              }),
            );
          }
          const header = request.headers.id;
          if (header !== undefined && header.trim() !== String(id)) {
            throw new AppFailure(
              appError('INVALID_PARAMETER', `Header Id (${header}) is not the instance of the path (${id})`, {
                field: 'Id',
              }),
            );
          }
          const record = await addressedInstance(deps, request, id);
          if (record.elementKey !== def.key)
            throw new AppFailure(appError('NOT_FOUND', `Instance ${id} is not an instance of element ${def.key}`));
          const config = await loadInstanceConfig(deps, record.id);
          if (config['event.notification.enabled'] !== 'true' || record.disabled) {
            throw new AppFailure(
              appError('CONFLICT', `Events are not enabled on instance ${id}: set event.notification.enabled to true`),
            );
          }
          const body = request.body as typeof request.body & Record<string, unknown>;
          const badDate = body.events.findIndex((e) => e.date !== undefined && Number.isNaN(Date.parse(e.date)));
          if (badDate >= 0) {
            throw new AppFailure(
              appError('INVALID_PARAMETER', 'date must be an ISO-8601 date', { field: `events[${badDate}].date` }),
            );
          }
          const now = new Date().toISOString();
          const changes: Change[] = body.events.map((e) => {
            const objectType = e.objectType ?? body.objectType;
            const objectId = String(e.objectId);
            const records = Array.isArray(body[objectType]) ? (body[objectType] as unknown[]) : [];
            const found = records.find(
              (r): r is Record<string, unknown> =>
                typeof r === 'object' && r !== null && String((r as { id?: unknown }).id) === objectId,
            );
            const change = {
              objectType,
              objectId,
              eventType: e.eventType,
              date: e.date ?? now,
              ...(found ? { record: found } : {}),
            };
            // The event's date (or the moment of injection) keys it: the same injection twice is one event.
            return { ...change, dedupeKey: dedupeKey(change, change.date) };
          });
          const out = await eventsDb(deps.store.db)
            .transaction()
            .execute((trx) => storeChanges(trx, record, def.hub, 'polling', changes, { now }));
          outboxChanged();
          return {
            instanceId: record.id,
            stored: out.reduce((n, o) => n + o.count, 0),
            eventIds: out.map((o) => o.eventId),
          };
        },
      );
    }
  };
}
