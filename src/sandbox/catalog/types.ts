/** Stored row: plain CW field names plus the `_info` bookkeeping. Rows are never mutated once stored. */
export interface Row {
  id: number;
  /** lastUpdated, epoch ms */
  _lu: number;
  /** dateEntered, epoch ms */
  _de: number;
  _ub: string;
  _eb: string;
  [field: string]: unknown;
}

/** A stored reference: only the id is kept; names are looked up when rendering so renames show everywhere. */
export interface StoredRef {
  id: number;
}

export interface StoredCustomField {
  id: number;
  value: unknown;
}

export type FieldSpec =
  | {
      t: 'string';
      max?: number;
      required?: boolean;
      enum?: readonly string[];
      postOnly?: boolean;
      readOnly?: boolean;
      /** Stored and validated, never returned (a contact's `portalPassword`). */
      writeOnly?: boolean;
    }
  | { t: 'int' | 'number'; required?: boolean; min?: number; max?: number; readOnly?: boolean; postOnly?: boolean }
  | { t: 'boolean'; required?: boolean; readOnly?: boolean; postOnly?: boolean }
  | { t: 'datetime'; required?: boolean; readOnly?: boolean }
  | { t: 'uuid'; readOnly?: boolean }
  | { t: 'ref'; to: string; required?: boolean; scopeField?: string; readOnly?: boolean }
  | { t: 'refs'; to: string; postOnly?: boolean }
  | { t: 'strings' }
  | { t: 'ints'; postOnly?: boolean }
  | { t: 'items'; of: Record<string, FieldSpec> }
  /** An array of plain objects whose known properties are validated by type (a configuration's `questions`). */
  | { t: 'objects'; of: Record<string, FieldSpec> }
  | { t: 'customFields' };

export interface ParentLink {
  table: string;
  /** Field on the child holding the parent: an int (`ticketId`) or a reference (`company`). */
  field: string;
  kind: 'int' | 'ref';
}

export interface TableDef {
  key: string;
  /** Path under apis/3.0; `{parentId}` marks the parent segment for child collections. */
  path: string;
  parent?: ParentLink;
  /** Used in "<Type> <id> not found". */
  typeName: string;
  /** Used in InvalidObject messages and ValidationError.resource. */
  resource: string;
  fields: Record<string, FieldSpec>;
  /** Properties copied into references to rows of this table (besides id). */
  refFields: string[];
  /** Name of the `_info` link on references to this table. */
  hrefName: string;
  /** Fields whose values must be unique (case-insensitive), with CW's message. */
  unique?: { field: string; message: string }[];
  /** Extra `_info` links on full records, relative to apis/3.0/. */
  links?: (row: Row) => Record<string, string>;
  /** Callback `type` this table's writes notify. */
  callbackType?: string;
  /** Fields with a hash index (equality / in lookups). */
  indexes?: string[];
  /** Values used when a field is omitted on create (and restored by PUT). */
  defaults?: (ctx: DefaultsContext, row: Row) => Record<string, unknown>;
  /** Derived properties computed when rendering (e.g. a member's name). */
  derived?: (row: Row) => Record<string, unknown>;
  /** Not stored as its own table (e.g. contact communications live inside contacts). */
  virtual?: boolean;
  /** Extra read-only properties rendered on full records (e.g. a note's `dateCreated`). */
  renderExtras?: (row: Row) => Record<string, unknown>;
  /** Name of the entity in system/userDefinedFields `screenId`. */
  customFieldScreen?: string;
  /** Whether conditions may use `lastUpdated` directly (besides `_info/lastUpdated`). */
  hasCustomFields?: boolean;
}

export interface DefaultsContext {
  /** First row of a table matching a predicate (used for default statuses, boards, …). */
  first(table: string, pred?: (row: Row) => boolean): Row | undefined;
  now: number;
}
