import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addColumns, CsvParser, csvHeader, csvRecord, flattenRecord, unflattenRow } from './csv.ts';
import { readRecords } from './importReader.ts';

function parseAll(text: string, pieceSize: number): string[][] {
  const rows: string[][] = [];
  const p = new CsvParser((cells) => rows.push(cells));
  for (let i = 0; i < text.length; i += pieceSize) p.push(text.slice(i, i + pieceSize));
  expect(p.end()).toBe(true);
  return rows;
}

describe('bulk CSV', () => {
  it('flattens nested objects to dotted columns; arrays stay one JSON cell', () => {
    const r = { id: 1, company: { id: 2, name: 'A, "B"' }, items: [{ v: 1 }], empty: {} };
    expect(flattenRecord(r)).toEqual([
      ['id', 1],
      ['company.id', 2],
      ['company.name', 'A, "B"'],
      ['items', [{ v: 1 }]],
      ['empty', {}],
    ]);
    const columns: string[] = [];
    addColumns(columns, new Set(), r);
    expect(csvHeader(columns)).toBe('id,company.id,company.name,items,empty\r\n');
    expect(csvRecord(columns, r)).toBe('1,2,"A, ""B""","[{""v"":1}]",{}\r\n');
  });

  it('parses what it writes, whatever the piece boundaries (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') });
    fc.assert(
      fc.property(
        fc.array(fc.array(text, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        (rows, piece) => {
          const columns = ['a', 'b'];
          const csv = rows.map((cells) => csvRecord(columns, { a: cells[0], b: cells[1] })).join('');
          const parsed = parseAll(csv, piece);
          expect(parsed).toEqual(rows);
        },
      ),
    );
  });

  it('turns rows back into typed nested records', () => {
    expect(
      unflattenRow(['id', 'company.id', 'title', 'flag', 'zip', 'tags'], ['7', '12', '', 'true', '01234', '[1,2]']),
    ).toEqual({
      id: 7,
      company: { id: 12 },
      flag: true,
      zip: '01234',
      tags: [1, 2],
    });
  });

  it('reads JSON arrays split at any byte, with strings holding brackets and escapes', async () => {
    const records = [{ a: 'x],[{"y' }, { b: { c: [1, { d: '\\"' }] } }, { e: 'é😀' }];
    const bytes = Buffer.from(JSON.stringify(records));
    for (const size of [1, 2, 3, 7, 64]) {
      async function* pieces() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const got: unknown[] = [];
      for await (const r of readRecords(pieces(), 'json')) got.push(r.record);
      expect(got).toEqual(records);
    }
  });
});
