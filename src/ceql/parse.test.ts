import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH, parseWhere, printWhere } from './index.ts';

function parsed(text: string) {
  const result = parseWhere(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('parseWhere', () => {
  it('builds a tree with 0-based spans', () => {
    expect(parsed("(a=1 OR b.c like 'x%') and `d e` IN (1, -2.5, 'x', \"y\", true, null)")).toEqual({
      kind: 'and',
      start: 0,
      end: 67,
      operands: [
        {
          kind: 'or',
          start: 1,
          end: 21,
          operands: [
            {
              kind: 'comparison',
              start: 1,
              end: 4,
              field: { name: 'a', start: 1, end: 2 },
              operator: '=',
              value: { kind: 'number', value: '1', start: 3, end: 4 },
            },
            {
              kind: 'like',
              start: 8,
              end: 21,
              negated: false,
              field: { name: 'b.c', start: 8, end: 11 },
              pattern: { kind: 'string', value: 'x%', start: 17, end: 21 },
            },
          ],
        },
        {
          kind: 'in',
          start: 27,
          end: 67,
          negated: false,
          field: { name: 'd e', start: 27, end: 32 },
          values: [
            { kind: 'number', value: '1', start: 37, end: 38 },
            { kind: 'number', value: '-2.5', start: 40, end: 44 },
            { kind: 'string', value: 'x', start: 46, end: 49 },
            { kind: 'string', value: 'y', start: 51, end: 54 },
            { kind: 'boolean', value: true, start: 56, end: 60 },
            { kind: 'null', start: 62, end: 66 },
          ],
        },
      ],
    });
  });

  it('keeps written grouping: parentheses nest, plain chains stay flat', () => {
    const flat = parsed('a=1 AND b=2 AND c=3');
    expect(flat.kind === 'and' && flat.operands.length).toBe(3);
    const nested = parsed('(a=1 AND b=2) AND c=3');
    expect(nested.kind === 'and' && nested.operands.map((o) => o.kind)).toEqual(['and', 'comparison']);
  });

  it('reads operators and keywords in any case', () => {
    const node = parsed('a <> 1 Or b Is Not Null oR c NoT iN (1) AND d not LIKE "x"');
    expect(printWhere(node)).toBe("a != 1 OR b IS NOT NULL OR (c NOT IN (1) AND d NOT LIKE 'x')");
  });

  it('decodes escapes in strings and backticks', () => {
    const node = parsed("`a``b\\`c` = 'it''s \\'q\\' \\\\ \\n'");
    expect(node).toMatchObject({ field: { name: 'a`b`c' }, value: { value: "it's 'q' \\ \\n" } });
  });

  it('rejects empty text (translateWhere treats it as no filter)', () => {
    expect(parseWhere('   ')).toMatchObject({ ok: false, error: { code: 'CEQL_PARSE', position: 3 } });
  });

  it('bounds nesting depth instead of exhausting the stack', () => {
    const ok = `${'('.repeat(MAX_NESTING_DEPTH)}a=1${')'.repeat(MAX_NESTING_DEPTH)}`;
    expect(parseWhere(ok).ok).toBe(true);
    const deep = `${'('.repeat(100_000)}a=1${')'.repeat(100_000)}`;
    expect(parseWhere(deep)).toMatchObject({
      ok: false,
      error: { code: 'CEQL_PARSE', position: MAX_NESTING_DEPTH, message: /nested too deeply/ },
    });
  });

  it('quotes the text near the error, shortened', () => {
    const result = parseWhere('name = AND something rather long follows here');
    expect(result).toMatchObject({
      ok: false,
      error: { message: 'Error parsing query: expected a value at position 7 near "AND something rather…"' },
    });
  });
});

describe('printWhere', () => {
  it('backticks names that are keywords or not plain', () => {
    const node = parsed("`or` = 1 AND `first name` = 'x' AND `a\\\\b` IS NULL AND `9x` = 2");
    expect(printWhere(node)).toBe("`or` = 1 AND `first name` = 'x' AND `a\\\\b` IS NULL AND `9x` = 2");
  });
});
