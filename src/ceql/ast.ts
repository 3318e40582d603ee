/**
 * CEQL (`where`) syntax tree. Every node carries its 0-based character span in the source text
 * (`end` exclusive), so errors and the translator can name the exact clause a user wrote.
 */

export interface Span {
  start: number;
  end: number;
}

/** A field reference exactly as written, without backticks: `company.id`, `_info.lastUpdated`, `first name`. */
export interface FieldRef extends Span {
  name: string;
}

export interface StringLiteral extends Span {
  kind: 'string';
  value: string;
}
/** Kept as text (`-12.50`) so large ids and decimals survive unchanged; matches `-?\d+(\.\d+)?`. */
export interface NumberLiteral extends Span {
  kind: 'number';
  value: string;
}
export interface BooleanLiteral extends Span {
  kind: 'boolean';
  value: boolean;
}
export interface NullLiteral extends Span {
  kind: 'null';
}
export type Literal = StringLiteral | NumberLiteral | BooleanLiteral | NullLiteral;

/** `<>` is parsed as `!=`. */
export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

export interface ComparisonNode extends Span {
  kind: 'comparison';
  field: FieldRef;
  operator: ComparisonOperator;
  value: Literal;
}
export interface LikeNode extends Span {
  kind: 'like';
  field: FieldRef;
  negated: boolean;
  pattern: StringLiteral;
}
export interface InNode extends Span {
  kind: 'in';
  field: FieldRef;
  negated: boolean;
  /** Never empty. */
  values: Literal[];
}
export interface NullCheckNode extends Span {
  kind: 'isNull';
  field: FieldRef;
  /** `IS NOT NULL` */
  negated: boolean;
}
export type PredicateNode = ComparisonNode | LikeNode | InNode | NullCheckNode;

/**
 * `a AND b AND c` is one node with three operands. Parentheses create no node of their own, so
 * `(a AND b) AND c` is an `and` whose first operand is an `and`: the tree keeps the grouping as written.
 */
export interface AndNode extends Span {
  kind: 'and';
  operands: WhereNode[];
}
export interface OrNode extends Span {
  kind: 'or';
  operands: WhereNode[];
}
export type WhereNode = AndNode | OrNode | PredicateNode;

export interface CeqlError {
  code: 'CEQL_PARSE' | 'CEQL_UNSUPPORTED';
  message: string;
  /** 0-based character offset into the `where` text. */
  position?: number;
  /** The offending clause as the user wrote it (CEQL_UNSUPPORTED). */
  clause?: string;
}

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
