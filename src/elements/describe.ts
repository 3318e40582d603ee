// Derives the Cloud Elements-shaped views of an element (catalog object, configuration rows, models) from its data.
import type { ElementDefinition, ElementResource } from './schema.ts';

const httpMethod: Record<string, string> = {
  list: 'GET',
  get: 'GET',
  count: 'GET',
  create: 'POST',
  replace: 'PUT',
  update: 'PATCH',
  delete: 'DELETE',
  attach: 'PUT',
};

function resourceRows(def: ElementDefinition) {
  const rows: Array<Record<string, unknown>> = [];
  let id = 1;
  for (const r of def.resources) {
    for (const m of r.methods) {
      const withId = m === 'get' || m === 'replace' || m === 'update' || m === 'delete';
      const suffix = m === 'count' ? '/count' : withId ? '/{id}' : '';
      rows.push({
        id: id++,
        path: `/hubs/${def.hub}/${r.name}${suffix}`,
        method: httpMethod[m],
        vendorPath: `${r.vendorPath}${suffix}`,
        vendorMethod: httpMethod[m],
        description: `${m} ${r.label.toLowerCase()}`,
        type: 'api',
        ownerAccountId: null,
        operationId: `${m}${r.name}`,
      });
    }
    for (const c of r.children ?? []) {
      for (const m of c.methods) {
        const withId = m === 'get' || m === 'replace' || m === 'update' || m === 'delete';
        rows.push({
          id: id++,
          path: `/hubs/${def.hub}/${r.name}/{id}/${c.name}${withId ? `/{${c.name}Id}` : ''}`,
          method: httpMethod[m],
          vendorPath: c.vendorPath,
          vendorMethod: httpMethod[m],
          description: `${m} ${c.name} of ${r.label.toLowerCase()}`,
          type: 'api',
          operationId: `${m}${r.name}${c.name}`,
        });
      }
    }
  }
  return rows;
}

const jsonType: Record<string, string> = { string: 'string', number: 'integer', boolean: 'boolean', date: 'string' };

/** A JSON-schema-like model per resource, from the fields the element declares. */
export function resourceModel(r: ElementResource): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [path, type] of Object.entries(r.fields)) {
    const parts = path.split('.');
    let target = properties;
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1) {
        target[part] = { type: jsonType[type], ...(type === 'date' ? { format: 'date-time' } : {}) };
      } else {
        const existing = target[part] as { type: string; properties: Record<string, unknown> } | undefined;
        const next = existing?.properties ?? {};
        target[part] = { type: 'object', properties: next };
        target = next;
      }
    }
  }
  return { name: r.name, vendorName: r.vendorName, type: 'object', properties, required: r.required ?? [] };
}

export function configurationRows(def: ElementDefinition) {
  return def.parameters.map((p, i) => ({
    id: i + 1,
    key: p.key,
    name: p.name,
    type: p.type,
    required: p.required,
    default: p.default ?? null,
    defaultValue: p.default ?? null,
    description: p.description,
    hidden: p.hidden ?? false,
    hideFromConsole: p.hidden ?? false,
    displayOrder: i + 1,
    secret: p.secret ?? false,
    group: p.group ?? 'general',
    ...(p.aliases ? { aliases: p.aliases } : {}),
    ...(p.allowedHosts ? { allowedHosts: p.allowedHosts } : {}),
    ...(p.options ? { options: p.options } : {}),
  }));
}

const described = new WeakMap<ElementDefinition, ReturnType<typeof describeElement>>();

/**
 * The `element` object embedded in instance responses and served at GET /elements/{key}. Derived once per
 * definition (definitions are immutable after start-up) and frozen so no caller can change the shared copy.
 */
export function elementObject(def: ElementDefinition): ReturnType<typeof describeElement> {
  let found = described.get(def);
  if (!found) {
    found = deepFreeze(describeElement(def));
    described.set(def, found);
  }
  return found;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function describeElement(def: ElementDefinition) {
  return {
    id: def.id,
    name: def.name,
    key: def.key,
    description: def.description,
    image: def.image,
    logo: def.logo,
    ...def.flags,
    resources: resourceRows(def),
    objects: def.resources.map((r) => ({ name: r.name, vendorName: r.vendorName, type: 'vendor' })),
    models: def.resources.map(resourceModel),
    authentication: def.authentication,
    hub: def.hub,
    protocolType: def.protocolType,
    parameters: configurationRows(def),
    configuration: configurationRows(def),
  };
}
