import { parseWhere, printWhere, type WhereNode } from '../ceql/index.ts';
import { type FieldRules, readFieldRules, readTransformationRules } from './config.ts';
import { formatDate, parseDate, readVendorDate, writeVendorDate } from './date.ts';
import { getNames, getPath, parseCommonPath, parseVendorPath, setNames, setPath, type VendorPath } from './path.ts';
import { ScriptRuntime } from './script/sandbox.ts';
import type {
  CompiledTransformation,
  Definition,
  FieldNote,
  FieldType,
  Mapped,
  QueryParts,
  ScriptLimits,
  Transformation,
} from './types.ts';

/** Records per sandbox call: bounds the JSON copied into one guest call (memory) and the work under one deadline. */
const SCRIPT_BATCH = 200;

/**
 * The top-level keys of `originalObject` a script reads, when every mention is a literal member access
 * (`originalObject.firstName`, `originalObject['x']`); undefined when the script may read anything (the whole
 * object is passed then). Copying only those keys into the sandbox is what makes a script per record affordable:
 * a ConnectWise contact is ~1.3 KiB of JSON, and copying text into the guest dominates the cost of a page.
 */
export function originalKeysRead(body: string): string[] | undefined {
  if (/\barguments\b/.test(body)) return undefined; // arguments[0] is originalObject
  const mentions = body.match(/\boriginalObject\b/g)?.length ?? 0;
  const keys = new Set<string>();
  let literal = 0;
  for (const m of body.matchAll(
    /\boriginalObject\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\])/g,
  )) {
    literal++;
    keys.add((m[1] ?? m[2] ?? m[3]) as string);
  }
  return literal === mentions ? [...keys] : undefined;
}

/**
 * filterEmptyResponse: a record whose script gave null, undefined or {} keeps its place in toCommon's answer (one
 * result per record, same order) as `{}` carrying this note; lists and exports leave it out (isFilteredOut).
 */
export const FILTERED_OUT_NOTE =
  'filtered out: the script gave an empty response and script.filterEmptyResponse is true';

export function isFilteredOut(m: Mapped): boolean {
  return m.ok && m.notes.length > 0 && m.notes[m.notes.length - 1]?.note === FILTERED_OUT_NOTE;
}

/** One mapped field, compiled once: no per-record parsing or closures. */
interface FieldPlan {
  path: string;
  names: string[];
  vendor: VendorPath | undefined;
  /** Dotted-only vendorPath, read with the fast name loop. */
  vendorNames: string[] | undefined;
  type: FieldType | undefined;
  vendorType: string | undefined;
  rules: FieldRules;
}

type QueryError = { field: string; message: string };

export class TransformationError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (Object.hasOwn(record, key) && key !== '__proto__') out[key] = record[key];
  return out;
}

function describeType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Vendor → common value conversion by the common field type; notes say what changed. */
function coerce(v: unknown, plan: FieldPlan, notes: FieldNote[]): unknown {
  if (plan.rules.date) {
    const date = readVendorDate(v);
    if (!date) {
      notes.push({ path: plan.path, note: `not a date (${JSON.stringify(v)}): kept as is` });
      return v;
    }
    return formatDate(date, plan.rules.date);
  }
  const type = plan.type;
  if (type === undefined || v === null) return v;
  const from = describeType(v);
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      notes.push({ path: plan.path, note: `coerced ${from}→string` });
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'number': {
      if (typeof v === 'number') return v;
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'boolean' ? Number(v) : Number.NaN;
      if (Number.isFinite(n)) {
        notes.push({ path: plan.path, note: `coerced ${from}→number` });
        return n;
      }
      notes.push({ path: plan.path, note: `${JSON.stringify(v)} is not a number: set to null` });
      return null;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 1 || v === 'false' || v === 0) {
        notes.push({ path: plan.path, note: `coerced ${from}→boolean` });
        return v === 'true' || v === 1;
      }
      notes.push({ path: plan.path, note: `${JSON.stringify(v)} is not a boolean: set to null` });
      return null;
    case 'date': {
      if (typeof v === 'string' && readVendorDate(v)) return v;
      const date = typeof v === 'number' ? readVendorDate(v) : undefined;
      if (date) {
        notes.push({ path: plan.path, note: 'coerced number→date (epoch milliseconds to ISO-8601)' });
        return date.toISOString();
      }
      notes.push({ path: plan.path, note: `${JSON.stringify(v)} is not a date: set to null` });
      return null;
    }
    case 'object':
      if (isRecord(v)) return v;
      notes.push({ path: plan.path, note: `${from} is not an object: set to null` });
      return null;
    case 'array':
      if (Array.isArray(v)) return v;
      notes.push({ path: plan.path, note: `coerced ${from}→array (wrapped)` });
      return [v];
  }
}

