// CEQL push-down: a table of CEQL → ConnectWise query, and a property test that runs generated CEQL through the
// hub against the simulator and compares with filtering the simulator's unfiltered data here, independently.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.close();
});

const explain = async (resource: string, where: string) => {
  const res = await f.hub('GET', `/hubs/crm/${resource}?explain=true&pageSize=20&where=${encodeURIComponent(where)}`);
  expect(res.status, res.text).toBe(200);
  const { page: _p, pageSize: _s, ...query } = res.body.query as Record<string, string>;
  return query;
};

const table: Array<[string, string, Record<string, string>]> = [
  ['contacts', "lastName='Lee'", { conditions: 'lastName="Lee"' }],
  ['contacts', "id='5'", { conditions: 'id=5' }],
  ['contacts', 'id IN (1, 2, 3)', { conditions: 'id in (1,2,3)' }],
  [
    'contacts',
    "email='x@y.z'",
    { childConditions: 'communicationItems/value="x@y.z" AND communicationItems/communicationType="Email"' },
  ],
  [
    'contacts',
    "firstName LIKE 'Jo%' AND email LIKE '%@acme.com'",
    {
      conditions: 'firstName like "Jo%"',
      childConditions: 'communicationItems/value like "%@acme.com" AND communicationItems/communicationType="Email"',
    },
  ],
  ['contacts', "_info.lastUpdated>'2024-01-01T00:00:00Z'", { conditions: 'lastUpdated>[2024-01-01T00:00:00Z]' }],
  ['contacts', 'title IS NULL', { conditions: 'title=null' }],
  ['contacts', 'company.id IS NOT NULL', { conditions: 'company/id!=null' }],
  ['organizations', "deletedFlag='false'", { conditions: 'deletedFlag=false' }],
  [
    'organizations',
    '(city=\'Tampa\' OR city = "Miami") AND status.id != 2',
    { conditions: '(city="Tampa" OR city="Miami") AND status/id!=2' },
  ],
  ['incidents', "approved='false'", { conditions: 'approved=false' }],
  ['incidents', 'contactPhoneNumber="555-5555"', { conditions: 'contactPhoneNumber="555-5555"' }],
  ['incidents', 'company.id=123', { conditions: 'company/id=123' }],
  ['incidents', "lastUpdated>'2016-08-20T18:04:26Z'", { conditions: 'lastUpdated>[2016-08-20T18:04:26Z]' }],
  ['incidents', "summary != 'x' AND `board.name` = 'Help'", { conditions: 'summary!="x" AND board/name="Help"' }],
  ['configurations', "lastUpdated>='2024-01-01'", { conditions: 'lastUpdated>=[2024-01-01T00:00:00Z]' }],
  ['time-entries', "notes='fix' AND enteredBy='asmith'", { conditions: 'notes="fix" AND enteredBy="asmith"' }],
];

