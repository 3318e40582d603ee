import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addColumns } from './csv.ts';
import { pageLines, ShapeMemo } from './pageLines.ts';

type Json = Record<string, unknown>;

const split = (text: string, shapes = new ShapeMemo()) => pageLines(Buffer.from(text, 'utf8'), 'id', shapes);

/** Columns as the export reads them from a split page: only records of a new shape are parsed. */
function columnsOf(pages: string[]): string[] | undefined {
  const shapes = new ShapeMemo();
  const columns: string[] = [];
  const known = new Set<string>();
  for (const page of pages) {
    const s = split(page, shapes);
    if (!s) return undefined;
    for (const r of s.newShapes) addColumns(columns, known, JSON.parse(r.toString('utf8')) as Json);
  }
  return columns;
}

describe('bulk page → JSON Lines without parsing', () => {
  it('cuts at top-level commas only: brackets, commas, quotes and escapes inside strings stay in their record', () => {
    const records = [
      { id: 1, name: 'a, "b" }]', path: 'C:\\dir\\', nested: { list: [1, [2, { x: '],' }]], o: {} } },
      { id: 22, name: '\\"', emoji: 'é ✓ 𝄞', empty: [] },
      { name: 'id later', id: 300 },
    ];
    const s = split(` [${records.map((r) => JSON.stringify(r)).join(' , ')}]\n`);
    expect(s).toBeDefined();
    expect(s!.count).toBe(3);
    expect(s!.ids).toEqual([1, 22, 300]);
    const lines = s!.lines.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(records);
  });

  it('keeps the vendor bytes as they are (no re-serialisation)', () => {
    const s = split('[{"id":1,"t":"\\u00e9\\/"}]');
    expect(s!.lines.toString('utf8')).toBe('{"id":1,"t":"\\u00e9\\/"}\n');
  });

  it('an empty page has no lines', () => {
    expect(split('[]')).toEqual({ lines: Buffer.alloc(0), count: 0, ids: [], newShapes: [] });
  });

  it('leaves unusual pages to the ordinary parse', () => {
    expect(split('{"id":1}')).toBeUndefined(); // not an array
    expect(split('[1,2]')).toBeUndefined(); // records that are not objects
    expect(split('[[{"id":1}]]')).toBeUndefined();
    expect(split('[{"id":"1"}]')).toBeUndefined(); // id not a plain integer
    expect(split('[{"id":1.5}]')).toBeUndefined();
    expect(split('[{"id":-1}]')).toBeUndefined();
    expect(split('[{"id":{"v":1}}]')).toBeUndefined();
    expect(split('[{"name":"no id"}]')).toBeUndefined();
    expect(split('[{"nested":{"id":1}}]')).toBeUndefined(); // only the record's own id counts
    expect(split('[{"id":1,\n"a":2}]')).toBeUndefined(); // a line break between tokens would split the line
    expect(split(`[{"id":1,"a":${'['.repeat(100)}${']'.repeat(100)}}]`)).toBeUndefined();
    expect(split('[{"id":1,"a":"cut')).toBeUndefined();
    // Not JSON (the parse says what is wrong): a raw control character in a string, a bare word.
    expect(split('[{"id":1,"a":"tab\there"}]')).toBeUndefined();
    expect(split('[{"id":1,"a":undefined}]')).toBeUndefined();
    // A line break between records is fine.
    expect(split('[\n{"id":1},\r\n{"id":2}\n]')!.ids).toEqual([1, 2]);
  });

  it('parses a record again only when its shape (keys and nesting outside arrays) is new', () => {
    const shapes = new ShapeMemo();
    const page = (ids: number[], extra: (i: number) => Json) =>
      `[${ids.map((id) => JSON.stringify({ id, ...extra(id) })).join(',')}]`;
    const first = split(
      page([1, 2, 3], (i) => ({ name: `n${i}`, list: [{ a: i }], company: { id: i } })),
      shapes,
    );
    expect(first!.newShapes.length).toBe(1);
    // Array contents and values do not change the shape; a key, an empty object or a non-empty one does.
    const second = split(
      page([4, 5], (i) => ({ name: i, list: [{ b: 1 }, 2], company: { id: 'x' } })),
      shapes,
    );
    expect(second!.newShapes.length).toBe(0);
    expect(
      split(
        page([6], () => ({ name: 'x', list: [], company: {} })),
        shapes,
      )!.newShapes.length,
    ).toBe(1);
    expect(
      split(
        page([7], () => ({ name: 'x', list: [], company: { id: 1, k: 2 } })),
        shapes,
      )!.newShapes.length,
    ).toBe(1);
    expect(
      split(
        page([8], () => ({ list: [], name: 'x', company: { id: 1 } })),
        shapes,
      )!.newShapes.length,
    ).toBe(1);
  });

  it('gives the same lines and CSV columns as parsing every record (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'x.y', 'q"', 'ü', 'id');
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, tie('o'), fc.array(tie('v'), { maxLength: 3 })),
      o: fc.dictionary(key, tie('v'), { maxKeys: 4 }),
    })).v;
    const record = fc.dictionary(
      key.filter((k) => k !== 'id'),
      value,
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), (pages) => {
        let id = 0;
        const withIds = pages.map((p) => p.map((r) => ({ ...r, id: ++id })));
        const texts = withIds.map((p) => JSON.stringify(p));
        const expectedColumns: string[] = [];
        const known = new Set<string>();
        for (const p of withIds) for (const r of p) addColumns(expectedColumns, known, r);
        expect(columnsOf(texts)).toEqual(expectedColumns);
        for (const [i, text] of texts.entries()) {
          const s = split(text)!;
          const expected = withIds[i]!.map((r) => `${JSON.stringify(r)}\n`).join('');
          expect(s.lines.toString('utf8')).toBe(expected);
          expect(s.ids).toEqual(withIds[i]!.map((r) => r.id));
        }
      }),
      { numRuns: 300 },
    );
  });
});
