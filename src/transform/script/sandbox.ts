import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
  RELEASE_SYNC,
  shouldInterruptAfterDeadline,
} from 'quickjs-emscripten';
import { DEFAULT_SCRIPT_LIMITS, type ScriptErrorCode, type ScriptLimits } from '../types.ts';
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from './prelude.ts';

/**
 * Script sandbox: QuickJS compiled to WebAssembly (quickjs-emscripten), never node:vm. The host installs no
 * function in the guest; input goes in and results come out as JSON text. Limits per call: a CPU deadline
 * (interrupt handler), a memory limit and a small stack (see SANDBOX_STACK_BYTES).
 */

/**
 * QuickJS's own stack limit. It must trip before Node's native stack runs out under the guest's wasm frames
 * (measured: 128 KiB lets JSON.stringify of a deep object overflow the host stack; 64 KiB stops every recursion we
 * tried with 2000 host frames below it). Scripts still get a few hundred nested calls.
 */
export const SANDBOX_STACK_BYTES = 64 * 1024;
/** Source text limit for a script body. */
export const MAX_SCRIPT_BYTES = 256 * 1024;
const SETUP_DEADLINE_MS = 10_000;

export interface ScriptError {
  code: ScriptErrorCode;
  message: string;
  line?: number;
}
export type ItemOutcome = { ok: true; value: unknown } | { ok: false; error: ScriptError };

/**
 * Hard ceiling of the WebAssembly memory all sandboxes share. QuickJS's own memory limit is not a byte total in the
 * prebuilt emscripten builds (malloc_usable_size is unavailable, so it counts 8 bytes per block: quickjs-emscripten
 * issues #255, #271), so the host bounds memory itself: this ceiling, plus a per-call growth budget (below).
 */
export const SANDBOX_HEAP_CEILING_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;

let modulePromise: Promise<QuickJSWASMModule> | undefined;
/** Bumped when a host-level fault left the WebAssembly instance unusable: every runtime rebuilds on a fresh one. */
let moduleGeneration = 0;
/** Bytes the shared memory may still grow during the current guest call; undefined outside calls (set-up). */
let growthBudget: number | undefined;
/** Set when a growth was refused during the current call: the guest ran out of memory, whatever it threw. */
let growthRefused = false;

function quickjs(): Promise<QuickJSWASMModule> {
  if (!modulePromise) {
    const memory = new WebAssembly.Memory({ initial: 256, maximum: SANDBOX_HEAP_CEILING_BYTES / PAGE });
    const grow = memory.grow.bind(memory);
    // Emscripten grows memory inside a try/catch; a refusal makes malloc fail, which QuickJS raises as
    // "out of memory" in the guest.
    memory.grow = (delta: number): number => {
      if (growthBudget !== undefined) {
        if (delta * PAGE > growthBudget) {
          growthRefused = true;
          throw new RangeError('sandbox memory budget exhausted');
        }
        growthBudget -= delta * PAGE;
      }
      return grow(delta);
    };
    modulePromise = newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
  }
  return modulePromise;
}

function abandonModule(): void {
  modulePromise = undefined;
  moduleGeneration++;
}

interface Guest {
  generation: number;
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  compile: QuickJSHandle;
  runBatch: QuickJSHandle;
  collect: QuickJSHandle;
}

/** The prelude failed in a healthy WebAssembly instance (limits reached while setting up). */
class GuestSetupError extends Error {
  constructor(readonly error: ScriptError) {
    super(error.message);
  }
}

/** Turns a guest error (already dumped to a host value) into a script error. */
function classify(dumped: unknown, lineOffset: number): ScriptError {
  const e = (typeof dumped === 'object' && dumped !== null ? dumped : { message: String(dumped) }) as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    lineNumber?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(dumped);
  if (message === 'interrupted') return { code: 'SCRIPT_TIMEOUT', message: '' };
  if (message === 'out of memory') return { code: 'SCRIPT_MEMORY', message: '' };
  const name = typeof e.name === 'string' ? `${e.name}: ` : '';
  let line: number | undefined;
  if (typeof e.lineNumber === 'number' && (e as { fileName?: unknown }).fileName === '<input>')
    line = e.lineNumber - lineOffset;
  else if (typeof e.stack === 'string') {
    const m = /<input>:(\d+)/.exec(e.stack);
    if (m) line = Number(m[1]) - lineOffset;
  }
  return { code: 'SCRIPT_ERROR', message: `${name}${message}`, ...(line !== undefined && line > 0 ? { line } : {}) };
}

