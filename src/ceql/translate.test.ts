import { describe, expect, it } from 'vitest';
import { type QuerySchema, translateWhere, type VendorQuery } from './index.ts';

const schema: QuerySchema = {
  fields: {
    id: 'number',
    firstName: 'string',
    lastName: 'string',
    title: 'string',
    inactiveFlag: 'boolean',
    approved: 'boolean',
    'company.id': 'number',
    'company/name': 'string',
    lastUpdated: 'date',
    birthDay: 'date',
    amount: 'number',
  },
  mappings: {
    email: {
      kind: 'child',
      path: 'communicationItems/value',
      where: { 'communicationItems/communicationType': 'Email' },
      type: 'string',
    },
    emailAddress: {
      kind: 'child',
      path: 'communicationItems.value',
      where: { 'communicationItems/communicationType': 'Email' },
    },
    phone: {
      kind: 'child',
      path: 'communicationItems/value',
      where: { 'communicationItems/communicationType': 'Phone' },
    },
    typeId: { kind: 'child', path: 'types/id', type: 'number' },
    '_info.lastUpdated': { kind: 'rename', to: 'lastUpdated' },
    companyName: { kind: 'rename', to: 'company.name' },
    tier: { kind: 'customField', caption: 'Tier' },
    outageId: { kind: 'customField', caption: 'Outage ID', type: 'number' },
    region: { kind: 'customField', caption: 'Region' },
  },
};

