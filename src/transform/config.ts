import { compileDatePattern, type DatePattern } from './date.ts';
import type { ConfigEntry, Problem } from './types.ts';

/** What a field's `configuration` list says, after checking it. */
export interface FieldRules {
  remove: boolean;
  /** Carried vendor → common (false: `passThrough` with `fromVendor: false`). */
  fromVendor: boolean;
  /** Carried common → vendor (false: `passThrough` with `toVendor: false`). */
  toVendor: boolean;
  /** `passThrough` present: carried values are copied untouched (no type coercion, no date transform). */
  passThrough: boolean;
  date?: DatePattern;
}

export const FIELD_CONFIG_TYPES = ['remove', 'passThrough', 'transformDate'] as const;
export const TRANSFORMATION_CONFIG_TYPES = ['removeUnmappedFields', 'inherit'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a field's configuration; problems are reported under `at` (e.g. "fields[2].configuration"). */
export function readFieldRules(configuration: unknown, at: string, problems: Problem[]): FieldRules {
  const rules: FieldRules = { remove: false, fromVendor: true, toVendor: true, passThrough: false };
  if (configuration === undefined) return rules;
  if (!Array.isArray(configuration)) {
    problems.push({ field: at, message: 'must be an array of {type, properties}' });
    return rules;
  }
  configuration.forEach((entry: unknown, i) => {
    const here = `${at}[${i}]`;
    if (!isRecord(entry) || typeof entry.type !== 'string') {
      problems.push({ field: `${here}.type`, message: `must be one of ${FIELD_CONFIG_TYPES.join(', ')}` });
      return;
    }
    const props = entry.properties;
    if (props !== undefined && !isRecord(props)) {
      problems.push({ field: `${here}.properties`, message: 'must be an object' });
      return;
    }
    switch (entry.type) {
      case 'remove':
        rules.remove = true;
        break;
      case 'passThrough': {
        rules.passThrough = true;
        for (const key of ['fromVendor', 'toVendor'] as const) {
          const v = props?.[key];
          if (v === undefined) continue;
          if (typeof v !== 'boolean')
            problems.push({ field: `${here}.properties.${key}`, message: 'must be true or false' });
          else rules[key] = v;
        }
        break;
      }
      case 'transformDate': {
        const pattern = props?.pattern;
        if (typeof pattern !== 'string') {
          problems.push({
            field: `${here}.properties.pattern`,
            message: "is required: a date pattern such as \"yyyy-MM-dd'T'HH:mm:ss'Z'\", or 'epoch' / 'epochMillis'",
          });
          break;
        }
        const compiled = compileDatePattern(pattern);
        if (compiled.ok) rules.date = compiled.value;
        else problems.push({ field: `${here}.properties.pattern`, message: compiled.message });
        break;
      }
      default:
        problems.push({
          field: `${here}.type`,
          message: `'${entry.type}' is not a field configuration type (use ${FIELD_CONFIG_TYPES.join(', ')})`,
        });
    }
  });
  return rules;
}

/** Transformation-level switches. */
export interface TransformationRules {
  removeUnmappedFields: boolean;
}

export function readTransformationRules(configuration: unknown, problems: Problem[]): TransformationRules {
  const rules: TransformationRules = { removeUnmappedFields: true };
  if (configuration === undefined) return rules;
  if (!Array.isArray(configuration)) {
    problems.push({ field: 'configuration', message: 'must be an array of {type, properties}' });
    return rules;
  }
  configuration.forEach((entry: unknown, i) => {
    const here = `configuration[${i}]`;
    if (!isRecord(entry) || typeof entry.type !== 'string') {
      problems.push({ field: `${here}.type`, message: `must be one of ${TRANSFORMATION_CONFIG_TYPES.join(', ')}` });
      return;
    }
    const props = entry.properties;
    if (props !== undefined && !isRecord(props)) {
      problems.push({ field: `${here}.properties`, message: 'must be an object' });
      return;
    }
    switch (entry.type) {
      case 'removeUnmappedFields': {
        const enabled = props?.enabled;
        if (enabled === undefined) break;
        if (typeof enabled !== 'boolean')
          problems.push({ field: `${here}.properties.enabled`, message: 'must be true or false' });
        else rules.removeUnmappedFields = enabled;
        break;
      }
      case 'inherit': {
        const enabled = props?.enabled;
        if (enabled !== undefined && typeof enabled !== 'boolean')
          problems.push({ field: `${here}.properties.enabled`, message: 'must be true or false' });
        break;
      }
      default:
        problems.push({
          field: `${here}.type`,
          message: `'${entry.type}' is not a transformation configuration type (use ${TRANSFORMATION_CONFIG_TYPES.join(', ')})`,
        });
    }
  });
  return rules;
}

export type { ConfigEntry };
