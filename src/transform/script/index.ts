import type { Problem, ScriptLimits, ScriptOutcome } from '../types.ts';
import { MAX_SCRIPT_BYTES, ScriptRuntime } from './sandbox.ts';

export type { ItemOutcome, ScriptError } from './sandbox.ts';
export { MAX_SCRIPT_BYTES, SANDBOX_STACK_BYTES, ScriptRuntime } from './sandbox.ts';

/** Parameter names the sandbox reserves (CE helpers, done()). */
const RESERVED = new Set(['done', 'CE']);
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Runs `body` once in a fresh sandbox with each key of `scope` as a variable (values go in as JSON);
 * `done(x)` ends it with x. For formulas and one-off calls; transformations keep a runtime per compiled mapping.
 */
export async function runScript(
  body: string,
  scope: Record<string, unknown>,
  limits?: Partial<ScriptLimits>,
): Promise<ScriptOutcome> {
  const names = Object.keys(scope);
  const bad = names.find((n) => !IDENTIFIER.test(n) || RESERVED.has(n));
  if (bad !== undefined)
    return { ok: false, error: { code: 'SCRIPT_ERROR', message: `scope name '${bad}' is not a usable variable name` } };
  if (Buffer.byteLength(body) > MAX_SCRIPT_BYTES)
    return {
      ok: false,
      error: { code: 'SCRIPT_ERROR', message: `the script is longer than ${MAX_SCRIPT_BYTES} bytes` },
    };
  const runtime = new ScriptRuntime(body, names, limits);
  try {
    const [outcome] = await runtime.runBatch([names.map((n) => scope[n])]);
    return outcome ?? { ok: false, error: { code: 'SCRIPT_ERROR', message: 'the sandbox returned no result' } };
  } finally {
    runtime.dispose();
  }
}

/** Compile only: an empty list, or one problem on `script.body` naming the line. */
export async function checkScript(
  body: string,
  params: readonly string[] = ['originalObject', 'transformedObject'],
): Promise<Problem[]> {
  if (Buffer.byteLength(body) > MAX_SCRIPT_BYTES)
    return [{ field: 'script.body', message: `longer than ${MAX_SCRIPT_BYTES} bytes` }];
  const runtime = new ScriptRuntime(body, params);
  try {
    const error = await runtime.check();
    if (!error) return [];
    return [
      {
        field: 'script.body',
        message: error.line !== undefined ? `line ${error.line}: ${error.message}` : error.message,
      },
    ];
  } finally {
    runtime.dispose();
  }
}
