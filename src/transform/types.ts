/** The contract between the transform engine and the transformation API (see docs/transformation-mapping.md). */

export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'object' | 'array';
export const FIELD_TYPES: readonly FieldType[] = ['string', 'number', 'boolean', 'date', 'object', 'array'];

/** path: dotted, e.g. 'address.city' */
export interface DefinitionField {
  path: string;
  type: FieldType;
}
export interface Definition {
  name: string;
  fields: DefinitionField[];
}
export interface ConfigEntry {
  type: string;
  properties?: Record<string, unknown>;
}
export interface TransformationField {
  path: string;
  type?: FieldType;
  vendorPath?: string;
  vendorType?: string;
  configuration?: ConfigEntry[];
}
export interface Transformation {
  level: 'organization' | 'instance';
  /** hub object name, e.g. 'contacts' */
  vendorName: string;
  fields: TransformationField[];
  configuration?: ConfigEntry[];
  script?: { body: string; mimeType?: string; filterEmptyResponse?: boolean };
}
/** field e.g. "fields[2].vendorPath", "script.body" */
export interface Problem {
  field: string;
  message: string;
}
/** 'vendorPath missing in record', 'coerced string→number', 'set by script'… */
export interface FieldNote {
  path: string;
  note: string;
}
export type ScriptErrorCode = 'SCRIPT_ERROR' | 'SCRIPT_TIMEOUT' | 'SCRIPT_MEMORY';
export type Mapped =
  | { ok: true; value: Record<string, unknown>; notes: FieldNote[] }
  | {
      ok: false;
      error: { code: ScriptErrorCode | 'MAPPING_ERROR'; message: string; line?: number };
    };

export type QueryParts = { where?: string; orderBy?: string; fields?: string };

export interface CompiledTransformation {
  /** the common resource name (definition name) */
  readonly name: string;
  readonly vendorName: string;
  /** Vendor → common, one result per record, same order (batched so a script runs once per page inside the sandbox). */
  toCommon(records: unknown[]): Promise<Mapped[]>;
  /** Common → vendor for writes. No script on this direction. */
  toVendor(
    body: Record<string, unknown>,
  ): { ok: true; value: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };
  /** Rewrites CEQL `where`, `orderBy` and `fields` written in common names into vendor names. */
  translateQuery(
    q: QueryParts,
  ): { ok: true; value: QueryParts } | { ok: false; error: { field: string; message: string } };
  dispose(): void;
}

/** defaults: 1000 ms per page call, 32 MiB */
export interface ScriptLimits {
  cpuMs: number;
  memoryBytes: number;
}
export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = { cpuMs: 1000, memoryBytes: 32 * 1024 * 1024 };

export type ScriptOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ScriptErrorCode; message: string; line?: number } };