/** Common → vendor value conversion (`transformDate` reversed, `vendorType`); a string is an error message. */
function toVendorValue(v: unknown, plan: FieldPlan): { ok: true; value: unknown } | { ok: false; message: string } {
  if (v === null) return { ok: true, value: null };
  if (plan.rules.date) {
    const date = parseDate(v, plan.rules.date);
    if (!date)
      return {
        ok: false,
        message: `${plan.path}: ${JSON.stringify(v)} does not match the date pattern '${plan.rules.date.kind === 'epoch' ? (plan.rules.date.millis ? 'epochMillis' : 'epoch') : plan.rules.date.source}'`,
      };
    return { ok: true, value: writeVendorDate(date) };
  }
  switch (plan.vendorType) {
    case 'number':
    case 'integer': {
      if (typeof v === 'number') return { ok: true, value: v };
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      if (Number.isFinite(n) && (plan.vendorType === 'number' || Number.isInteger(n))) return { ok: true, value: n };
      return {
        ok: false,
        message: `${plan.path}: ${JSON.stringify(v)} is not ${plan.vendorType === 'integer' ? 'an integer' : 'a number'}`,
      };
    }
    case 'boolean':
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (v === 'true' || v === 'false') return { ok: true, value: v === 'true' };
      return { ok: false, message: `${plan.path}: ${JSON.stringify(v)} is not a boolean` };
    case 'string':
      return { ok: true, value: typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v) };
    default:
      return { ok: true, value: v };
  }
}

/** Top-level keys the script added, removed or changed. */
function scriptNotes(before: Record<string, unknown>, after: Record<string, unknown>, notes: FieldNote[]): void {
  for (const key of Object.keys(after)) {
    const a = after[key];
    const b = before[key];
    if (!Object.hasOwn(before, key)) notes.push({ path: key, note: 'set by script' });
    else if (a !== b && (typeof a !== 'object' || typeof b !== 'object' || JSON.stringify(a) !== JSON.stringify(b)))
      notes.push({ path: key, note: 'changed by script' });
  }
  for (const key of Object.keys(before))
    if (!Object.hasOwn(after, key)) notes.push({ path: key, note: 'removed by script' });
}

/**
 * Compiles a (merged) transformation: paths parsed once, configuration read once, the script compiled into its own
 * sandbox runtime. Throws TransformationError when the transformation does not validate (save-time validation
 * should have caught it).
 */
