// Loads element definitions (data) and validates them at start-up: an invalid definition stops the process.
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { type ElementDefinition, ElementDefinitionSchema, type ElementParameter } from './schema.ts';

export class ElementDefinitionError extends Error {
  override name = 'ElementDefinitionError';
}

/** Named functions an element may refer to from its data; a definition naming a missing hook fails to load. */
export const elementHooks: Record<string, true> = { assignTicketMember: true };

export function validateElementDefinition(raw: unknown, source: string): ElementDefinition {
  const errors = [...Value.Errors(ElementDefinitionSchema, raw)];
  if (errors.length > 0) {
    const list = errors.slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new ElementDefinitionError(`element definition ${source} is invalid:\n  ${list.join('\n  ')}`);
  }
  const def = raw as ElementDefinition;
  const problems: string[] = [];
  const names = new Set<string>();
  for (const r of def.resources) {
    if (names.has(r.name)) problems.push(`resource ${r.name} is declared twice`);
    names.add(r.name);
    for (const c of r.children ?? []) {
      if (c.hook && !elementHooks[c.hook]) problems.push(`resource ${r.name}/${c.name} names unknown hook ${c.hook}`);
    }
  }
  for (const h of def.hooks) if (!elementHooks[h]) problems.push(`unknown hook ${h}`);
  const keys = new Set<string>();
  for (const p of def.parameters) {
    for (const k of new Set([p.key, ...(p.aliases ?? [])].map((k) => k.toLowerCase()))) {
      if (keys.has(k)) problems.push(`parameter key ${k} is declared twice`);
      keys.add(k);
    }
  }
  if (problems.length > 0)
    throw new ElementDefinitionError(`element definition ${source} is invalid:\n  ${problems.join('\n  ')}`);
  return def;
}

const builtIn = ['connectwisecrmrest'];

function loadBuiltIn(key: string): ElementDefinition {
  const url = new URL(`./${key}/definition.json`, import.meta.url);
  return validateElementDefinition(JSON.parse(readFileSync(url, 'utf8')), `${key}/definition.json`);
}

export interface ElementCatalog {
  list(): ElementDefinition[];
  /** By key or numeric id (Cloud Elements accepts either in paths). */
  find(keyOrId: string | number): ElementDefinition | undefined;
}

export function loadElementCatalog(): ElementCatalog {
  const defs = builtIn.map(loadBuiltIn);
  return {
    list: () => defs,
    find: (keyOrId) => defs.find((d) => d.key === String(keyOrId).toLowerCase() || String(d.id) === String(keyOrId)),
  };
}

/** Canonical parameter for a user-supplied configuration key (case-insensitive, aliases such as baseURL). */
export function findParameter(def: ElementDefinition, key: string): ElementParameter | undefined {
  const lower = key.toLowerCase();
  return def.parameters.find((p) => p.key.toLowerCase() === lower || p.aliases?.some((a) => a.toLowerCase() === lower));
}

export function isSecretKey(def: ElementDefinition, key: string): boolean {
  return findParameter(def, key)?.secret === true;
}

/** Fills {config.key} placeholders; a missing key renders empty. */
export function renderTemplate(template: string, config: Record<string, string | null | undefined>): string {
  return template.replace(/\{([^{}]+)\}/g, (_, k: string) => config[k] ?? '');
}
