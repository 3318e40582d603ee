import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanJson } from './completeness.ts';

const isCompleteJson = (chunks: readonly Buffer[]) => scanJson(chunks).complete;

function hasNullValue(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  return Object.values(v as object).some(hasNullValue);
}

function parses(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Splits `bytes` at the given offsets (sorted, deduplicated, any of them may be 0 or the end). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

// Strings full of the characters that matter: quotes, backslashes and brackets.
const tricky = fc.string({ unit: fc.constantFrom('\\', '"', '[', ']', '{', '}', 'a', 'é', '😀', ' ') });
const trickyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.integer(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const documents = fc.oneof(
  fc.json(),
  trickyValue.map((v) => JSON.stringify(v)),
  fc.array(trickyValue, { maxLength: 6 }).map((v) => JSON.stringify(v, null, 1)),
  fc.dictionary(tricky, trickyValue, { maxKeys: 5 }).map((v) => ` ${JSON.stringify(v)}\n `),
);

describe('scanJson', () => {
  it('agrees with JSON.parse on every cut of a JSON document, however it is chunked', () => {
    fc.assert(
      fc.property(documents, fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), (text, cut, seams) => {
        const whole = Buffer.from(text, 'utf8');
        const prefix = whole.subarray(0, cut % (whole.length + 1));
        expect(isCompleteJson(split(prefix, seams))).toBe(parses(prefix));
        const scan = scanJson(split(whole, seams));
        expect(scan.complete).toBe(true);
        expect(scan.hasNull).toBe(hasNullValue(JSON.parse(text)));
      }),
      { numRuns: 3000 },
    );
  });

  it('carries string and escape state across one-byte chunks', () => {
    fc.assert(
      fc.property(fc.array(trickyValue, { maxLength: 5 }), fc.nat(), (value, cut) => {
        const whole = Buffer.from(JSON.stringify(value), 'utf8');
        const prefix = whole.subarray(0, cut % (whole.length + 1));
        const bytes = [...prefix].map((b) => Buffer.from([b]));
        expect(isCompleteJson(bytes)).toBe(parses(prefix));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects what follows the value and unbalanced closers', () => {
    expect(isCompleteJson([Buffer.from('[1,2] x')])).toBe(false);
    expect(isCompleteJson([Buffer.from('[1,2]]')])).toBe(false);
    expect(isCompleteJson([Buffer.from('[1,2]'), Buffer.from(' \n')])).toBe(true);
    expect(isCompleteJson([Buffer.from('{"a":"\\\\'), Buffer.from('"}')])).toBe(true);
    expect(isCompleteJson([Buffer.from('{"a":"\\'), Buffer.from('"}')])).toBe(false);
    expect(isCompleteJson([])).toBe(false);
  });
});
