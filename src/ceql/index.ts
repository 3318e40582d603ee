export type {
  AndNode,
  BooleanLiteral,
  CeqlError,
  ComparisonNode,
  ComparisonOperator,
  FieldRef,
  InNode,
  LikeNode,
  Literal,
  NullCheckNode,
  NullLiteral,
  NumberLiteral,
  OrNode,
  PredicateNode,
  Result,
  Span,
  StringLiteral,
  WhereNode,
} from './ast.ts';
export { MAX_NESTING_DEPTH, parseWhere } from './parse.ts';
export { printWhere } from './print.ts';
export type {
  ChildMapping,
  CustomFieldMapping,
  FieldMapping,
  FieldType,
  QuerySchema,
  RenameMapping,
  VendorQuery,
} from './translate.ts';
export { toCwDateTime, translateWhere } from './translate.ts';
