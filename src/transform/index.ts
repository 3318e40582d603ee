export { compileTransformation, FILTERED_OUT_NOTE, isFilteredOut, TransformationError } from './compile.ts';
export { mergeTransformations } from './merge.ts';
export { parseVendorPath } from './path.ts';
export { checkScript, MAX_SCRIPT_BYTES, runScript } from './script/index.ts';
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
