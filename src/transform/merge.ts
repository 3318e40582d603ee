import type { ConfigEntry, Transformation, TransformationField } from './types.ts';

/**
 * Instance over organization, field by field:
 * - a field present at instance level replaces the org field of the same `path`; org fields not overridden are
 *   inherited (org order first, then the instance's new fields);
 * - transformation-level configuration entries: an instance entry replaces the org entry of the same `type`;
 * - the instance script replaces the org script when present;
 * - the instance opts out of inheriting with `{type:'inherit', properties:{enabled:false}}`, or by mapping a
 *   different `vendorName` (org field paths would not apply to another vendor object): then only the instance applies.
 */
export function mergeTransformations(
  org: Transformation | undefined,
  inst: Transformation | undefined,
): Transformation | undefined {
  if (!inst) return org;
  if (!org || !inheritsFromOrganization(inst) || org.vendorName !== inst.vendorName) return inst;

  const instByPath = new Map<string, TransformationField>(inst.fields.map((f) => [f.path, f]));
  const fields: TransformationField[] = org.fields.map((f) => instByPath.get(f.path) ?? f);
  const orgPaths = new Set(org.fields.map((f) => f.path));
  for (const f of inst.fields) if (!orgPaths.has(f.path)) fields.push(f);

  const configuration = mergeConfiguration(org.configuration, inst.configuration);
  const script = inst.script ?? org.script;
  return {
    level: 'instance',
    vendorName: inst.vendorName,
    fields,
    ...(configuration ? { configuration } : {}),
    ...(script ? { script } : {}),
  };
}

function inheritsFromOrganization(t: Transformation): boolean {
  const entry = t.configuration?.find((c) => c.type === 'inherit');
  return entry?.properties?.enabled !== false;
}

function mergeConfiguration(
  org: ConfigEntry[] | undefined,
  inst: ConfigEntry[] | undefined,
): ConfigEntry[] | undefined {
  if (!org) return inst;
  if (!inst) return org;
  const instTypes = new Set(inst.map((c) => c.type));
  return [...org.filter((c) => !instTypes.has(c.type)), ...inst];
}
