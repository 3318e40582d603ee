export { configurationRows, elementObject, resourceModel } from './describe.ts';
export {
  type ElementCatalog,
  ElementDefinitionError,
  elementHooks,
  findParameter,
  isSecretKey,
  loadElementCatalog,
  renderTemplate,
  validateElementDefinition,
} from './registry.ts';
export type { ChildResource, ElementDefinition, ElementParameter, ElementResource, ErrorPolicy } from './schema.ts';
