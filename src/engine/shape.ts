// Record shaping between Cloud Elements bodies and ConnectWise bodies: null filtering, references, JSON-Patch.

type Json = unknown;

/** A copy without null-valued properties, at every depth (`filter.response.nulls`). Arrays keep their length. */
export function stripNulls(value: Json): Json {
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = stripNulls(value[i]);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const key in value as Record<string, Json>) {
      const v = (value as Record<string, Json>)[key];
      if (v === null) continue;
      out[key] = typeof v === 'object' ? stripNulls(v) : v;
    }
    return out;
  }
  return value;
}

const NUMERIC = /^\d{1,15}$/;

/**
 * A reference given as `{id}`, `{identifier}` or `{name}` goes to ConnectWise as written (ConnectWise resolves
 * identifier/name itself); a numeric id given as a string becomes a number, as Cloud Elements clients send it.
 */
export function normalizeReferences(body: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, v] of Object.entries(body)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const ref = { ...(v as Record<string, Json>) };
      if (typeof ref.id === 'string' && NUMERIC.test(ref.id)) ref.id = Number(ref.id);
      out[key] = ref;
    } else out[key] = v;
  }
  return out;
}

/** Properties ConnectWise computes; a merged PUT must not send them back. */
const COMPUTED = new Set(['_info', 'id']);

/** PUT with a partial body: the current record with the body's top-level properties laid over it. */
export function mergeForReplace(current: Record<string, Json>, body: Record<string, Json>): Record<string, Json> {
  const merged: Record<string, Json> = {};
  for (const [k, v] of Object.entries(current)) if (!COMPUTED.has(k)) merged[k] = v;
  for (const [k, v] of Object.entries(normalizeReferences(body))) if (!COMPUTED.has(k)) merged[k] = v;
  return merged;
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: Json;
}

const PATCH_OPS = new Set(['add', 'replace', 'remove']);

/**
 * A Cloud Elements PATCH body (a partial object) as a ConnectWise JSON-Patch array: one `replace` per property,
 * `remove` for null. A body that already is a JSON-Patch array passes through after a shape check.
 */
export function toJsonPatch(body: Json): PatchOperation[] | string {
  if (Array.isArray(body)) {
    for (const op of body) {
      if (
        !op ||
        typeof op !== 'object' ||
        !PATCH_OPS.has((op as PatchOperation).op) ||
        typeof (op as PatchOperation).path !== 'string'
      ) {
        return 'each JSON-Patch operation needs op (add|replace|remove) and path';
      }
    }
    return (body as PatchOperation[]).map((op) => ({ ...op, path: op.path.replace(/^\//, '') }));
  }
  if (!body || typeof body !== 'object') return 'the body must be a JSON object';
  const ops: PatchOperation[] = [];
  for (const [path, value] of Object.entries(normalizeReferences(body as Record<string, Json>))) {
    if (COMPUTED.has(path)) continue;
    ops.push(value === null ? { op: 'remove', path } : { op: 'replace', path, value });
  }
  return ops;
}
