// Turns a user's configuration object into the element's canonical string-valued configuration.

import { type ElementDefinition, findParameter } from '../elements/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';

export const MASK = '********';

export type ConfigMap = Record<string, string | null>;

// Keys Cloud Elements documents as copy-paste leftovers for this element: accepted and dropped.
const IGNORED = [/^oauth\./i, /^providerdata/i];

/** Canonical key for an input key, or undefined when the key is not one this element stores. */
export function canonicalKey(def: ElementDefinition, key: string): string | undefined {
  const param = findParameter(def, key);
  if (param) return param.key;
  const lower = key.toLowerCase();
  return Object.keys(def.defaults).find((k) => k.toLowerCase() === lower);
}

/**
 * Normalises input values to strings (Cloud Elements stores every value as a string), reporting every
 * value of the wrong type at once. Unknown and ignored keys are dropped.
 */
export function normalizeConfiguration(def: ElementDefinition, input: Record<string, unknown>): Result<ConfigMap> {
  const out: ConfigMap = {};
  const problems: string[] = [];
  for (const [rawKey, value] of Object.entries(input)) {
    if (IGNORED.some((re) => re.test(rawKey))) continue;
    const key = canonicalKey(def, rawKey);
    if (!key) continue;
    const param = findParameter(def, key);
    if (value === null || value === undefined) {
      out[key] = null;
    } else if (typeof value === 'string') {
      out[key] = value;
    } else if (typeof value === 'boolean' || typeof value === 'number') {
      if (param && (param.type === 'string' || param.type === 'password' || param.type === 'url')) {
        problems.push(`configuration.${param.key} must be a string`);
      } else out[key] = String(value);
    } else if (typeof value === 'object' && key === 'event.poller.configuration' && !Array.isArray(value)) {
      out[key] = JSON.stringify(value);
    } else {
      problems.push(`configuration.${param?.key ?? key} must be a string`);
    }
  }
  for (const [key, value] of Object.entries(out)) {
    const param = findParameter(def, key);
    if (param?.type === 'boolean' && value !== null && !/^(true|false|yes|no)$/i.test(value)) {
      problems.push(`configuration.${key} must be true or false`);
    } else if (param?.type === 'boolean' && value !== null) {
      out[key] = /^(true|yes)$/i.test(value) ? 'true' : 'false';
    }
    if (param?.type === 'number' && value !== null && value !== '' && !Number.isFinite(Number(value))) {
      problems.push(`configuration.${key} must be a number`);
    }
  }
  if (problems.length > 0) {
    return fail(
      appError('INVALID_PARAMETER', `Invalid configuration: ${problems.join('; ')}`, {
        field: problems[0]?.split(' ')[0],
      }),
    );
  }
  return ok(out);
}

/** Every required parameter must have a non-empty value; all missing ones are named together. */
export function checkRequired(def: ElementDefinition, config: ConfigMap): Result<void> {
  const missing = def.parameters.filter((p) => p.required && !(config[p.key] ?? '').trim()).map((p) => p.key);
  if (missing.length === 0) return ok(undefined);
  const names = missing.map((k) => (k === 'connectwise.clientid' ? 'connectwise.clientID' : k));
  return fail(
    appError('MISSING_PARAMETER', `Missing required configuration: ${names.join(', ')}`, {
      field: `configuration.${names[0]}`,
    }),
  );
}

/** Element defaults under user values, as stored and shown. */
export function withDefaults(def: ElementDefinition, config: ConfigMap): ConfigMap {
  return { ...def.defaults, ...config };
}

export function maskConfiguration(def: ElementDefinition, config: ConfigMap): ConfigMap {
  const out: ConfigMap = {};
  for (const [k, v] of Object.entries(config)) out[k] = findParameter(def, k)?.secret ? MASK : v;
  return out;
}