/**
 * One QuickJS runtime running one compiled script body, reused call after call. A runtime that hit a limit (or
 * whose state is unknown after a fault) is disposed and rebuilt on the next call.
 */
export class ScriptRuntime {
  private guest: Guest | undefined;
  private compileError: ScriptError | undefined;
  private readonly limits: ScriptLimits;

  constructor(
    private readonly body: string,
    private readonly params: readonly string[],
    limits: Partial<ScriptLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SCRIPT_LIMITS, ...limits };
  }

  /** Runs the body once per item (each item = the values of `params`), all items in one guest call. */
  async runBatch(items: readonly (readonly unknown[])[]): Promise<ItemOutcome[]> {
    if (items.length === 0) return [];
    const module = await quickjs();
    const json = JSON.stringify(items);
    const fail = (error: ScriptError): ItemOutcome[] => items.map(() => ({ ok: false, error }));
    let guest: Guest;
    try {
      guest = this.ensureGuest(module);
    } catch (e) {
      return fail(this.hostFault(e));
    }
    if (this.compileError) return fail(this.compileError);
    const { runtime, context } = guest;
    runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + this.limits.cpuMs));
    // The input is copied in first: it grows memory on the host's behalf, not the script's.
    growthBudget = this.limits.memoryBytes + 2 * json.length;
    growthRefused = false;
    try {
      const input = context.newString(json);
      const ran = context.callFunction(guest.runBatch, context.undefined, input);
      input.dispose();
      if (ran.error) return fail(this.guestFault(ran.error));
      ran.value.dispose();
      const jobs = runtime.executePendingJobs(10_000);
      if (jobs.error) return fail(this.guestFault(jobs.error));
      const collected = context.callFunction(guest.collect, context.undefined);
      if (collected.error) return fail(this.guestFault(collected.error));
      const text = context.getString(collected.value);
      collected.value.dispose();
      if (growthRefused) {
        // Allocation failures may have surfaced as anything (even `null`) inside records: fail the call as a whole.
        this.disposeGuest();
        return fail(this.memoryError());
      }
      const raw = JSON.parse(text) as Array<{ v?: unknown; e?: string; l?: number }>;
      return raw.map((r) =>
        r.e === undefined
          ? { ok: true, value: r.v ?? null }
          : {
              ok: false,
              error: {
                code: 'SCRIPT_ERROR',
                message: r.e,
                ...(typeof r.l === 'number' && r.l > 0 ? { line: r.l } : {}),
              },
            },
      );
    } catch (e) {
      return fail(this.hostFault(e));
    } finally {
      growthBudget = undefined;
      if (this.guest) this.guest.runtime.removeInterruptHandler();
    }
  }

  /** Compile errors of the body (syntax), or undefined. */
  async check(): Promise<ScriptError | undefined> {
    const module = await quickjs();
    try {
      this.ensureGuest(module);
    } catch (e) {
      return this.hostFault(e);
    }
    return this.compileError;
  }

  dispose(): void {
    this.disposeGuest();
  }

  private ensureGuest(module: QuickJSWASMModule): Guest {
    if (this.guest && this.guest.generation === moduleGeneration) return this.guest;
    this.guest = undefined;
    this.compileError = undefined;
    const runtime = module.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(SANDBOX_STACK_BYTES);
    // Set-up (prelude, compiling the body) is our work, not the script's: a first run also pays for warming up the
    // WebAssembly code, so it gets its own generous deadline.
    runtime.setInterruptHandler(
      shouldInterruptAfterDeadline(Date.now() + Math.max(this.limits.cpuMs, SETUP_DEADLINE_MS)),
    );
    const context = runtime.newContext();
    const prelude = context.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME);
    if (prelude.error) {
      const dumped = context.dump(prelude.error);
      prelude.error.dispose();
      context.dispose();
      runtime.dispose();
      throw new GuestSetupError(classify(dumped, 0));
    }
    const fns = prelude.value;
    const guest: Guest = {
      generation: moduleGeneration,
      runtime,
      context,
      compile: context.getProp(fns, 0),
      runBatch: context.getProp(fns, 1),
      collect: context.getProp(fns, 2),
    };
    fns.dispose();
    this.guest = guest;
    // QuickJS's Function constructor pastes the body between "(function anonymous(…) {" and "})", so a body such as
    // "}); x(); (function(){" would run x() at compile time. A second wrapper needing a different closer catches it.
    const probe = context.evalCode(`function anonymous(${this.params.join(',')}) {\n${this.body}\n}`, '<input>', {
      compileOnly: true,
    });
    if (probe.error) {
      this.compileError = this.compileFailure(classify(context.dump(probe.error), 1));
      probe.error.dispose();
      runtime.removeInterruptHandler();
      return guest;
    }
    probe.value.dispose();
    const params = context.newString(JSON.stringify(this.params));
    const body = context.newString(this.body);
    const compiled = context.callFunction(guest.compile, context.undefined, params, body);
    params.dispose();
    body.dispose();
    if (compiled.error) {
      this.compileError = this.compileFailure(classify(context.dump(compiled.error), 2));
      compiled.error.dispose();
    } else compiled.value.dispose();
    runtime.removeInterruptHandler();
    return guest;
  }

  /** The guest call failed as a whole: a limit was hit (timeout, memory) or the runner itself threw. */
  private guestFault(handle: QuickJSHandle): ScriptError {
    const guest = this.guest;
    let dumped: unknown;
    try {
      dumped = guest?.context.dump(handle);
    } catch {
      dumped = { message: 'out of memory' };
    }
    handle.dispose();
    const error = classify(dumped, 2);
    // After a limit was hit the guest's state is unknown: rebuild it on the next call.
    this.disposeGuest();
    if (error.code === 'SCRIPT_MEMORY' || growthRefused) return this.memoryError();
    if (error.code === 'SCRIPT_TIMEOUT')
      return {
        ...error,
        message: `the script ran longer than ${this.limits.cpuMs} ms for this page of records and was stopped`,
      };
    return error;
  }

  private compileFailure(error: ScriptError): ScriptError {
    if (error.code === 'SCRIPT_TIMEOUT') return { ...error, message: 'compiling the script took too long' };
    if (error.code === 'SCRIPT_MEMORY') return { ...error, message: 'the script is too large to compile' };
    return error;
  }

  private memoryError(): ScriptError {
    return {
      code: 'SCRIPT_MEMORY',
      message: `the script used more than ${Math.round(this.limits.memoryBytes / 1048576)} MiB of memory and was stopped`,
    };
  }

  /** The WebAssembly instance itself failed (host stack exhausted, abort): drop it and start a fresh one. */
  private hostFault(e: unknown): ScriptError {
    // The instance is fine when only our set-up ran out of room (e.g. the shared ceiling is reached): no restart.
    if (e instanceof GuestSetupError)
      return e.error.code === 'SCRIPT_ERROR'
        ? { code: 'SCRIPT_ERROR', message: `the script sandbox could not start: ${e.error.message}` }
        : { ...e.error, message: 'the script sandbox could not start: no memory or time left for it' };
    this.guest = undefined; // never dispose into a broken instance
    abandonModule();
    const message =
      e instanceof RangeError
        ? 'the script nested too deeply (stack overflow)'
        : 'the script sandbox failed and was restarted';
    return { code: 'SCRIPT_ERROR', message };
  }

  private disposeGuest(): void {
    const guest = this.guest;
    this.guest = undefined;
    if (!guest || guest.generation !== moduleGeneration) return;
    try {
      guest.compile.dispose();
      guest.runBatch.dispose();
      guest.collect.dispose();
      guest.context.dispose();
      guest.runtime.dispose();
    } catch {
      // A runtime that died mid-call may refuse to free; its instance is abandoned instead.
      abandonModule();
    }
  }
}
