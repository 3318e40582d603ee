import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ComparisonOperator, Literal, PredicateNode, WhereNode } from './ast.ts';
import { parseWhere, printWhere, type QuerySchema, translateWhere } from './index.ts';

const span = { start: 0, end: 0 };

/** Spans differ between a generated tree and its re-parse; everything else must not. */
function withoutSpans(node: unknown): unknown {
  return JSON.parse(JSON.stringify(node, (key, value) => (key === 'start' || key === 'end' ? undefined : value)));
}

const plainName = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,6}(?:[./][A-Za-z_][A-Za-z0-9_]{0,4}){0,2}$/);
const awkwardName = fc.string({
  unit: fc.constantFrom('a', 'Z', '`', '\\', ' ', '.', '/', "'", '"', '(', '%', '9', 'é'),
  minLength: 1,
  maxLength: 8,
});
const keywordName = fc.constantFrom('and', 'OR', 'Not', 'like', 'in', 'is', 'null', 'true', 'FALSE');
const fieldName = fc.oneof(
  plainName,
  awkwardName,
  keywordName,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
);

const trickyText = fc.oneof(
  fc.string({
    unit: fc.constantFrom("'", '"', '\\', '`', 'a', ' ', '%', '[', ']', '(', ')', ',', '\n'),
    maxLength: 10,
  }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom('2016-08-20T18:04:26Z', '2024-01-01', '2024-02-30', '5', '-1.25', 'true', 'FALSE', 'x@y.z'),
);
const stringLiteral = trickyText.map((value) => ({ kind: 'string' as const, value, ...span }));
const literal: fc.Arbitrary<Literal> = fc.oneof(
  stringLiteral,
  fc.stringMatching(/^-?\d{1,6}(?:\.\d{1,3})?$/).map((value) => ({ kind: 'number' as const, value, ...span })),
  fc.boolean().map((value) => ({ kind: 'boolean' as const, value, ...span })),
  fc.constant({ kind: 'null' as const, ...span }),
);

function predicateOver(name: fc.Arbitrary<string>): fc.Arbitrary<PredicateNode> {
  const field = name.map((n) => ({ name: n, ...span }));
  const operator = fc.constantFrom<ComparisonOperator>('=', '!=', '<', '>', '<=', '>=');
  return fc.oneof(
    fc.record({ field, operator, value: literal }).map((p) => ({ kind: 'comparison' as const, ...p, ...span })),
    fc
      .record({ field, negated: fc.boolean(), pattern: stringLiteral })
      .map((p) => ({ kind: 'like' as const, ...p, ...span })),
    fc
      .record({ field, negated: fc.boolean(), values: fc.array(literal, { minLength: 1, maxLength: 4 }) })
      .map((p) => ({ kind: 'in' as const, ...p, ...span })),
    fc.record({ field, negated: fc.boolean() }).map((p) => ({ kind: 'isNull' as const, ...p, ...span })),
  );
}

function treeOver(predicate: fc.Arbitrary<PredicateNode>): fc.Arbitrary<WhereNode> {
  return fc.letrec<{ node: WhereNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      predicate,
      fc
        .record({
          kind: fc.constantFrom('and' as const, 'or' as const),
          operands: fc.array(tie('node'), { minLength: 2, maxLength: 4 }),
        })
        .map((n) => ({ ...n, ...span })),
    ),
  })).node;
}

