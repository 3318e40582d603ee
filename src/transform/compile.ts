import type { CompiledTransformation, Definition, ScriptLimits, Transformation } from './types.ts';

export async function compileTransformation(
  def: Definition | undefined,
  t: Transformation,
  _opts: { limits?: Partial<ScriptLimits> } = {},
): Promise<CompiledTransformation> {
  return {
    name: def?.name ?? t.vendorName,
    vendorName: t.vendorName,
    toCommon: async (records) => records.map(() => ({ ok: true as const, value: {}, notes: [] })),
    toVendor: (body) => ({ ok: true, value: { ...body } }),
    translateQuery: (q) => ({ ok: true, value: q }),
    dispose: () => {},
  };
}
