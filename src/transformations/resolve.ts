// Which transformation applies to an instance's object, compiled once and cached per instance. Writes through
// this process forget the organization's entries at once; writes by another Conduit node are seen within
// RECHECK_MS, when a cheap fingerprint of the organization's rows (count, latest update) is compared again.
import type { PlatformDeps } from '../platform/index.ts';
import { findInstance, type InstanceRecord } from '../store/index.ts';
import {
  type DefinitionRecord,
  listDefinitions,
  listTransformations,
  type TransformationRecord,
  transformationsStamp,
} from '../store/transformations.ts';
import {
  type CompiledTransformation,
  compileTransformation,
  type Definition,
  type FieldType,
  mergeTransformations,
  type Transformation,
} from '../transform/index.ts';

const RECHECK_MS = 5_000;
/** A compiled transformation replaced by a newer one may still serve a request in flight: free it later. */
const DISPOSE_AFTER_MS = 60_000;

type Deps = Pick<PlatformDeps, 'store'>;

/** What applies to one instance under one name: the definition, both levels and their merge. */
export interface Effective {
  name: string;
  vendorName: string;
  definition?: Definition;
  definitionLevel?: 'organization' | 'instance';
  organization?: TransformationRecord;
  instance?: TransformationRecord;
  merged: Transformation;
}

interface Entry {
  generation: number;
  organizationId: number;
  stamp: string;
  checkedAt: number;
  effective: Map<string, Effective>;
  compiled: Map<string, Promise<CompiledTransformation>>;
}

const cache = new Map<number, Promise<Entry>>();
/** Bumped by every write in this process: entries of an older generation are rebuilt, not rechecked. */
let generation = 0;

export function toDefinition(d: DefinitionRecord): Definition {
  return { name: d.name, fields: d.fields.map((f) => ({ path: f.path, type: f.type as FieldType })) };
}

export function toTransformation(r: TransformationRecord): Transformation {
  return {
    level: r.level.level,
    vendorName: r.vendorName,
    fields: r.spec.fields as Transformation['fields'],
    ...(r.spec.configuration ? { configuration: r.spec.configuration as Transformation['configuration'] } : {}),
    ...(r.spec.script ? { script: r.spec.script } : {}),
  };
}

/** Every transformation that applies to the instance, by name (instance over organization, field by field). */
export async function effectiveTransformations(deps: Deps, instance: InstanceRecord): Promise<Map<string, Effective>> {
  const [definitions, transformations] = await Promise.all([
    listDefinitions(deps.store.db, instance.organizationId, { instanceId: instance.id }),
    listTransformations(deps.store.db, instance.organizationId, { instanceId: instance.id }),
  ]);
  const out = new Map<string, Effective>();
  const names = new Set(transformations.filter((t) => t.elementKey === instance.elementKey).map((t) => t.name));
  for (const name of names) {
    const org = transformations.find(
      (t) => t.name === name && t.level.level === 'organization' && t.elementKey === instance.elementKey,
    );
    const inst = transformations.find((t) => t.name === name && t.level.level === 'instance');
    const merged = mergeTransformations(org && toTransformation(org), inst && toTransformation(inst));
    if (!merged) continue;
    const def =
      definitions.find((d) => d.name === name && d.level.level === 'instance') ??
      definitions.find((d) => d.name === name && d.level.level === 'organization');
    out.set(name, {
      name,
      vendorName: merged.vendorName,
      ...(def ? { definition: toDefinition(def), definitionLevel: def.level.level } : {}),
      ...(org ? { organization: org } : {}),
      ...(inst ? { instance: inst } : {}),
      merged,
    });
  }
  return out;
}

function disposeLater(entry: Entry): void {
  if (entry.compiled.size === 0) return;
  setTimeout(() => {
    for (const p of entry.compiled.values()) p.then((c) => c.dispose()).catch(() => {});
  }, DISPOSE_AFTER_MS).unref();
}

async function loadEntry(deps: Deps, instanceId: number, previous?: Entry): Promise<Entry | undefined> {
  const instance = await findInstance(deps.store.db, instanceId);
  if (!instance) return undefined;
  const stamp = await transformationsStamp(deps.store.db, instance.organizationId);
  if (
    previous &&
    previous.generation === generation &&
    previous.stamp === stamp &&
    previous.organizationId === instance.organizationId
  ) {
    previous.checkedAt = Date.now();
    return previous;
  }
  if (previous) disposeLater(previous);
  return {
    generation,
    organizationId: instance.organizationId,
    stamp,
    checkedAt: Date.now(),
    effective: await effectiveTransformations(deps, instance),
    compiled: new Map(),
  };
}

async function entryFor(deps: Deps, instanceId: number): Promise<Entry | undefined> {
  const pending = cache.get(instanceId);
  if (pending) {
    const entry = await pending;
    if (entry.generation === generation && Date.now() - entry.checkedAt < RECHECK_MS) return entry;
  }
  const previous = pending ? await pending : undefined;
  const next = loadEntry(deps, instanceId, previous).then((e) => {
    if (!e) throw new Error('instance gone');
    return e;
  });
  cache.set(instanceId, next);
  try {
    return await next;
  } catch {
    if (cache.get(instanceId) === next) cache.delete(instanceId);
    return undefined;
  }
}

/** The names of the transformations that apply to the instance (cached). */
export async function transformedNames(deps: Deps, instanceId: number): Promise<string[]> {
  const entry = await entryFor(deps, instanceId);
  return entry ? [...entry.effective.keys()] : [];
}

/** The effective (merged) transformation of one name for the instance, if any (cached). */
export async function effectiveFor(deps: Deps, instanceId: number, name: string): Promise<Effective | undefined> {
  return (await entryFor(deps, instanceId))?.effective.get(name);
}

/**
 * The compiled transformation that applies to the instance's object `objectName` (a common resource name, or a
 * vendor object with a transformation of its own name), or undefined. Bulk and events call this.
 */
export async function transformationFor(
  deps: Deps,
  instanceId: string | number,
  objectName: string,
): Promise<CompiledTransformation | undefined> {
  const id = Number(instanceId);
  if (!Number.isSafeInteger(id)) return undefined;
  const entry = await entryFor(deps, id);
  const effective = entry?.effective.get(objectName);
  if (!entry || !effective) return undefined;
  let compiled = entry.compiled.get(objectName);
  if (!compiled) {
    compiled = compileTransformation(effective.definition, effective.merged);
    entry.compiled.set(objectName, compiled);
    // A failed compile is not cached: the next call tries again (and reports again).
    compiled.catch(() => entry.compiled.delete(objectName));
  }
  return compiled;
}

/** Forgets cached transformations after a write in this process (the next call rebuilds from the database). */
export function forgetTransformations(): void {
  generation++;
}
