import { readFieldRules, readTransformationRules } from './config.ts';
import { parseCommonPath, parseVendorPath } from './path.ts';
import { checkScript, MAX_SCRIPT_BYTES } from './script/index.ts';
import { type Definition, FIELD_TYPES, type Problem, type Transformation } from './types.ts';

export const MAX_FIELDS = 500;
const NAME = /^[A-Za-z0-9_-]{1,100}$/;
const VENDOR_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'object', 'array'];
const SCRIPT_MIME_TYPES = ['application/javascript', 'text/javascript'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Paths that cannot both exist: `address` as a scalar and `address.city`. */
function checkPathConflicts(paths: { path: string; type?: string; at: string }[], problems: Problem[]): void {
  const byPath = new Map(paths.map((p) => [p.path, p]));
  for (const p of paths) {
    const names = p.path.split('.');
    for (let k = 1; k < names.length; k++) {
      const parent = byPath.get(names.slice(0, k).join('.'));
      if (parent && parent.type !== undefined && parent.type !== 'object')
        problems.push({
          field: p.at,
          message: `'${p.path}' is inside '${parent.path}', which has type ${parent.type} (make it an object or rename one)`,
        });
    }
  }
}

/** Save-time validation of a definition (the common model). Empty array = valid. */
export function validateDefinition(def: Definition): Problem[] {
  const problems: Problem[] = [];
  if (!isRecord(def)) return [{ field: '', message: 'must be an object with name and fields' }];
  if (typeof def.name !== 'string' || !NAME.test(def.name))
    problems.push({ field: 'name', message: 'must be 1-100 letters, digits, _ or -' });
  if (!Array.isArray(def.fields)) {
    problems.push({ field: 'fields', message: 'must be an array of {path, type}' });
    return problems;
  }
  if (def.fields.length > MAX_FIELDS) problems.push({ field: 'fields', message: `at most ${MAX_FIELDS} fields` });
  const seen = new Set<string>();
  const paths: { path: string; type?: string; at: string }[] = [];
  def.fields.forEach((field: unknown, i) => {
    const at = `fields[${i}]`;
    if (!isRecord(field)) {
      problems.push({ field: at, message: 'must be an object {path, type}' });
      return;
    }
    if (typeof field.path !== 'string')
      problems.push({ field: `${at}.path`, message: 'is required (a dotted path such as address.city)' });
    else {
      const parsed = parseCommonPath(field.path);
      if (!parsed.ok) problems.push({ field: `${at}.path`, message: parsed.message });
      else if (seen.has(field.path)) problems.push({ field: `${at}.path`, message: `'${field.path}' appears twice` });
      else {
        seen.add(field.path);
        paths.push({
          path: field.path,
          type: typeof field.type === 'string' ? field.type : undefined,
          at: `${at}.path`,
        });
      }
    }
    if (typeof field.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(field.type))
      problems.push({ field: `${at}.type`, message: `must be one of ${FIELD_TYPES.join(', ')}` });
  });
  checkPathConflicts(paths, problems);
  return problems;
}

/**
 * Save-time validation of a transformation, against its definition when given: paths and types, vendorPath syntax
 * (the message names the position), configuration, and a script that must compile (the message names the line).
 */
export async function validateTransformation(t: Transformation, def?: Definition): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (!isRecord(t)) return [{ field: '', message: 'must be an object with level, vendorName and fields' }];
  if (t.level !== 'organization' && t.level !== 'instance')
    problems.push({ field: 'level', message: "must be 'organization' or 'instance'" });
  if (typeof t.vendorName !== 'string' || !NAME.test(t.vendorName))
    problems.push({ field: 'vendorName', message: "is required: the vendor object's name, e.g. contacts" });
  readTransformationRules(t.configuration, problems);

  const defTypes = new Map<string, string>((def?.fields ?? []).map((f) => [f.path, f.type]));
  if (!Array.isArray(t.fields))
    problems.push({ field: 'fields', message: 'must be an array of {path, vendorPath, …}' });
  else {
    if (t.fields.length > MAX_FIELDS) problems.push({ field: 'fields', message: `at most ${MAX_FIELDS} fields` });
    const seen = new Set<string>();
    const paths: { path: string; type?: string; at: string }[] = [];
    t.fields.forEach((field: unknown, i) => {
      const at = `fields[${i}]`;
      if (!isRecord(field)) {
        problems.push({ field: at, message: 'must be an object {path, vendorPath, …}' });
        return;
      }
      if (typeof field.path !== 'string') {
        problems.push({ field: `${at}.path`, message: 'is required (the common field, e.g. address.city)' });
      } else {
        const parsed = parseCommonPath(field.path);
        if (!parsed.ok) problems.push({ field: `${at}.path`, message: parsed.message });
        else if (seen.has(field.path))
          problems.push({ field: `${at}.path`, message: `'${field.path}' is mapped twice` });
        else {
          seen.add(field.path);
          if (def && !defTypes.has(field.path) && !insideObjectField(field.path, defTypes))
            problems.push({
              field: `${at}.path`,
              message: `'${field.path}' is not a field of definition '${def.name}' (fields: ${[...defTypes.keys()].join(', ')})`,
            });
          const type = typeof field.type === 'string' ? field.type : defTypes.get(field.path);
          paths.push({ path: field.path, ...(type !== undefined ? { type } : {}), at: `${at}.path` });
        }
      }
      if (
        field.type !== undefined &&
        (typeof field.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(field.type))
      )
        problems.push({ field: `${at}.type`, message: `must be one of ${FIELD_TYPES.join(', ')}` });
      if (field.vendorPath !== undefined && field.vendorPath !== '') {
        if (typeof field.vendorPath !== 'string')
          problems.push({ field: `${at}.vendorPath`, message: 'must be a string' });
        else {
          const parsed = parseVendorPath(field.vendorPath);
          if (!parsed.ok) problems.push({ field: `${at}.vendorPath`, message: parsed.error.message });
        }
      }
      if (
        field.vendorType !== undefined &&
        (typeof field.vendorType !== 'string' || !VENDOR_TYPES.includes(field.vendorType))
      )
        problems.push({ field: `${at}.vendorType`, message: `must be one of ${VENDOR_TYPES.join(', ')}` });
      readFieldRules(field.configuration, `${at}.configuration`, problems);
    });
    checkPathConflicts(paths, problems);
  }

  if (t.script !== undefined && t.script !== null) {
    const script: unknown = t.script;
    if (!isRecord(script))
      problems.push({ field: 'script', message: 'must be an object {body, mimeType, filterEmptyResponse}' });
    else {
      if (typeof script.body !== 'string')
        problems.push({ field: 'script.body', message: 'must be a string of JavaScript' });
      else if (Buffer.byteLength(script.body) > MAX_SCRIPT_BYTES)
        problems.push({ field: 'script.body', message: `longer than ${MAX_SCRIPT_BYTES} bytes` });
      else if (script.body.trim() !== '') problems.push(...(await checkScript(script.body)));
      if (
        script.mimeType !== undefined &&
        (typeof script.mimeType !== 'string' || !SCRIPT_MIME_TYPES.includes(script.mimeType))
      )
        problems.push({ field: 'script.mimeType', message: `must be ${SCRIPT_MIME_TYPES.join(' or ')}` });
      if (script.filterEmptyResponse !== undefined && typeof script.filterEmptyResponse !== 'boolean')
        problems.push({ field: 'script.filterEmptyResponse', message: 'must be true or false' });
    }
  }
  return problems;
}

/** `address.geo.lat` may be mapped when the definition has `address.geo` (or `address`) as an object. */
function insideObjectField(path: string, defTypes: Map<string, string>): boolean {
  const names = path.split('.');
  for (let k = 1; k < names.length; k++) if (defTypes.get(names.slice(0, k).join('.')) === 'object') return true;
  return false;
}