describe('CEQL properties', () => {
  it('the parser and translator never throw, and errors point inside the text', () => {
    const soup = fc
      .array(
        fc.constantFrom(
          '(',
          ')',
          'AND',
          'or',
          'NOT',
          'LIKE',
          'IN',
          'IS',
          'NULL',
          'true',
          "'x'",
          '"y',
          "'",
          '`z',
          '`',
          '5',
          '-1.5',
          '-',
          'a.b',
          'c/d',
          'a.',
          '=',
          '!=',
          '<>',
          '<=',
          '>',
          '!',
          ',',
          ' ',
          '\\',
          "''",
          '%',
          'email',
          'id',
        ),
        { maxLength: 25 },
      )
      .chain((parts) => fc.constantFrom(parts.join(' '), parts.join('')));
    const schema: QuerySchema = {
      fields: { id: 'number' },
      mappings: { email: { kind: 'child', path: 'communicationItems/value' } },
    };
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string(), soup), (text) => {
        const parsed = parseWhere(text);
        if (!parsed.ok) {
          expect(parsed.error.code).toBe('CEQL_PARSE');
          expect(parsed.error.message).toMatch(/^Error parsing query: .+ at position \d+/);
          expect(parsed.error.position).toBeGreaterThanOrEqual(0);
          expect(parsed.error.position).toBeLessThanOrEqual(text.length);
        }
        const translated = translateWhere(text, schema);
        if (!translated.ok) expect(['CEQL_PARSE', 'CEQL_UNSUPPORTED']).toContain(translated.error.code);
      }),
      { numRuns: 3000 },
    );
  });

  it('printing a tree and parsing it back gives the same tree', () => {
    fc.assert(
      fc.property(treeOver(predicateOver(fieldName)), (tree) => {
        const text = printWhere(tree);
        const reparsed = parseWhere(text);
        expect(reparsed.ok ? withoutSpans(reparsed.value) : reparsed.error).toEqual(withoutSpans(tree));
      }),
      { numRuns: 1500 },
    );
  });

  it('spans of re-parsed predicates cut out text that parses to the same predicate', () => {
    fc.assert(
      fc.property(treeOver(predicateOver(fieldName)), (tree) => {
        const text = printWhere(tree);
        const reparsed = parseWhere(text);
        if (!reparsed.ok) throw new Error(reparsed.error.message);
        const visit = (node: WhereNode): void => {
          if (node.kind === 'and' || node.kind === 'or') {
            node.operands.forEach(visit);
            return;
          }
          const alone = parseWhere(text.slice(node.start, node.end));
          expect(alone.ok && withoutSpans(alone.value)).toEqual(withoutSpans(node));
        };
        visit(reparsed.value);
      }),
      { numRuns: 500 },
    );
  });

  it('every translation is a well-formed ConnectWise conditions string, or a named CEQL_UNSUPPORTED', () => {
    const schema: QuerySchema = {
      fields: { id: 'number', name: 'string', flag: 'boolean', updated: 'date', 'company.id': 'number' },
      mappings: {
        email: {
          kind: 'child',
          path: 'communicationItems/value',
          where: { 'communicationItems/communicationType': 'Email' },
        },
        phone: {
          kind: 'child',
          path: 'communicationItems/value',
          where: { 'communicationItems/communicationType': 'Phone' },
        },
        tier: { kind: 'customField', caption: 'Tier' },
        lastModified: { kind: 'rename', to: '_info.lastUpdated', type: 'date' },
      },
    };
    const names = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          'id',
          'NAME',
          'flag',
          'updated',
          'company.id',
          'email',
          'phone',
          'tier',
          'lastModified',
          'other',
          'a.b',
        ),
      },
      { weight: 1, arbitrary: fieldName },
    );
    let translated = 0;
    fc.assert(
      fc.property(treeOver(predicateOver(names)), (tree) => {
        const text = printWhere(tree);
        const result = translateWhere(text, schema);
        if (!result.ok) {
          expect(result.error.code).toBe('CEQL_UNSUPPORTED');
          const clause = result.error.clause ?? '';
          expect(text.slice(result.error.position, (result.error.position ?? 0) + clause.length)).toBe(clause);
          expect(result.error.message).toContain(JSON.stringify(clause));
          return;
        }
        const { conditions, childConditions, customFieldConditions } = result.value;
        for (const value of [conditions, childConditions, customFieldConditions]) {
          if (value !== undefined) expect(checkCwConditions(value), value).toBe(true);
        }
        expect(conditions ?? childConditions ?? customFieldConditions).toBeDefined();
        translated++;
      }),
      { numRuns: 2000 },
    );
    // Guard against a generator that only ever exercises the error path.
    expect(translated).toBeGreaterThan(400);
  });
});

/**
 * An independent reader of the ConnectWise conditions grammar (connectwise-manage-api.md §4), written
 * without the translator's code: balanced parentheses, closed quotes and brackets, known operators, and
 * never AND mixed with OR at one level (so the string's meaning cannot depend on ConnectWise precedence).
 */
function checkCwConditions(text: string): boolean {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ') {
      i++;
    } else if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return false;
      tokens.push('VALUE');
      i = close + 1;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0 || !/^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\]$/.test(text.slice(i, close + 1))) return false;
      tokens.push('VALUE');
      i = close + 1;
    } else if ('(),'.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      const m = /^(?:!=|<=|>=|=|<|>|-?\d+(?:\.\d+)?(?![\w])|[A-Za-z_$][\w$]*(?:\/[A-Za-z_$][\w$]*)*)/.exec(
        text.slice(i),
      );
      if (!m) return false;
      const word = m[0];
      if (/^-?\d/.test(word) || /^(true|false|null)$/.test(word)) tokens.push('VALUE');
      else if (/^[=<>!]/.test(word)) tokens.push('OP');
      else if (/^(AND|OR|like|not|in)$/.test(word)) tokens.push(word);
      else tokens.push('PATH');
      i += word.length;
    }
  }
  let at = 0;
  const take = (t: string) => tokens[at] === t && ++at > 0;
  const expr = (): boolean => {
    if (!term()) return false;
    const connective = tokens[at];
    if (connective !== 'AND' && connective !== 'OR') return true;
    while (take(connective)) if (!term()) return false;
    return tokens[at] !== 'AND' && tokens[at] !== 'OR';
  };
  const term = (): boolean => {
    if (take('(')) return expr() && take(')');
    if (!take('PATH')) return false;
    if (take('OP')) return take('VALUE');
    take('not');
    if (take('like')) return take('VALUE');
    if (!take('in') || !take('(') || !take('VALUE')) return false;
    while (take(',')) if (!take('VALUE')) return false;
    return take(')');
  };
  return expr() && at === tokens.length;
}
