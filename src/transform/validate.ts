import type { Definition, Problem, Transformation } from './types.ts';

export function validateDefinition(_def: Definition): Problem[] {
  return [];
}
export async function validateTransformation(_t: Transformation, _def?: Definition): Promise<Problem[]> {
  return [];
}
