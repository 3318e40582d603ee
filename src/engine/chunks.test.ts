import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunksInclude, chunksLength, firstByte } from './chunks.ts';

const NULL = Buffer.from('null');

/** Splits `text` at the given cut points. */
function split(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text);
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

describe('chunksInclude', () => {
  it('finds a needle split across chunks, including over an empty chunk', () => {
    expect(chunksInclude([Buffer.from('{"a":nu'), Buffer.from('ll}')], NULL)).toBe(true);
    expect(chunksInclude([Buffer.from('{"a":n'), Buffer.from('ull}')], NULL)).toBe(true);
    expect(chunksInclude([Buffer.from('{"a":nul'), Buffer.from('l}')], NULL)).toBe(true);
    expect(chunksInclude([Buffer.from('{"a":nul'), Buffer.from('x}')], NULL)).toBe(false);
    expect(chunksInclude([Buffer.from('n'), Buffer.alloc(0), Buffer.from('u'), Buffer.from('ll')], NULL)).toBe(true);
  });

  it('answers as a search of the joined body would, however the body is cut', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('n', 'u', 'l', 'x', ',', 'é') }),
        fc.array(fc.nat({ max: 40 }), { maxLength: 12 }),
        (text, cuts) => {
          const chunks = split(text, cuts);
          expect(chunksInclude(chunks, NULL)).toBe(Buffer.from(text).includes(NULL));
          expect(chunksLength(chunks)).toBe(Buffer.byteLength(text));
        },
      ),
    );
  });

  it('reads the first byte past empty chunks', () => {
    expect(firstByte([Buffer.alloc(0), Buffer.from('[1]')])).toBe(0x5b);
    expect(firstByte([])).toBeUndefined();
  });
});
