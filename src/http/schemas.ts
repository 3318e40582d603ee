// Schemas shared by several routes. Objects that carry vendor or element data stay open (additionalProperties).
import { Type } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  {
    requestId: Type.String(),
    code: Type.String(),
    message: Type.String(),
    providerMessage: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  502: ErrorBody,
  504: ErrorBody,
};

export const InstanceBody = Type.Object(
  {
    element: Type.Optional(
      Type.Object(
        { key: Type.Optional(Type.String()), id: Type.Optional(Type.Union([Type.Integer(), Type.String()])) },
        { additionalProperties: true },
      ),
    ),
    configuration: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
    name: Type.Optional(Type.String({ maxLength: 500 })),
    providerData: Type.Optional(Type.Unknown()),
    retrieveObjectsAfterInstantiation: Type.Optional(Type.Boolean()),
    traceLoggingEnabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const InstanceObject = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    createdDate: Type.String(),
    token: Type.String(),
    elementId: Type.Integer(),
    tags: Type.Array(Type.String()),
    valid: Type.Boolean(),
    disabled: Type.Boolean(),
    configuration: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
    element: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

export const ConfigRowObject = Type.Object(
  {
    id: Type.Integer(),
    key: Type.String(),
    name: Type.String(),
    propertyValue: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);

/** Ids are database integers (PostgreSQL `integer`): a larger number names no record. */
export const MAX_ID = 2_147_483_647;

export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID }) });

export const AnyObject = Type.Object({}, { additionalProperties: true });
