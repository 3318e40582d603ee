import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addColumns, csvRecord } from './csv.ts';
import { CsvRenderer } from './csvRender.ts';

type Json = Record<string, unknown>;

describe('bulk CSV renderer', () => {
  it('writes each leaf under its dotted column; arrays and empty objects are one cell; unknown columns stay empty', () => {
    const r = new CsvRenderer(['id', 'company.id', 'company.name', 'items', 'empty', 'missing']);
    expect(r.row({ id: 1, company: { id: 2, name: 'A, "B"' }, items: [{ v: 1 }], empty: {}, extra: 5 })).toBe(
      '1,2,"A, ""B""","[{""v"":1}]",{},\r\n',
    );
    expect(r.row({ company: {} })).toBe(',,,,,\r\n');
  });

  it('reads a JSON line as written by the vendor: escapes, numbers in other spellings, nested and empty values', () => {
    const columns = ['id', 'a.b', 'a.c', 's', 'e', 'n', 'list', 'empty', 't'];
    const r = new CsvRenderer(columns);
    const lines = [
      '{"id":1,"a":{"b":"x, y","c":2.50},"s":"q\\"uote","e":"\\u00e9","n":null,"list":[1,"a"],"empty":{},"t":true}',
      '{"id":1e2,"list":[{"v":"\\/"}],"a":{"b":[ 1 ]}}',
      '{"id":2,"list":[1.0,-0,{"k":[]}],"s":" padded "}',
    ];
    for (const line of lines) {
      expect(r.line(line)).toBe(csvRecord(columns, JSON.parse(line) as Json));
    }
    expect(r.line(lines[0]!)).toBe('1,"x, y",2.5,"q""uote",é,,"[1,""a""]",{},true\r\n');
  });

  it('writes the same rows as csvRecord for any records (property)', () => {
    const key = fc.constantFrom('a', 'b', 'x.y', 'x', 'y', '', '__proto__', '1');
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, tie('o'), fc.array(tie('v'), { maxLength: 2 })),
      o: fc.dictionary(key, tie('v'), { maxKeys: 4 }),
    })).v;
    const record = fc.dictionary(key, value, { maxKeys: 5 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.array(record, { maxLength: 3 }), (seen, later) => {
        const columns: string[] = [];
        const known = new Set<string>();
        // Records parsed from JSON text, as the download reads them.
        const parse = (r: Json) => JSON.parse(JSON.stringify(r)) as Json;
        for (const r of seen) addColumns(columns, known, parse(r));
        const renderer = new CsvRenderer(columns);
        for (const r of [...seen, ...later].map(parse)) {
          expect(renderer.row(r)).toBe(csvRecord(columns, r));
          // From the JSON line's text: the same row, whether compact or spaced out.
          expect(renderer.line(JSON.stringify(r))).toBe(csvRecord(columns, r));
          expect(renderer.line(JSON.stringify(r, null, 1).replaceAll('\n', ' '))).toBe(csvRecord(columns, r));
        }
      }),
      { numRuns: 300 },
    );
  });
});