const ok: [string, string, VendorQuery][] = [
  // empty
  ['empty', '', {}],
  ['blank', '  \t\n ', {}],
  // every comparison operator
  ['=', 'id = 5', { conditions: 'id=5' }],
  ['!=', 'id != 5', { conditions: 'id!=5' }],
  ['<> is !=', 'id <> 5', { conditions: 'id!=5' }],
  ['<', 'id<5', { conditions: 'id<5' }],
  ['>', 'id>5', { conditions: 'id>5' }],
  ['<=', 'id<=5', { conditions: 'id<=5' }],
  ['>=', 'id>=5', { conditions: 'id>=5' }],
  ['LIKE keeps %', "firstName LIKE 'Jo%'", { conditions: 'firstName like "Jo%"' }],
  ['like lower case', "firstName like '%an_'", { conditions: 'firstName like "%an_"' }],
  ['NOT LIKE', "lastName NOT LIKE '%son'", { conditions: 'lastName not like "%son"' }],
  ['LIKE escapes [ for SQL Server', "title LIKE '[x]%'", { conditions: 'title like "[[]x]%"' }],
  ['IN numbers', 'id IN (1, 2,3)', { conditions: 'id in (1,2,3)' }],
  ['IN coerces quoted numbers', "id in ('1', 2)", { conditions: 'id in (1,2)' }],
  ['IN strings', 'firstName IN (\'a\', "b")', { conditions: 'firstName in ("a","b")' }],
  ['NOT IN', 'id NOT IN (7)', { conditions: 'id not in (7)' }],
  ['IS NULL', 'title IS NULL', { conditions: 'title=null' }],
  ['IS NOT NULL', 'title is not null', { conditions: 'title!=null' }],
  ['= null', 'title = null', { conditions: 'title=null' }],
  ['!= NULL', 'title != NULL', { conditions: 'title!=null' }],
  // literal kinds
  ['single-quoted string', "firstName = 'Ann'", { conditions: 'firstName="Ann"' }],
  ['double-quoted string', 'firstName = "Ann"', { conditions: 'firstName="Ann"' }],
  ['doubled single quote', "lastName = 'O''Brien'", { conditions: `lastName="O'Brien"` }],
  ['backslash-escaped quote', "lastName = 'O\\'Brien'", { conditions: `lastName="O'Brien"` }],
  ['double quote inside → single-quoted', `title = 'say "hi"'`, { conditions: `title='say "hi"'` }],
  ['doubled double quote', `title = "say ""hi"""`, { conditions: `title='say "hi"'` }],
  ['integer', 'amount = 42', { conditions: 'amount=42' }],
  ['negative decimal', 'amount >= -12.50', { conditions: 'amount>=-12.50' }],
  ['decimal', 'amount < 0.5', { conditions: 'amount<0.5' }],
  ['true', 'inactiveFlag = true', { conditions: 'inactiveFlag=true' }],
  ['FALSE any case', 'inactiveFlag = FALSE', { conditions: 'inactiveFlag=false' }],
  ['datetime', "lastUpdated > '2016-08-20T18:04:26Z'", { conditions: 'lastUpdated>[2016-08-20T18:04:26Z]' }],
  [
    'datetime with fraction',
    "lastUpdated > '2018-01-15T00:00:00.000Z'",
    { conditions: 'lastUpdated>[2018-01-15T00:00:00Z]' },
  ],
  [
    'datetime with offset → UTC',
    "lastUpdated < '2016-08-20T20:04:26+02:00'",
    { conditions: 'lastUpdated<[2016-08-20T18:04:26Z]' },
  ],
  ['date only', "birthDay = '2024-01-01'", { conditions: 'birthDay=[2024-01-01T00:00:00Z]' }],
  [
    'datetime without zone is UTC',
    "birthDay >= '2024-02-29T10:30'",
    { conditions: 'birthDay>=[2024-02-29T10:30:00Z]' },
  ],
  [
    'unknown field ISO literal → date',
    "dateEntered > '2015-12-23T05:53:27Z'",
    { conditions: 'dateEntered>[2015-12-23T05:53:27Z]' },
  ],
  ['unknown field invalid date stays a string', "code = '2024-13-01'", { conditions: 'code="2024-13-01"' }],
  ['string field ISO literal stays a string', "title = '2024-01-01'", { conditions: 'title="2024-01-01"' }],
  ['unknown field literals as written', "x = 1 AND y = true AND z = 'a'", { conditions: 'x=1 AND y=true AND z="a"' }],
  // coercions
  ['quoted number on number field', "id='5'", { conditions: 'id=5' }],
  ['quoted boolean on boolean field', "approved='false'", { conditions: 'approved=false' }],
  ['quoted boolean any case', "approved='TRUE'", { conditions: 'approved=true' }],
  ['number on string field', 'firstName = 123', { conditions: 'firstName="123"' }],
  ['boolean on string field', 'title = false', { conditions: 'title="false"' }],
  ['null on number field', 'id = null', { conditions: 'id=null' }],
  // identifiers
  ['dotted path', 'company.id = 123', { conditions: 'company/id=123' }],
  ['slash path', 'company/id = 123', { conditions: 'company/id=123' }],
  ['field lookup is case-insensitive and uses the schema spelling', "FIRSTNAME = 'a'", { conditions: 'firstName="a"' }],
  ['dotted lookup of a slash-declared field', 'company.name = 5', { conditions: 'company/name="5"' }],
  ['backticked dotted name', "`company.id` = '9'", { conditions: 'company/id=9' }],
  ['keyword case-insensitive in a path segment', 'board.name = 1', { conditions: 'board/name=1' }],
  // precedence and grouping
  ['AND chain', 'a=1 AND b=2 and c=3', { conditions: 'a=1 AND b=2 AND c=3' }],
  ['OR chain', 'a=1 OR b=2 or c=3', { conditions: 'a=1 OR b=2 OR c=3' }],
  ['AND binds tighter than OR', 'a=1 AND b=2 OR c=3', { conditions: '(a=1 AND b=2) OR c=3' }],
  ['AND binds tighter (right)', 'a=1 OR b=2 AND c=3', { conditions: 'a=1 OR (b=2 AND c=3)' }],
  ['parentheses kept', '(a=1 OR b=2) AND c=3', { conditions: '(a=1 OR b=2) AND c=3' }],
  ['redundant parentheses dropped', '((a=1)) AND ((b=2 AND c=3))', { conditions: 'a=1 AND b=2 AND c=3' }],
  ['nested OR flattened', '(a=1 OR b=2) OR c=3', { conditions: 'a=1 OR b=2 OR c=3' }],
  [
    'deep nesting',
    '(a=1 OR (b=2 AND (c=3 OR d=4))) AND e=5',
    { conditions: '(a=1 OR (b=2 AND (c=3 OR d=4))) AND e=5' },
  ],
  ['whitespace-insensitive', '(a=1)and(b=2)or(c=3)', { conditions: '(a=1 AND b=2) OR c=3' }],
  ['newlines and tabs', "id\t=\n5\r\nAND\ttitle\nLIKE\n'x%'", { conditions: 'id=5 AND title like "x%"' }],
  // mappings
  [
    'child mapping',
    "email='x@y.z'",
    { childConditions: 'communicationItems/value="x@y.z" AND communicationItems/communicationType="Email"' },
  ],
  [
    'child mapping (dotted path) with LIKE',
    "emailAddress like '%@x.com'",
    { childConditions: 'communicationItems/value like "%@x.com" AND communicationItems/communicationType="Email"' },
  ],
  [
    'child mapping alongside conditions',
    "id > 3 AND email = 'a@b.c' AND (firstName = 'A' OR lastName = 'B')",
    {
      conditions: 'id>3 AND (firstName="A" OR lastName="B")',
      childConditions: 'communicationItems/value="a@b.c" AND communicationItems/communicationType="Email"',
    },
  ],
  [
    'child mapping inside a nested top-level AND',
    "(id = 1 AND email = 'a') AND title = 't'",
    {
      conditions: 'id=1 AND title="t"',
      childConditions: 'communicationItems/value="a" AND communicationItems/communicationType="Email"',
    },
  ],
  [
    'two clauses on the same child binding',
    "email LIKE '%@x.com' AND email != 'no@x.com'",
    {
      childConditions:
        'communicationItems/value like "%@x.com" AND communicationItems/value!="no@x.com" AND communicationItems/communicationType="Email"',
    },
  ],
  [
    'child mapping IS NOT NULL',
    'email IS NOT NULL',
    { childConditions: 'communicationItems/value!=null AND communicationItems/communicationType="Email"' },
  ],
  ['child mapping coerces by its type', "typeId = '4'", { childConditions: 'types/id=4' }],
  ['custom field', "tier = 'Gold'", { customFieldConditions: 'caption="Tier" AND value="Gold"' }],
  ['custom field typed', "outageId = '123'", { customFieldConditions: 'caption="Outage ID" AND value=123' }],
  ['custom field IS NOT NULL', 'tier IS NOT NULL', { customFieldConditions: 'caption="Tier" AND value!=null' }],
  [
    'custom field twice, same caption',
    "tier != 'Gold' AND tier != 'Silver'",
    { customFieldConditions: 'caption="Tier" AND value!="Gold" AND value!="Silver"' },
  ],
  [
    'all three parameters',
    "TIER = 'Gold' and Email = 'a@b' and id = 1",
    {
      conditions: 'id=1',
      childConditions: 'communicationItems/value="a@b" AND communicationItems/communicationType="Email"',
      customFieldConditions: 'caption="Tier" AND value="Gold"',
    },
  ],
  ['rename', "`_info.lastUpdated` > '2024-01-01'", { conditions: 'lastUpdated>[2024-01-01T00:00:00Z]' }],
  [
    'rename, plain dotted spelling',
    "_info.lastUpdated >= '2024-01-01T12:00:00Z'",
    { conditions: 'lastUpdated>=[2024-01-01T12:00:00Z]' },
  ],
  [
    'rename to a dotted path, under OR',
    "companyName = 'Acme' OR id = 2",
    { conditions: 'company/name="Acme" OR id=2' },
  ],
];