describe(`CEQL → ConnectWise (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it.each(table)('%s: %s', async (resource, where, expected) => {
    expect(await explain(resource, where)).toEqual(expected);
  });

  it('the child resource adds its parent filter', async () => {
    const res = await f.hub(
      'GET',
      `/hubs/crm/incidents/7/time-entries?explain=true&where=${encodeURIComponent("notes LIKE 'a%'")}`,
    );
    expect(res.body.query.conditions).toBe('chargeToType="ServiceTicket" and chargeToId=7 AND (notes like "a%")');
  });

  it('malformed CEQL never yields a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .array(
              fc.constantFrom(
                'id',
                'name',
                '=',
                "'x'",
                '(',
                ')',
                'AND',
                'OR',
                'IN',
                'LIKE',
                'IS',
                'NULL',
                '5',
                '`a.b`',
                '"q"',
                ',',
                '!=',
              ),
              {
                maxLength: 8,
              },
            )
            .map((t) => t.join(' ')),
        ),
        async (where) => {
          const res = await f.hub('GET', `/hubs/crm/organizations?pageSize=5&where=${encodeURIComponent(where)}`);
          expect(res.status, `${where} → ${res.text}`).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---- An independent evaluator of CEQL over vendor records (SQL three-valued logic, case-insensitive text). ----

type Truth = boolean | null;
type Rec = Record<string, unknown>;
type Gen =
  | { kind: 'cmp'; field: Field; op: string; value: unknown }
  | { kind: 'like'; field: Field; pattern: string }
  | { kind: 'in'; field: Field; values: unknown[] }
  | { kind: 'null'; field: Field; negated: boolean }
  | { kind: 'and' | 'or'; parts: Gen[] };

interface Field {
  ceql: string;
  type: 'number' | 'string' | 'boolean' | 'date';
  get(r: Rec): unknown;
}

const fields: Field[] = [
  { ceql: 'id', type: 'number', get: (r) => r.id },
  { ceql: 'name', type: 'string', get: (r) => r.name },
  { ceql: 'identifier', type: 'string', get: (r) => r.identifier },
  { ceql: 'city', type: 'string', get: (r) => r.city },
  { ceql: 'state', type: 'string', get: (r) => r.state },
  { ceql: 'deletedFlag', type: 'boolean', get: (r) => r.deletedFlag },
  { ceql: 'leadFlag', type: 'boolean', get: (r) => r.leadFlag },
  { ceql: 'status.id', type: 'number', get: (r) => (r.status as Rec | undefined)?.id },
  { ceql: 'lastUpdated', type: 'date', get: (r) => (r._info as Rec | undefined)?.lastUpdated },
];

const and3 = (a: Truth, b: Truth): Truth =>
  a === false || b === false ? false : a === null || b === null ? null : true;
const or3 = (a: Truth, b: Truth): Truth => (a === true || b === true ? true : a === null || b === null ? null : false);

function norm(type: Field['type'], v: unknown): string | number | boolean {
  if (type === 'string') return String(v).toLowerCase();
  if (type === 'date') return Date.parse(String(v));
  if (type === 'number') return Number(v);
  return v === true || String(v).toLowerCase() === 'true';
}

function cmp(op: string, a: string | number | boolean, b: string | number | boolean): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    default:
      return a >= b;
  }
}

function likeMatches(value: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('%')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'is',
  );
  return re.test(value);
}

function evaluate(g: Gen, r: Rec): Truth {
  switch (g.kind) {
    case 'and':
      return g.parts.map((p) => evaluate(p, r)).reduce(and3, true);
    case 'or':
      return g.parts.map((p) => evaluate(p, r)).reduce(or3, false);
    case 'null': {
      const isNull = g.field.get(r) === undefined || g.field.get(r) === null;
      return g.negated ? !isNull : isNull;
    }
    default: {
      const v = g.field.get(r);
      if (v === undefined || v === null) return null;
      if (g.kind === 'like') return likeMatches(String(v), g.pattern);
      if (g.kind === 'in') return g.values.some((x) => norm(g.field.type, v) === norm(g.field.type, x));
      return cmp(g.op, norm(g.field.type, v), norm(g.field.type, g.value));
    }
  }
}

function literal(field: Field, value: unknown, quoteBool: boolean): string {
  if (field.type === 'number') return String(value);
  if (field.type === 'boolean') return quoteBool ? `'${value}'` : String(value);
  return `'${String(value)}'`;
}

function print(g: Gen): string {
  switch (g.kind) {
    case 'and':
    case 'or':
      return g.parts
        .map((p) => (p.kind === 'and' || p.kind === 'or' ? `(${print(p)})` : print(p)))
        .join(` ${g.kind.toUpperCase()} `);
    case 'null':
      return `${g.field.ceql} IS ${g.negated ? 'NOT ' : ''}NULL`;
    case 'like':
      return `${g.field.ceql} LIKE '${g.pattern}'`;
    case 'in':
      return `${g.field.ceql} IN (${g.values.map((v) => literal(g.field, v, false)).join(', ')})`;
    case 'cmp':
      return `${g.field.ceql} ${g.op} ${literal(g.field, g.value, true)}`;
  }
}

describe('generated CEQL through the hub equals filtering the simulator’s data directly', () => {
  it('property', async () => {
    const all = (await f.vendor('/company/companies?pageSize=1000')).body as Rec[];
    expect(all.length).toBeGreaterThan(20);
    const valuesOf = (field: Field) => {
      const seen = all.map(field.get).filter((v) => v !== undefined && v !== null && !/['"%\\`]/.test(String(v)));
      return seen.length > 0 ? seen : field.type === 'boolean' ? [true] : ['x'];
    };
    const valueFor = (field: Field) =>
      field.type === 'number'
        ? fc.oneof(fc.constantFrom(...valuesOf(field)), fc.integer({ min: -1, max: 80 }))
        : field.type === 'boolean'
          ? fc.boolean()
          : field.type === 'date'
            ? fc.constantFrom(...valuesOf(field))
            : fc.oneof(fc.constantFrom(...valuesOf(field)), fc.stringMatching(/^[A-Za-z ]{0,6}$/));
    const predicate: fc.Arbitrary<Gen> = fc.constantFrom(...fields).chain((field): fc.Arbitrary<Gen> => {
      const options: fc.Arbitrary<Gen>[] = [
        fc.record({
          kind: fc.constant('cmp' as const),
          field: fc.constant(field),
          op: field.type === 'boolean' ? fc.constantFrom('=', '!=') : fc.constantFrom('=', '!=', '<', '>', '<=', '>='),
          value: valueFor(field),
        }),
        fc.record({ kind: fc.constant('null' as const), field: fc.constant(field), negated: fc.boolean() }),
      ];
      if (field.type !== 'date') {
        options.push(
          fc.record({
            kind: fc.constant('in' as const),
            field: fc.constant(field),
            values: fc.array(valueFor(field), { minLength: 1, maxLength: 3 }),
          }),
        );
      }
      if (field.type === 'string') {
        options.push(
          fc.record({
            kind: fc.constant('like' as const),
            field: fc.constant(field),
            pattern: fc
              .tuple(fc.constantFrom(...valuesOf(field)), fc.nat(4), fc.boolean(), fc.boolean())
              .map(([v, n, lead, trail]) => `${lead ? '%' : ''}${String(v).slice(0, n)}${trail ? '%' : ''}`),
          }),
        );
      }
      return fc.oneof(...options);
    });
    const where: fc.Arbitrary<Gen> = fc.letrec<{ node: Gen }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        predicate,
        fc.record({
          kind: fc.constantFrom('and' as const, 'or' as const),
          parts: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
        }),
      ),
    })).node;

    await fc.assert(
      fc.asyncProperty(where, async (g) => {
        const text = print(g);
        const res = await f.hub('GET', `/hubs/crm/organizations?pageSize=200&where=${encodeURIComponent(text)}`);
        expect(res.status, `${text} → ${res.text}`).toBe(200);
        const expected = all.filter((r) => evaluate(g, r) === true).map((r) => r.id);
        expect(
          res.body.map((r: Rec) => r.id),
          text,
        ).toEqual(expected);
      }),
      { numRuns: 120 },
    );
  });
});
