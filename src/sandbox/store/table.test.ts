import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tableDef } from '../catalog/tables.ts';
import type { Row } from '../catalog/types.ts';
import { Table } from './table.ts';

const row = (id: number, lu: number, company: number): Row => ({
  id,
  _lu: lu * 1000,
  _de: 0,
  _ub: '',
  _eb: '',
  company: { id: company },
});

type Op =
  | { kind: 'insert'; lu: number; company: number }
  | { kind: 'update'; pick: number; lu: number; company: number }
  | { kind: 'remove'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    lu: fc.integer({ min: 0, max: 50 }),
    company: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    pick: fc.nat(),
    lu: fc.integer({ min: 0, max: 50 }),
    company: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

describe('Table indexes', () => {
  it('stay equal to direct filters of the rows after any sequence of writes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 4 })), { maxLength: 30 }),
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: 0, max: 50 }),
        (seed, ops, pivot) => {
          const t = new Table(tableDef('contacts'));
          t.bulkLoad(seed.map(([lu, c], i) => row(i + 1, lu, c)));
          for (const o of ops) {
            const ids = t.all().map((r) => r.id);
            if (o.kind === 'insert') t.insert(row(t.nextId, o.lu, o.company));
            else if (ids.length > 0) {
              const id = ids[o.pick % ids.length] as number;
              if (o.kind === 'update') t.replace(row(id, o.lu, o.company));
              else t.remove(id);
            }
          }
          const all = [...t.all()];
          expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => a - b));
          for (const opName of ['<', '<=', '>', '>='] as const) {
            const cmp = (a: number, b: number) =>
              opName === '<' ? a < b : opName === '<=' ? a <= b : opName === '>' ? a > b : a >= b;
            const viaIndex = t
              .updatedRange(opName, pivot * 1000)
              .map((r) => r.id)
              .sort((a, b) => a - b);
            expect(viaIndex).toEqual(all.filter((r) => cmp(r._lu, pivot * 1000)).map((r) => r.id));
            expect(t.updatedRangeSize(opName, pivot * 1000)).toBe(viaIndex.length);
            expect(t.idRange(opName, pivot).map((r) => r.id)).toEqual(
              all.filter((r) => cmp(r.id, pivot)).map((r) => r.id),
            );
          }
          for (let c = 1; c <= 4; c++) {
            const viaHash = [...(t.lookup('company', c) ?? [])].map((r) => r.id).sort((a, b) => a - b);
            expect(viaHash).toEqual(all.filter((r) => (r.company as { id: number }).id === c).map((r) => r.id));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sorts a large seed set by lastUpdated with the packed-key path', () => {
    const t = new Table(tableDef('contacts'));
    const rows = Array.from({ length: 20_001 }, (_, i) => row(i + 1, (i * 7919) % 5000, 1));
    t.bulkLoad(rows);
    const got = t.updatedRange('>=', 0);
    for (let i = 1; i < got.length; i++) {
      const a = got[i - 1] as Row;
      const b = got[i] as Row;
      expect(a._lu < b._lu || (a._lu === b._lu && a.id < b.id)).toBe(true);
    }
    expect(got).toHaveLength(20_001);
  });
});
