// Request schemas of the transformation API. Field types, vendorPaths and scripts are checked by the engine at
// save time (its messages name the field); here only shapes and sizes.
import { Type } from '@sinclair/typebox';

export const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
export const IdNameParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  name: Type.String({ minLength: 1, maxLength: 64 }),
});
export const ElementNameParams = Type.Object({
  keyOrId: Type.String({ minLength: 1, maxLength: 100 }),
  name: Type.String({ minLength: 1, maxLength: 64 }),
});
export const ElementParam = Type.Object({ keyOrId: Type.String({ minLength: 1, maxLength: 100 }) });

export const DefinitionField = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ minLength: 1, maxLength: 20 }),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: true },
);

export const DefinitionBody = Type.Object(
  {
    fields: Type.Array(DefinitionField, { maxItems: 500 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: true },
);

export const DefinitionsBody = Type.Record(Type.String({ maxLength: 64 }), DefinitionBody, { maxProperties: 100 });

export const SystemOnlyQuery = Type.Object(
  { systemOnly: Type.Optional(Type.Boolean()) },
  { additionalProperties: true },
);

const ConfigEntry = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 50 }),
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true },
);

const TransformationField = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.Optional(Type.String({ maxLength: 20 })),
    vendorPath: Type.Optional(Type.String({ maxLength: 1000 })),
    vendorType: Type.Optional(Type.String({ maxLength: 50 })),
    configuration: Type.Optional(Type.Array(ConfigEntry, { maxItems: 20 })),
  },
  { additionalProperties: true },
);

export const Script = Type.Object(
  {
    body: Type.String({ maxLength: 100_000 }),
    mimeType: Type.Optional(Type.String({ maxLength: 100 })),
    filterEmptyResponse: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

const transformationProperties = {
  level: Type.Optional(Type.String({ maxLength: 20 })),
  vendorName: Type.String({ minLength: 1, maxLength: 100 }),
  fields: Type.Array(TransformationField, { maxItems: 500 }),
  configuration: Type.Optional(Type.Array(ConfigEntry, { maxItems: 20 })),
  script: Type.Optional(Script),
};

export const TransformationBody = Type.Object(transformationProperties, { additionalProperties: true });

/** PUT /transformations (v2): the transformation plus where it goes. */
export const V2TransformationBody = Type.Object(
  {
    ...transformationProperties,
    level: Type.String({ maxLength: 20 }),
    objectName: Type.String({ minLength: 1, maxLength: 64 }),
    elementInstanceId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    elementKey: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: true },
);

export const RenameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: true },
);

export const CommonResourceBody = Type.Object(
  {
    fields: Type.Array(DefinitionField, { maxItems: 500 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: true },
);

export const VdrBody = Type.Object(
  {
    objectName: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    fields: Type.Array(DefinitionField, { maxItems: 500 }),
  },
  { additionalProperties: true },
);

export const VdrExport = Type.Object(
  {
    objectName: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    fields: Type.Array(DefinitionField, { maxItems: 500 }),
    transformations: Type.Array(
      Type.Object(
        { ...transformationProperties, elementKey: Type.String({ minLength: 1, maxLength: 100 }) },
        { additionalProperties: true },
      ),
      { maxItems: 100 },
    ),
  },
  { additionalProperties: true },
);

export const PreviewBody = Type.Object(
  {
    record: Type.Optional(Type.Object({}, { additionalProperties: true })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    transformation: Type.Optional(TransformationBody),
  },
  { additionalProperties: false },
);
