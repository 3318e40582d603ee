import { Type } from '@sinclair/typebox';
import { errorResponses } from '../../schemas.ts';

export const HubParams = Type.Object({ hub: Type.String(), '*': Type.String() });

/** Unknown query parameters are ignored, as Cloud Elements did. */
export const HubReadQuery = Type.Object(
  {
    where: Type.Optional(Type.String({ maxLength: 10_000 })),
    page: Type.Optional(Type.Integer({ minimum: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1 })),
    nextPage: Type.Optional(Type.String({ maxLength: 2000 })),
    orderBy: Type.Optional(Type.String({ maxLength: 2000 })),
    fields: Type.Optional(Type.String({ maxLength: 4000 })),
    includeTotalCount: Type.Optional(Type.Boolean()),
    explain: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const HubWriteQuery = Type.Object({ explain: Type.Optional(Type.Boolean()) }, { additionalProperties: true });

/** Vendor data: open shapes. */
export const HubBody = Type.Union([Type.Object({}, { additionalProperties: true }), Type.Array(Type.Unknown())]);
export const HubReply = Type.Union([
  Type.Array(Type.Object({}, { additionalProperties: true })),
  Type.Object({}, { additionalProperties: true }),
]);

/** Route options of the hub's body-carrying writes (POST, PATCH): Element auth, `explain`, an open body. */
export const hubWriteRoute = {
  config: { auth: 'element' as const },
  schema: {
    params: HubParams,
    querystring: HubWriteQuery,
    body: HubBody,
    response: { 200: HubReply, ...errorResponses },
  },
};
