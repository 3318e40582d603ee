// The language element definitions are written in: one schema, types inferred from it, checked at start-up.
import { type Static, Type } from '@sinclair/typebox';

const FieldType = Type.Union([
  Type.Literal('string'),
  Type.Literal('number'),
  Type.Literal('boolean'),
  Type.Literal('date'),
]);

export const ParameterSchema = Type.Object({
  key: Type.String({ minLength: 1 }),
  name: Type.String(),
  type: Type.Union([
    Type.Literal('string'),
    Type.Literal('password'),
    Type.Literal('boolean'),
    Type.Literal('textarea'),
    Type.Literal('url'),
    Type.Literal('number'),
    Type.Literal('picklist'),
  ]),
  required: Type.Boolean(),
  secret: Type.Optional(Type.Boolean()),
  hidden: Type.Optional(Type.Boolean()),
  default: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  description: Type.String(),
  aliases: Type.Optional(Type.Array(Type.String())),
  allowedHosts: Type.Optional(Type.Array(Type.String())),
  options: Type.Optional(Type.Array(Type.String())),
  group: Type.Optional(Type.Union([Type.Literal('authentication'), Type.Literal('events'), Type.Literal('general')])),
  reprovision: Type.Optional(Type.Boolean({ description: 'changing it re-verifies credentials' })),
});

const MappingSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('child'),
    path: Type.String(),
    where: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
    type: Type.Optional(FieldType),
  }),
  Type.Object({ kind: Type.Literal('rename'), to: Type.String(), type: Type.Optional(FieldType) }),
  Type.Object({ kind: Type.Literal('customField'), caption: Type.String(), type: Type.Optional(FieldType) }),
]);

const Method = Type.Union([
  Type.Literal('list'),
  Type.Literal('get'),
  Type.Literal('create'),
  Type.Literal('replace'),
  Type.Literal('update'),
  Type.Literal('delete'),
  Type.Literal('count'),
]);

export const ChildResourceSchema = Type.Object({
  name: Type.String(),
  vendorPath: Type.String({ description: 'vendor path with {id} for the parent id' }),
  methods: Type.Array(Type.Union([Method, Type.Literal('attach')])),
  idField: Type.Optional(Type.String()),
  fields: Type.Optional(Type.Record(Type.String(), FieldType)),
  mappings: Type.Optional(Type.Record(Type.String(), MappingSchema)),
  parentFilter: Type.Optional(Type.String({ description: 'condition binding a flat vendor list to the parent' })),
  hook: Type.Optional(Type.String()),
});

export const ResourceSchema = Type.Object({
  name: Type.String(),
  vendorPath: Type.String(),
  vendorName: Type.String(),
  label: Type.String(),
  methods: Type.Array(Method),
  idField: Type.String(),
  fields: Type.Record(Type.String(), FieldType),
  required: Type.Optional(Type.Array(Type.String())),
  mappings: Type.Optional(Type.Record(Type.String(), MappingSchema)),
  updatedField: Type.Optional(Type.String({ description: 'vendor condition field for incremental reads' })),
  callbackType: Type.Optional(Type.String({ description: 'ConnectWise callback type for events' })),
  children: Type.Optional(Type.Array(ChildResourceSchema)),
});

export const ErrorPolicySchema = Type.Object({
  status: Type.Integer(),
  action: Type.Union([
    Type.Literal('retry'),
    Type.Literal('rateLimit'),
    Type.Literal('configError'),
    Type.Literal('passThrough'),
  ]),
  hubStatus: Type.Integer(),
  message: Type.String(),
});

export const ElementDefinitionSchema = Type.Object({
  id: Type.Integer(),
  key: Type.String({ pattern: '^[a-z0-9]+$' }),
  name: Type.String(),
  hub: Type.String(),
  description: Type.String(),
  image: Type.String(),
  logo: Type.String(),
  protocolType: Type.String(),
  flags: Type.Record(Type.String(), Type.Boolean()),
  authentication: Type.Object({ type: Type.String() }),
  parameters: Type.Array(ParameterSchema, { minItems: 1 }),
  defaults: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  auth: Type.Object({
    scheme: Type.Literal('basic'),
    username: Type.String({ description: 'template over configuration keys, e.g. {company}+{public.key}' }),
    password: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
    verify: Type.Object({ method: Type.Literal('GET'), path: Type.String(), expectField: Type.String() }),
  }),
  paging: Type.Object({
    pageParam: Type.String(),
    sizeParam: Type.String(),
    vendorMax: Type.Integer({ minimum: 1 }),
    countSuffix: Type.String(),
  }),
  query: Type.Object({
    conditionsParam: Type.String(),
    childConditionsParam: Type.String(),
    customFieldConditionsParam: Type.String(),
    orderByParam: Type.String(),
    fieldsParam: Type.String(),
  }),
  errors: Type.Array(ErrorPolicySchema),
  resources: Type.Array(ResourceSchema, { minItems: 1 }),
  events: Type.Object({ methods: Type.Array(Type.String()), defaultVendorType: Type.String() }),
  hooks: Type.Array(Type.String()),
});

export type ElementDefinition = Static<typeof ElementDefinitionSchema>;
export type ElementParameter = Static<typeof ParameterSchema>;
export type ElementResource = Static<typeof ResourceSchema>;
export type ChildResource = Static<typeof ChildResourceSchema>;
export type ErrorPolicy = Static<typeof ErrorPolicySchema>;
