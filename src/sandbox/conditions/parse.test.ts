import { describe, expect, it } from 'vitest';
import { likeToRegExp } from './like.ts';
import { ConditionError, LITERAL_FORMAT_HELP, parseConditions, parseDateLiteral } from './parse.ts';

describe('conditions parser', () => {
  it('parses the CWR README example with mixed and/or and parentheses (AND binds tighter)', () => {
    const e = parseConditions(
      '(contact/name like "Fred%" and closedFlag = false) and dateEntered > [2015-12-23T05:53:27Z] or summary contains "test" AND  summary != "Some Summary"',
    );
    expect(e.type).toBe('or');
    if (e.type !== 'or') return;
    expect(e.items.map((i) => i.type)).toEqual(['and', 'and']);
  });

  it('accepts keywords in any case, single quotes, escapes, True/NULL and not-forms', () => {
    const e = parseConditions(
      `name NOT LIKE 'O\\'B%' And flag = TRUE aNd x != NULL and y Not In (1, -2.5) and z not contains "a"`,
    );
    expect(e).toMatchObject({
      type: 'and',
      items: [
        { type: 'cmp', path: ['name'], op: 'like', negated: true, value: { kind: 'string', value: "O'B%" } },
        { op: '=', value: { kind: 'boolean', value: true } },
        { op: '!=', value: { kind: 'null' } },
        { op: 'in', negated: true, value: [{ value: 1 }, { value: -2.5 }] },
        { op: 'contains', negated: true },
      ],
    });
  });

  it('reads both datetime forms, naive = UTC, offsets applied', () => {
    expect(parseDateLiteral('2016-08-20T18:04:26Z')).toBe(Date.UTC(2016, 7, 20, 18, 4, 26));
    expect(parseDateLiteral('2016-08-20 18:04:26')).toBe(Date.UTC(2016, 7, 20, 18, 4, 26));
    expect(parseDateLiteral('2016-08-20T20:04:26+02:00')).toBe(Date.UTC(2016, 7, 20, 18, 4, 26));
    expect(parseDateLiteral('2016-08-20')).toBe(Date.UTC(2016, 7, 20));
    expect(() => parseDateLiteral('2016-02-30T00:00:00Z')).toThrow(ConditionError);
  });

  it.each([
    ['name = Acme', `Unrecognized value 'Acme'. ${LITERAL_FORMAT_HELP}`],
    ['name = "Acme', /Unterminated string/],
    ['(name = "a"', /Expected '\)'/],
    ['name ~ "a"', /Unexpected character/],
    ['= "a"', /Expected a field name/],
    ['id = 12abc', /Unrecognized value '12abc'/],
    ['date > [yesterday]', /Invalid DateTime value/],
    ['', /empty/],
  ])('rejects %s', (text, message) => {
    expect(() => parseConditions(text)).toThrow(message);
  });

  it('refuses `in` inside childConditions (same grammar minus in)', () => {
    expect(() => parseConditions('types/id in (1,2)', false)).toThrow(ConditionError);
  });
});

describe('like patterns', () => {
  it.each([
    ['A%', 'acme', true],
    ['A*', 'Acme', true],
    ['%@acme.com', 'x@acme.com', true],
    ['%@acme.com', 'x@acme.co', false],
    ['a_c', 'abc', true],
    ['a_c', 'abbc', false],
    ['[[]x]%', '[x] y', true],
    ['50.5%', '5005', false],
    ['(x)+', '(x)+', true],
  ])('%s ~ %s → %s', (pattern, value, expected) => {
    expect(likeToRegExp(pattern).test(value)).toBe(expected);
  });
});