export async function compileTransformation(
  def: Definition | undefined,
  t: Transformation,
  opts: { limits?: Partial<ScriptLimits> } = {},
): Promise<CompiledTransformation> {
  const problems: { field: string; message: string }[] = [];
  const transformationRules = readTransformationRules(t.configuration, problems);
  const defTypes = new Map<string, FieldType>((def?.fields ?? []).map((f) => [f.path, f.type]));

  const plans: FieldPlan[] = [];
  t.fields.forEach((field, i) => {
    const names = parseCommonPath(field.path);
    if (!names.ok) {
      problems.push({ field: `fields[${i}].path`, message: names.message });
      return;
    }
    let vendor: VendorPath | undefined;
    if (field.vendorPath !== undefined && field.vendorPath !== '') {
      const parsed = parseVendorPath(field.vendorPath);
      if (!parsed.ok) {
        problems.push({ field: `fields[${i}].vendorPath`, message: parsed.error.message });
        return;
      }
      vendor = parsed.value;
    }
    const rules = readFieldRules(field.configuration, `fields[${i}].configuration`, problems);
    plans.push({
      path: field.path,
      names: names.value,
      vendor,
      vendorNames: vendor?.plain ? vendor.steps.map((s) => (s as { name: string }).name) : undefined,
      type: field.type ?? defTypes.get(field.path),
      vendorType: field.vendorType,
      rules,
    });
  });
  if (problems.length > 0) throw new TransformationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '));

  const readPlans = plans.filter((p) => p.vendor && !p.rules.remove && p.rules.fromVendor);
  const writePlans = plans.filter((p) => p.vendor && !p.vendor.size && !p.rules.remove && p.rules.toVendor);
  const removeUnmapped = transformationRules.removeUnmappedFields;
  /** Vendor top-level keys a field reads (or removes): never copied through when unmapped fields are kept. */
  const consumedVendorRoots = new Set(plans.flatMap((p) => (p.vendor ? [p.vendor.root] : [])));
  const commonRoots = new Set(plans.map((p) => p.names[0] as string));
  const byPath = new Map(plans.map((p) => [p.path, p]));
  const byLowerPath = new Map(plans.map((p) => [p.path.toLowerCase(), p]));
  const defPaths = new Set(def?.fields.map((f) => f.path) ?? []);

  const script = t.script?.body?.trim() ? t.script : undefined;
  const runtime = script
    ? new ScriptRuntime(script.body, ['originalObject', 'transformedObject'], opts.limits)
    : undefined;
  const filterEmpty = script?.filterEmptyResponse === true;
  const originalKeys = script ? originalKeysRead(script.body) : undefined;
  const name = def?.name ?? t.vendorName;

  function mapRecord(record: unknown): Mapped {
    if (!isRecord(record))
      return {
        ok: false,
        error: { code: 'MAPPING_ERROR', message: `the vendor record is ${describeType(record)}, not an object` },
      };
    const value: Record<string, unknown> = {};
    const notes: FieldNote[] = [];
    if (!removeUnmapped)
      for (const key of Object.keys(record))
        if (!consumedVendorRoots.has(key) && key !== '__proto__') value[key] = record[key];
    for (const plan of readPlans) {
      let v = plan.vendorNames ? getNames(record, plan.vendorNames) : getPath(record, plan.vendor as VendorPath);
      if (v === undefined) {
        notes.push({ path: plan.path, note: 'vendorPath missing in record' });
        continue;
      }
      if (!plan.rules.passThrough) v = coerce(v, plan, notes);
      if (plan.names.length === 1) value[plan.path] = v;
      else setNames(value, plan.names, v);
    }
    return { ok: true, value, notes };
  }

  async function applyScript(records: unknown[], mapped: Mapped[]): Promise<Mapped[]> {
    if (!runtime) return mapped;
    const positions: number[] = [];
    const items: unknown[][] = [];
    mapped.forEach((m, i) => {
      if (m.ok) {
        positions.push(i);
        items.push([originalKeys ? pick(records[i] as Record<string, unknown>, originalKeys) : records[i], m.value]);
      }
    });
    for (let start = 0; start < items.length; start += SCRIPT_BATCH) {
      const outcomes = await runtime.runBatch(items.slice(start, start + SCRIPT_BATCH));
      outcomes.forEach((outcome, k) => {
        const i = positions[start + k] as number;
        const before = mapped[i] as Extract<Mapped, { ok: true }>;
        if (!outcome.ok) {
          mapped[i] = { ok: false, error: outcome.error };
          return;
        }
        const v = outcome.value;
        const empty = v === null || v === undefined || (isRecord(v) && Object.keys(v).length === 0);
        if (empty && filterEmpty) {
          mapped[i] = { ok: true, value: {}, notes: [...before.notes, { path: '', note: FILTERED_OUT_NOTE }] };
          return;
        }
        if (v === null || v === undefined) {
          mapped[i] = { ok: true, value: {}, notes: [...before.notes, { path: '', note: 'script returned null' }] };
          return;
        }
        if (!isRecord(v)) {
          mapped[i] = {
            ok: false,
            error: { code: 'SCRIPT_ERROR', message: `done() must be given an object, got ${describeType(v)}` },
          };
          return;
        }
        const notes = before.notes;
        scriptNotes(before.value, v, notes);
        mapped[i] = { ok: true, value: v, notes };
      });
    }
    return mapped;
  }

  function lookup(fieldName: string): FieldPlan | undefined {
    return byPath.get(fieldName) ?? byLowerPath.get(fieldName.toLowerCase());
  }

  /** The vendor name for a common name, or why it cannot be pushed down. */
  function vendorNameFor(
    fieldName: string,
    part: 'where' | 'orderBy' | 'fields',
  ): { ok: true; plan?: FieldPlan; name: string } | { ok: false; error: QueryError } {
    const plan = lookup(fieldName);
    const fail = (message: string) => ({ ok: false as const, error: { field: part, message } });
    if (!plan?.vendor) {
      if (plan || defPaths.has(fieldName))
        return fail(
          script
            ? `'${fieldName}' is produced only by the script of ${name}; a ${part} on it cannot be sent to the vendor (map it with a vendorPath, or filter on a mapped field)`
            : `'${fieldName}' has no vendorPath in the transformation of ${name}, so a ${part} on it cannot be sent to the vendor`,
        );
      if (!removeUnmapped && !commonRoots.has(fieldName.split('.')[0] as string)) return { ok: true, name: fieldName };
      return fail(
        `'${fieldName}' is not a field of ${name} (fields: ${plans
          .filter((p) => p.vendor)
          .map((p) => p.path)
          .join(', ')})`,
      );
    }
    if (plan.rules.remove) return fail(`'${fieldName}' is removed by the transformation of ${name}`);
    if (!plan.rules.fromVendor)
      return fail(`'${fieldName}' is not read from the vendor (passThrough fromVendor: false)`);
    if (plan.vendor.plain) return { ok: true, plan, name: plan.vendor.source.replace(/^\$\./, '') };
    if (part === 'fields') return { ok: true, plan, name: plan.vendor.root };
    return fail(
      `'${fieldName}' is mapped through '${plan.vendor.source}' (an index, filter or size()), which cannot be used in ${part}; use a field mapped by a plain dotted vendorPath`,
    );
  }

  function renameWhere(node: WhereNode): QueryError | undefined {
    switch (node.kind) {
      case 'and':
      case 'or':
        for (const operand of node.operands) {
          const err = renameWhere(operand);
          if (err) return err;
        }
        return undefined;
      default: {
        const r = vendorNameFor(node.field.name, 'where');
        if (!r.ok) return r.error;
        node.field.name = r.name;
        const date = r.plan?.rules.date;
        if (date && !r.plan?.rules.passThrough) {
          // The vendor compares its own date format: turn a literal in the common pattern into ConnectWise's.
          const literals = node.kind === 'comparison' ? [node.value] : node.kind === 'in' ? node.values : [];
          for (const literal of literals) {
            if (literal.kind === 'null' || literal.kind === 'boolean') continue;
            const parsed = parseDate(literal.kind === 'number' ? Number(literal.value) : literal.value, date);
            if (!parsed)
              return {
                field: 'where',
                message: `'${literal.value}' for '${r.plan?.path}' does not match its date pattern '${date.kind === 'pattern' ? date.source : date.millis ? 'epochMillis' : 'epoch'}'`,
              };
            Object.assign(literal, { kind: 'string', value: writeVendorDate(parsed) });
          }
        }
        return undefined;
      }
    }
  }

  function translateList(
    text: string,
    part: 'orderBy' | 'fields',
  ): { ok: true; value: string } | { ok: false; error: QueryError } {
    const out: string[] = [];
    for (const raw of text.split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      let fieldName = item;
      let suffix = '';
      if (part === 'orderBy') {
        const m = /^(\S+)(?:\s+(asc|desc))?$/i.exec(item);
        if (!m?.[1])
          return {
            ok: false,
            error: { field: 'orderBy', message: `'${item}' is not 'field', 'field asc' or 'field desc'` },
          };
        fieldName = m[1];
        suffix = m[2] ? ` ${m[2].toLowerCase()}` : '';
      }
      const r = vendorNameFor(fieldName, part);
      if (!r.ok) return r;
      const entry = `${r.name}${suffix}`;
      if (!out.includes(entry)) out.push(entry);
    }
    return { ok: true, value: out.join(',') };
  }

  return {
    name,
    vendorName: t.vendorName,
    async toCommon(records) {
      const mapped = records.map(mapRecord);
      return applyScript(records, mapped);
    },
    toVendor(body) {
      if (!isRecord(body))
        return { ok: false, error: { code: 'MAPPING_ERROR', message: 'the body must be a JSON object' } };
      const out: Record<string, unknown> = {};
      if (!removeUnmapped)
        for (const key of Object.keys(body)) if (!commonRoots.has(key) && key !== '__proto__') out[key] = body[key];
      for (const plan of writePlans) {
        const v = getNames(body, plan.names);
        if (v === undefined) continue;
        let value: unknown = v;
        if (!plan.rules.passThrough) {
          const converted = toVendorValue(v, plan);
          if (!converted.ok) return { ok: false, error: { code: 'MAPPING_ERROR', message: converted.message } };
          value = converted.value;
        }
        const err = setPath(out, plan.vendor as VendorPath, value);
        if (err) return { ok: false, error: { code: 'MAPPING_ERROR', message: `${plan.path}: ${err}` } };
      }
      return { ok: true, value: out };
    },
    translateQuery(q) {
      const value: QueryParts = {};
      if (q.where !== undefined && q.where.trim() !== '') {
        const parsed = parseWhere(q.where);
        if (!parsed.ok) return { ok: false, error: { field: 'where', message: parsed.error.message } };
        const err = renameWhere(parsed.value);
        if (err) return { ok: false, error: err };
        value.where = printWhere(parsed.value);
      }
      if (q.orderBy !== undefined && q.orderBy.trim() !== '') {
        const r = translateList(q.orderBy, 'orderBy');
        if (!r.ok) return r;
        value.orderBy = r.value;
      }
      if (q.fields !== undefined && q.fields.trim() !== '') {
        const r = translateList(q.fields, 'fields');
        if (!r.ok) return r;
        value.fields = r.value;
      }
      return { ok: true, value };
    },
    dispose() {
      runtime?.dispose();
    },
  };
}
