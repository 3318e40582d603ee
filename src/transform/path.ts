/**
 * `vendorPath` accessors, parsed once per transformation (docs/transformation-mapping.md, "vendorPath syntax").
 *
 * Grammar (a small subset of JSONPath, as Cloud Elements accepted it):
 *   path    := ['$.'] name step* ['.size()']
 *   step    := '.' name | '[' digits ']' | '[*]' | "['" text "']" | '[?(' cond ('&&' cond)* ')]'
 *   cond    := '@.' name ('.' name)* ('==' | '!=') literal
 *   literal := 'text' | "text" | number | true | false | null
 * A hand parser because no JSONPath library writes back through a filter (common → vendor creates the array item).
 */

export type Literal = string | number | boolean | null;
export interface Condition {
  path: string[];
  op: '==' | '!=';
  value: Literal;
}
export type Step =
  | { kind: 'prop'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; conditions: Condition[] };

export interface VendorPath {
  readonly source: string;
  readonly steps: readonly Step[];
  /** Ends with `.size()`: read-only, answers the number of items. */
  readonly size: boolean;
  /** Only `.name` steps: usable in CEQL, `orderBy` and `fields`. */
  readonly plain: boolean;
  /** The first property name (the vendor record's top-level key this path reads). */
  readonly root: string;
}

export type ParseResult = { ok: true; value: VendorPath } | { ok: false; error: { message: string; position: number } };

