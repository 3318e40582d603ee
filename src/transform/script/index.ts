import type { Problem, ScriptLimits, ScriptOutcome } from '../types.ts';

export async function runScript(
  _body: string,
  _scope: Record<string, unknown>,
  _limits?: Partial<ScriptLimits>,
): Promise<ScriptOutcome> {
  return { ok: true, value: null };
}
export async function checkScript(_body: string): Promise<Problem[]> {
  return [];
}
