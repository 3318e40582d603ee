export { compileTransformation } from './compile.ts';
export { mergeTransformations } from './merge.ts';
export { checkScript, runScript } from './script/index.ts';
export { systemDefinitions } from './system.ts';
export type {
  CompiledTransformation,
  ConfigEntry,
  Definition,
  DefinitionField,
  FieldNote,
  FieldType,
  Mapped,
  Problem,
  QueryParts,
  ScriptLimits,
  ScriptOutcome,
  Transformation,
  TransformationField,
} from './types.ts';
export { DEFAULT_SCRIPT_LIMITS, FIELD_TYPES } from './types.ts';
export { validateDefinition, validateTransformation } from './validate.ts';