/** Names that would reach an object's prototype when written through. */
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);
const NAME_CHAR = /[A-Za-z0-9_$\-@#:]/;
const MAX_PATH_LENGTH = 1000;

class PathError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export function parseVendorPath(source: string): ParseResult {
  try {
    return { ok: true, value: new PathParser(source).parse() };
  } catch (e) {
    if (e instanceof PathError) {
      return { ok: false, error: { message: `${e.message} at position ${e.position}`, position: e.position } };
    }
    throw e;
  }
}

/** A dotted common path (`address.city`) as its names, or a message. */
export function parseCommonPath(path: string): { ok: true; value: string[] } | { ok: false; message: string } {
  if (path.length === 0) return { ok: false, message: 'must not be empty' };
  const names = path.split('.');
  for (const name of names) {
    if (name.length === 0 || !/^[A-Za-z0-9_$\-@#:]+$/.test(name))
      return { ok: false, message: `'${path}' is not a dotted path of names (letters, digits, _ $ - @ # :)` };
    if (FORBIDDEN_NAMES.has(name)) return { ok: false, message: `'${name}' is not allowed as a name` };
  }
  return { ok: true, value: names };
}

class PathParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): VendorPath {
    const src = this.src;
    if (src.length === 0) throw new PathError('empty path', 0);
    if (src.length > MAX_PATH_LENGTH) throw new PathError(`path longer than ${MAX_PATH_LENGTH} characters`, 0);
    if (src.startsWith('$.')) this.pos = 2;
    else if (src.startsWith('$[')) this.pos = 1;
    const steps: Step[] = src[this.pos] === '[' ? [] : [{ kind: 'prop', name: this.name() }];
    let size = false;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (c === '.') {
        this.pos++;
        if (src.startsWith('size()', this.pos) && this.pos + 6 === src.length) {
          this.pos += 6;
          size = true;
          break;
        }
        steps.push({ kind: 'prop', name: this.name() });
      } else if (c === '[') {
        steps.push(this.bracket());
      } else {
        throw new PathError(`unexpected '${c}'`, this.pos);
      }
    }
    const first = steps[0];
    if (first?.kind !== 'prop') throw new PathError("a path starts with a name (the record's own field)", 0);
    const root = first.name;
    return { source: src, steps, size, plain: !size && steps.every((s) => s.kind === 'prop'), root };
  }

  private name(): string {
    const start = this.pos;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos] as string)) this.pos++;
    if (this.pos === start) {
      const c = this.src[this.pos];
      throw new PathError(
        c === undefined ? 'expected a name but the path ended' : `expected a name, found '${c}'`,
        start,
      );
    }
    return this.checked(this.src.slice(start, this.pos), start);
  }

  private checked(name: string, at: number): string {
    if (FORBIDDEN_NAMES.has(name)) throw new PathError(`'${name}' is not allowed as a name`, at);
    return name;
  }

  private bracket(): Step {
    const src = this.src;
    const open = this.pos;
    this.pos++; // '['
    let step: Step;
    const c = src[this.pos];
    if (c === '*') {
      this.pos++;
      step = { kind: 'all' };
    } else if (c === "'" || c === '"') {
      const at = this.pos;
      const text = this.quoted();
      if (text.length === 0) throw new PathError('empty name', at);
      step = { kind: 'prop', name: this.checked(text, at) };
    } else if (c !== undefined && c >= '0' && c <= '9') {
      const start = this.pos;
      while (this.pos < src.length && /[0-9]/.test(src[this.pos] as string)) this.pos++;
      const index = Number(src.slice(start, this.pos));
      if (index > 100_000) throw new PathError('index above 100000', start);
      step = { kind: 'index', index };
    } else if (src.startsWith('?(', this.pos)) {
      this.pos += 2;
      const conditions = [this.condition()];
      this.spaces();
      while (src.startsWith('&&', this.pos)) {
        this.pos += 2;
        conditions.push(this.condition());
        this.spaces();
      }
      this.expect(')');
      step = { kind: 'filter', conditions };
    } else {
      if (c === undefined) throw new PathError("'[' is not closed", open);
      throw new PathError(`expected an index, '*', a quoted name or '?(' after '[', found '${c}'`, this.pos);
    }
    this.expect(']');
    return step;
  }

  private condition(): Condition {
    this.spaces();
    if (!this.src.startsWith('@.', this.pos))
      throw new PathError("expected '@.' to start a filter condition", this.pos);
    this.pos += 2;
    const path = [this.name()];
    while (this.src[this.pos] === '.') {
      this.pos++;
      path.push(this.name());
    }
    this.spaces();
    let op: Condition['op'];
    if (this.src.startsWith('==', this.pos)) op = '==';
    else if (this.src.startsWith('!=', this.pos)) op = '!=';
    else throw new PathError("expected '==' or '!='", this.pos);
    this.pos += 2;
    this.spaces();
    return { path, op, value: this.literal() };
  }

  private literal(): Literal {
    const src = this.src;
    const c = src[this.pos];
    if (c === "'" || c === '"') return this.quoted();
    const m = /^(-?\d+(?:\.\d+)?|true|false|null)/.exec(src.slice(this.pos));
    if (!m?.[1]) throw new PathError('expected a quoted string, a number, true, false or null', this.pos);
    this.pos += m[1].length;
    if (m[1] === 'true') return true;
    if (m[1] === 'false') return false;
    if (m[1] === 'null') return null;
    return Number(m[1]);
  }

  /** 'text' or "text"; a backslash escapes the next character. */
  private quoted(): string {
    const src = this.src;
    const quote = src[this.pos];
    const start = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < src.length) {
      const c = src[this.pos] as string;
      if (c === '\\' && this.pos + 1 < src.length) {
        out += src[this.pos + 1];
        this.pos += 2;
      } else if (c === quote) {
        this.pos++;
        return out;
      } else {
        out += c;
        this.pos++;
      }
    }
    throw new PathError('string is not closed', start);
  }

  private spaces(): void {
    while (this.src[this.pos] === ' ') this.pos++;
  }

  private expect(c: string): void {
    if (this.src[this.pos] !== c) {
      const found = this.src[this.pos];
      throw new PathError(
        found === undefined ? `expected '${c}' but the path ended` : `expected '${c}', found '${found}'`,
        this.pos,
      );
    }
    this.pos++;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own properties only: vendor data is untrusted and must not reach inherited members. */
function prop(v: unknown, name: string): unknown {
  return isRecord(v) && hasOwn.call(v, name) ? v[name] : undefined;
}

function matches(item: unknown, conditions: readonly Condition[]): boolean {
  for (const c of conditions) {
    let v: unknown = item;
    for (const name of c.path) v = prop(v, name);
    const equal = v === c.value || (v === undefined && c.value === null);
    if ((c.op === '==') !== equal) return false;
  }
  return true;
}

/**
 * Reads the value at `path`, `undefined` when absent. A filter answers its first matching item; `[*]` answers the
 * list of what the rest of the path reads in each item (absent ones left out); `.size()` answers a length.
 */
export function getPath(record: unknown, path: VendorPath): unknown {
  const value = read(record, path.steps, 0);
  if (!path.size) return value;
  return Array.isArray(value) ? value.length : undefined;
}

function read(value: unknown, steps: readonly Step[], from: number): unknown {
  let v = value;
  for (let i = from; i < steps.length; i++) {
    if (v === undefined || v === null) return undefined;
    const step = steps[i] as Step;
    switch (step.kind) {
      case 'prop':
        v = prop(v, step.name);
        break;
      case 'index':
        v = Array.isArray(v) ? v[step.index] : undefined;
        break;
      case 'filter':
        v = Array.isArray(v) ? v.find((item) => matches(item, step.conditions)) : undefined;
        break;
      case 'all': {
        if (!Array.isArray(v)) return undefined;
        if (i === steps.length - 1) return v;
        const out: unknown[] = [];
        for (const item of v) {
          const r = read(item, steps, i + 1);
          if (r !== undefined) out.push(r);
        }
        return out;
      }
    }
  }
  return v;
}

/**
 * Writes `value` at `path` into `target`, creating objects and arrays on the way. A filter updates the first
 * matching item or appends a new one carrying the filter's `==` keys (`{communicationType:'Email'}`); `[index]`
 * sets that index; `[*]` with an array value writes item by item. Answers an error message when not writable.
 */
export function setPath(target: Record<string, unknown>, path: VendorPath, value: unknown): string | undefined {
  if (path.size) return `'${path.source}' ends with .size() and cannot be written`;
  return write(target, path.steps, 0, value);
}

function write(container: unknown, steps: readonly Step[], i: number, value: unknown): string | undefined {
  const step = steps[i] as Step;
  const last = i === steps.length - 1;
  const next = steps[i + 1];
  const fresh = (): unknown => (next === undefined ? undefined : next.kind === 'prop' ? {} : []);
  switch (step.kind) {
    case 'prop': {
      const obj = container as Record<string, unknown>;
      if (last) {
        obj[step.name] = value;
        return undefined;
      }
      let child = prop(obj, step.name);
      if (!containerFits(child, next)) {
        child = fresh();
        obj[step.name] = child;
      }
      return write(child, steps, i + 1, value);
    }
    case 'index': {
      const arr = container as unknown[];
      while (arr.length < step.index) arr.push(null);
      if (last) {
        arr[step.index] = value;
        return undefined;
      }
      let child = arr[step.index];
      if (!containerFits(child, next)) {
        child = fresh();
        arr[step.index] = child;
      }
      return write(child, steps, i + 1, value);
    }
    case 'filter': {
      const arr = container as unknown[];
      let item = arr.find((x) => matches(x, step.conditions));
      if (item === undefined) {
        const created: Record<string, unknown> = {};
        for (const c of step.conditions) {
          if (c.op !== '==') continue;
          let o = created;
          for (let k = 0; k < c.path.length - 1; k++) {
            const name = c.path[k] as string;
            if (!isRecord(o[name])) o[name] = {};
            o = o[name] as Record<string, unknown>;
          }
          o[c.path[c.path.length - 1] as string] = c.value;
        }
        if (!matches(created, step.conditions))
          return 'a filter with only != conditions cannot create the matching item';
        item = created;
        arr.push(item);
      }
      if (last) {
        // Replacing the matched item itself: keep the filter keys so the item still matches.
        if (!isRecord(value)) return 'a path ending with a filter can only be given an object';
        const idx = arr.indexOf(item);
        arr[idx] = { ...(item as Record<string, unknown>), ...value };
        return undefined;
      }
      if (next?.kind !== 'prop') return 'after a filter only .name steps can be written';
      return write(item, steps, i + 1, value);
    }
    case 'all': {
      if (!Array.isArray(value)) return `'[*]' needs an array value, got ${typeof value}`;
      const arr = container as unknown[];
      if (last) {
        arr.length = 0;
        arr.push(...value);
        return undefined;
      }
      for (let k = 0; k < value.length; k++) {
        let child = arr[k];
        if (!containerFits(child, next)) {
          child = fresh();
          arr[k] = child;
        }
        const err = write(child, steps, i + 1, value[k]);
        if (err) return err;
      }
      return undefined;
    }
  }
}

function containerFits(child: unknown, next: Step | undefined): boolean {
  if (next === undefined) return true;
  return next.kind === 'prop' ? isRecord(child) : Array.isArray(child);
}

/** Reads a dotted common path (already split). */
export function getNames(record: unknown, names: readonly string[]): unknown {
  let v = record;
  for (const name of names) {
    if (v === undefined || v === null) return undefined;
    v = prop(v, name);
  }
  return v;
}

/** Writes a dotted common path (already split), creating objects on the way. */
export function setNames(target: Record<string, unknown>, names: readonly string[], value: unknown): void {
  let o = target;
  const lastIndex = names.length - 1;
  for (let k = 0; k < lastIndex; k++) {
    const name = names[k] as string;
    let child = o[name];
    if (!isRecord(child) || !hasOwn.call(o, name)) {
      child = {};
      o[name] = child;
    }
    o = child as Record<string, unknown>;
  }
  o[names[lastIndex] as string] = value;
}