describe('translateWhere', () => {
  it.each(ok)('%s: %s', (_name, where, expected) => {
    expect(translateWhere(where, schema)).toEqual({ ok: true, value: expected });
  });

  const errors: [string, string, { code: string; position: number; clause?: string; message: RegExp }][] = [
    [
      'missing value',
      'firstName = ',
      { code: 'CEQL_PARSE', position: 12, message: /^Error parsing query: expected a value at position 12/ },
    ],
    [
      'message quotes the text near the error',
      'id = 5 AND name = AND x = 1',
      { code: 'CEQL_PARSE', position: 18, message: /expected a value at position 18 near "AND x = 1"$/ },
    ],
    [
      'unterminated string',
      "title = 'abc",
      { code: 'CEQL_PARSE', position: 8, message: /unterminated string at position 8/ },
    ],
    ['unbalanced (', '(a=1 OR b=2', { code: 'CEQL_PARSE', position: 11, message: /expected "\)" at position 11/ }],
    ['unbalanced )', 'a=1)', { code: 'CEQL_PARSE', position: 3, message: /unbalanced "\)"/ }],
    ['unknown operator', 'a == 1', { code: 'CEQL_PARSE', position: 3, message: /expected a value/ }],
    ['bare word as a value', 'a = b', { code: 'CEQL_PARSE', position: 4, message: /expected a value/ }],
    ['missing operator', "a 'x'", { code: 'CEQL_PARSE', position: 2, message: /expected an operator/ }],
    ['keyword as field', 'AND = 1', { code: 'CEQL_PARSE', position: 0, message: /not the keyword AND/ }],
    ['LIKE needs a string', 'a LIKE 5', { code: 'CEQL_PARSE', position: 7, message: /quoted pattern/ }],
    ['empty IN', 'a IN ()', { code: 'CEQL_PARSE', position: 6, message: /expected a value/ }],
    ['IS without NULL', 'a IS 5', { code: 'CEQL_PARSE', position: 5, message: /expected NULL/ }],
    ['NOT alone', 'a NOT = 1', { code: 'CEQL_PARSE', position: 6, message: /LIKE or IN after NOT/ }],
    ['trailing garbage', 'a = 1 b = 2', { code: 'CEQL_PARSE', position: 6, message: /expected AND, OR/ }],
    ['bad character', 'a = 1 & b = 2', { code: 'CEQL_PARSE', position: 6, message: /unexpected character "&"/ }],
    ['malformed number', 'a = 1.2.3', { code: 'CEQL_PARSE', position: 4, message: /malformed number/ }],
    ['empty backticks', '`` = 1', { code: 'CEQL_PARSE', position: 0, message: /empty field name/ }],
    ['dangling dot', 'company. = 1', { code: 'CEQL_PARSE', position: 8, message: /expected a name/ }],
    ['trailing AND', 'a = 1 AND', { code: 'CEQL_PARSE', position: 9, message: /\(end of query\)$/ }],
    [
      'uncoercible number',
      "id='abc'",
      {
        code: 'CEQL_UNSUPPORTED',
        position: 0,
        clause: "id='abc'",
        message: /id is a number field and "abc" is not a number/,
      },
    ],
    [
      'uncoercible boolean',
      "x = 1 AND approved = 'yes'",
      { code: 'CEQL_UNSUPPORTED', position: 10, clause: "approved = 'yes'", message: /not a boolean/ },
    ],
    [
      'number on boolean field',
      'approved = 1',
      { code: 'CEQL_UNSUPPORTED', position: 0, clause: 'approved = 1', message: /not a boolean/ },
    ],
    [
      'not a date',
      "lastUpdated > 'yesterday'",
      { code: 'CEQL_UNSUPPORTED', position: 0, clause: "lastUpdated > 'yesterday'", message: /not an ISO date/ },
    ],
    [
      'impossible date',
      "birthDay = '2023-02-29'",
      { code: 'CEQL_UNSUPPORTED', position: 0, message: /not an ISO date/ },
    ],
    [
      'both quote kinds',
      `title = 'it''s "x"'`,
      {
        code: 'CEQL_UNSUPPORTED',
        position: 0,
        clause: `title = 'it''s "x"'`,
        message: /both single and double quotes/,
      },
    ],
    [
      'LIKE on a number field',
      "id LIKE '1%'",
      { code: 'CEQL_UNSUPPORTED', position: 0, message: /LIKE needs a text field/ },
    ],
    ['null in IN', 'id IN (1, null)', { code: 'CEQL_UNSUPPORTED', position: 0, message: /IS NULL/ }],
    ['ordering null', 'id > null', { code: 'CEQL_UNSUPPORTED', position: 0, message: /null can only be compared/ }],
    [
      'field name CW cannot read',
      '`first name` = 1',
      {
        code: 'CEQL_UNSUPPORTED',
        position: 0,
        clause: '`first name` = 1',
        message: /cannot be written in ConnectWise/,
      },
    ],
    [
      'field named like a ConnectWise keyword',
      '`and` = 1 AND a.contains = 2',
      { code: 'CEQL_UNSUPPORTED', position: 0, clause: '`and` = 1', message: /cannot be written in ConnectWise/ },
    ],
    [
      'child clause under OR',
      "id = 1 OR email = 'x@y.z'",
      { code: 'CEQL_UNSUPPORTED', position: 10, clause: "email = 'x@y.z'", message: /cannot be combined with OR/ },
    ],
    [
      'child clause under OR inside an AND',
      "id = 1 AND (title = 'a' OR (id = 2 AND email = 'x'))",
      {
        code: 'CEQL_UNSUPPORTED',
        position: 39,
        clause: "email = 'x'",
        message: /childConditions, which cannot be combined with OR/,
      },
    ],
    [
      'custom field under OR',
      "tier = 'Gold' OR id = 1",
      {
        code: 'CEQL_UNSUPPORTED',
        position: 0,
        clause: "tier = 'Gold'",
        message: /customFieldConditions, which cannot be combined with OR/,
      },
    ],
    [
      'two child bindings',
      "email = 'a@b' AND phone = '555'",
      {
        code: 'CEQL_UNSUPPORTED',
        position: 18,
        clause: "phone = '555'",
        message: /cannot be combined with "email = 'a@b'"/,
      },
    ],
    [
      'two child arrays',
      "email = 'a@b' AND typeId = 4",
      { code: 'CEQL_UNSUPPORTED', position: 18, clause: 'typeId = 4', message: /same child element/ },
    ],
    [
      'two custom fields',
      "tier = 'Gold' AND region = 'EU'",
      { code: 'CEQL_UNSUPPORTED', position: 18, clause: "region = 'EU'", message: /one custom field per query/ },
    ],
    [
      'child IS NULL',
      'email IS NULL',
      { code: 'CEQL_UNSUPPORTED', position: 0, clause: 'email IS NULL', message: /cannot test/ },
    ],
    ['child = null', 'email = null', { code: 'CEQL_UNSUPPORTED', position: 0, message: /cannot test/ }],
    ['child IN', "email IN ('a')", { code: 'CEQL_UNSUPPORTED', position: 0, message: /do not support IN/ }],
    [
      'child coercion',
      "typeId = 'x'",
      { code: 'CEQL_UNSUPPORTED', position: 0, message: /types\/id is a number field/ },
    ],
  ];

  it.each(errors)('rejects %s: %s', (_name, where, expected) => {
    const result = translateWhere(where, schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(expected.code);
    expect(result.error.position).toBe(expected.position);
    if (expected.clause !== undefined) {
      expect(result.error.clause).toBe(expected.clause);
      expect(result.error.message).toContain(JSON.stringify(expected.clause));
    }
    expect(result.error.message).toMatch(expected.message);
  });

  it('never drops a clause: every predicate appears in exactly one parameter', () => {
    const result = translateWhere("id = 1 AND email = 'e' AND tier = 't' AND (a = 1 OR b = 2)", schema);
    expect(result).toEqual({
      ok: true,
      value: {
        conditions: 'id=1 AND (a=1 OR b=2)',
        childConditions: 'communicationItems/value="e" AND communicationItems/communicationType="Email"',
        customFieldConditions: 'caption="Tier" AND value="t"',
      },
    });
  });

  it('works with a schema that has no mappings', () => {
    expect(translateWhere("email = 'x'", { fields: {} })).toEqual({ ok: true, value: { conditions: 'email="x"' } });
  });
});
