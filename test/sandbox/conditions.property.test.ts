/**
 * Property: for generated `conditions`, the simulator's result set equals a direct filter of its
 * own data. The reference filter below is written independently of src/sandbox/conditions (SQL
 * three-valued logic over the rendered JSON records).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.ts';
import { type CwClient, cwClient, enc } from './client.ts';

type Json = Record<string, unknown>;
type Kind = 'string' | 'number' | 'boolean' | 'datetime';
type Lit = { k: Kind | 'null'; v: string | number | boolean | null; text: string };
type Node =
  | { t: 'cmp'; path: string; kind: Kind; op: string; neg: boolean; lits: Lit[] }
  | { t: 'and' | 'or'; items: Node[] }
  | { t: 'not'; item: Node };

const T = null;
type Tri = boolean | null;

function valueAt(rec: Json, path: string): unknown {
  if (path === 'lastUpdated' || path === '_info/lastUpdated') return (rec._info as Json).lastUpdated;
  if (path === 'dateEntered' || path === '_info/dateEntered') return (rec._info as Json).dateEntered;
  let cur: unknown = rec;
  for (const seg of path.split('/')) cur = cur && typeof cur === 'object' ? (cur as Json)[seg] : undefined;
  return cur;
}

function likeMatch(value: string, pattern: string): boolean {
  // Independent LIKE: dynamic programming over the pattern (only %, * and _ are generated).
  const v = value.toLowerCase();
  const p = pattern.toLowerCase();
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (j === p.length) r = i === v.length;
    else if (p[j] === '%' || p[j] === '*') r = go(i, j + 1) || (i < v.length && go(i + 1, j));
    else if (p[j] === '_') r = i < v.length && go(i + 1, j + 1);
    else r = i < v.length && v[i] === p[j] && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

function cmpOne(kind: Kind, op: string, raw: unknown, lit: Lit): Tri {
  const missing = raw === undefined || raw === null;
  if (lit.k === 'null') {
    if (op === '=') return missing;
    if (op === '!=') return !missing;
    return T;
  }
  if (missing) return T;
  let a: string | number | boolean;
  let b: string | number | boolean;
  if (kind === 'string') {
    a = String(raw).toLowerCase();
    b = String(lit.v).toLowerCase();
  } else if (kind === 'datetime') {
    a = Date.parse(String(raw));
    b = lit.v as number;
  } else {
    a = raw as number | boolean;
    b = lit.v as number | boolean;
  }
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case 'contains':
      return (a as string).includes(b as string);
    case 'like':
      return likeMatch(String(raw), String(lit.v));
  }
  throw new Error(op);
}

function evaluate(n: Node, rec: Json): Tri {
  switch (n.t) {
    case 'not': {
      const r = evaluate(n.item, rec);
      return r === null ? null : !r;
    }
    case 'and': {
      let unknown = false;
      for (const i of n.items) {
        const r = evaluate(i, rec);
        if (r === false) return false;
        if (r === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case 'or': {
      let unknown = false;
      for (const i of n.items) {
        const r = evaluate(i, rec);
        if (r === true) return true;
        if (r === null) unknown = true;
      }
      return unknown ? null : false;
    }
    case 'cmp': {
      const raw = valueAt(rec, n.path);
      let r: Tri;
      if (n.op === 'in') {
        const parts = n.lits.map((l) => cmpOne(n.kind, '=', raw, l));
        r = parts.includes(true) ? true : parts.includes(null) ? null : false;
      } else r = cmpOne(n.kind, n.op, raw, n.lits[0] as Lit);
      return n.neg ? (r === null ? null : !r) : r;
    }
  }
}

const randomCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((flags) => [...word].map((c, i) => (flags[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

function render(n: Node): fc.Arbitrary<string> {
  switch (n.t) {
    case 'not':
      return fc.tuple(randomCase('not'), render(n.item)).map(([kw, inner]) => `${kw} (${inner})`);
    case 'and':
    case 'or':
      return fc
        .tuple(randomCase(n.t), fc.tuple(...n.items.map(render)))
        .map(([kw, parts]) => parts.map((p) => `(${p})`).join(` ${kw} `));
    case 'cmp': {
      const opWord = ['contains', 'like', 'in'].includes(n.op) ? randomCase(n.op) : fc.constant(n.op);
      return fc.tuple(opWord, randomCase('not'), fc.boolean()).map(([op, notKw, spaced]) => {
        const value = n.op === 'in' ? `(${n.lits.map((l) => l.text).join(', ')})` : (n.lits[0] as Lit).text;
        const sp = spaced || /^[a-z]/i.test(op) ? ' ' : '';
        return `${n.path}${n.neg ? ` ${notKw}` : ''}${sp}${op}${sp}${value}`;
      });
    }
  }
}

/** Quotes a string literal; a quote inside is escaped with a backslash (the simulator's documented escape). */
const quote = (s: string) =>
  fc.constantFrom('"', "'").map((q) => ({
    k: 'string' as const,
    v: s,
    text: `${q}${s.replace(/\\/g, '\\\\').split(q).join(`\\${q}`)}${q}`,
  }));

function isoNoMs(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface FieldPool {
  path: string;
  kind: Kind;
  values: unknown[];
  nullable: boolean;
}

function literalFor(f: FieldPool): fc.Arbitrary<Lit> {
  const pool = f.values.filter((v) => v !== undefined && v !== null);
  switch (f.kind) {
    case 'string':
      return fc
        .oneof(
          fc.constantFrom(...pool.map(String)).chain((s) => fc.constantFrom(s, s.toUpperCase(), s.slice(0, 3))),
          fc.stringMatching(/^[A-Za-z ]{0,6}$/),
        )
        .chain(quote);
    case 'number':
      return fc
        .oneof(fc.constantFrom(...(pool as number[])), fc.integer({ min: -5, max: 400 }))
        .map((v) => ({ k: 'number' as const, v, text: String(v) }));
    case 'boolean':
      return fc.tuple(fc.boolean(), fc.boolean()).map(([v, upper]) => {
        const word = String(v);
        return { k: 'boolean' as const, v, text: upper ? word[0]?.toUpperCase() + word.slice(1) : word };
      });
    case 'datetime':
      return fc
        .tuple(
          fc.constantFrom(...pool.map((d) => Date.parse(String(d)))),
          fc.integer({ min: -3, max: 3 }),
          fc.boolean(),
        )
        .map(([ms, shift, spaced]) => {
          const v = ms + shift * 1000 * (shift % 2 === 0 ? 1 : 86_400);
          const iso = isoNoMs(v);
          return { k: 'datetime' as const, v, text: `[${spaced ? iso.replace('T', ' ').replace('Z', '') : iso}]` };
        });
  }
}

function comparison(fields: FieldPool[]): fc.Arbitrary<Node> {
  return fc.constantFrom(...fields).chain((f) => {
    const ops =
      f.kind === 'boolean'
        ? ['=', '!=']
        : f.kind === 'string'
          ? ['=', '!=', '<', '>=', 'contains', 'like', 'in']
          : ['=', '!=', '<', '<=', '>', '>=', 'in'];
    const nullCmp = fc.record({ op: fc.constantFrom('=', '!='), neg: fc.constant(false) }).map(({ op, neg }) => ({
      t: 'cmp' as const,
      path: f.path,
      kind: f.kind,
      op,
      neg,
      lits: [{ k: 'null' as const, v: null, text: 'null' }],
    }));
    const likeLit = fc
      .tuple(
        fc.constantFrom(...f.values.filter((v) => typeof v === 'string').map(String), 'x'),
        fc.nat(4),
        fc.constantFrom('%', '*', '_'),
      )
      .chain(([s, cut, wild]) => quote(cut % 2 === 0 ? `${s.slice(0, cut)}${wild}` : `${wild}${s.slice(cut)}`));
    const regular = fc.record({ op: fc.constantFrom(...ops), neg: fc.boolean() }).chain(({ op, neg }) => {
      const lits =
        op === 'in'
          ? fc.array(literalFor(f), { minLength: 1, maxLength: 4 })
          : op === 'like'
            ? likeLit.map((l) => [l])
            : literalFor(f).map((l) => [l]);
      const negAllowed = ['contains', 'like', 'in'].includes(op) && neg;
      return lits.map((ls) => ({ t: 'cmp' as const, path: f.path, kind: f.kind, op, neg: negAllowed, lits: ls }));
    });
    return f.nullable ? fc.oneof({ arbitrary: regular, weight: 4 }, { arbitrary: nullCmp, weight: 1 }) : regular;
  });
}

function expression(fields: FieldPool[]): fc.Arbitrary<Node> {
  const { node } = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { arbitrary: comparison(fields), weight: 3 },
      {
        arbitrary: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((items) => ({ t: 'and' as const, items })),
        weight: 1,
      },
      {
        arbitrary: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((items) => ({ t: 'or' as const, items })),
        weight: 1,
      },
      { arbitrary: tie('node').map((item) => ({ t: 'not' as const, item })), weight: 1 },
    ),
  }));
  return node;
}

function poolOf(records: Json[], path: string, kind: Kind): FieldPool {
  const values = [...new Set(records.map((r) => valueAt(r, path)))].slice(0, 40);
  return { path, kind, values, nullable: values.some((v) => v === undefined || v === null) };
}

describe('conditions: simulator result set equals a direct filter of its data', () => {
  let sb: RunningSandbox;
  let cw: CwClient;
  let tickets: Json[];
  let contacts: Json[];

  beforeAll(async () => {
    sb = await startSandbox({ quiet: true, seed: 3, tickets: 400, contacts: 300 });
    cw = cwClient(sb, 'http');
    tickets = (await cw.call('GET', '/service/tickets?pageSize=1000')).json as Json[];
    contacts = (await cw.call('GET', '/company/contacts?pageSize=1000')).json as Json[];
  });
  afterAll(() => sb.close());

  async function idsFor(resource: string, param: string, text: string): Promise<number[]> {
    const r = await cw.call('GET', `/${resource}?${param}=${enc(text)}&fields=id&pageSize=1000`);
    if (r.status !== 200) throw new Error(`${r.status} ${r.text} for ${text}`);
    return (r.json as { id: number }[]).map((x) => x.id);
  }

  it('tickets', async () => {
    expect(tickets.length).toBe(400);
    const fields: FieldPool[] = [
      poolOf(tickets, 'summary', 'string'),
      poolOf(tickets, 'severity', 'string'),
      poolOf(tickets, 'status/name', 'string'),
      poolOf(tickets, 'company/identifier', 'string'),
      poolOf(tickets, 'owner/identifier', 'string'),
      poolOf(tickets, 'id', 'number'),
      poolOf(tickets, 'company/id', 'number'),
      poolOf(tickets, 'board/id', 'number'),
      poolOf(tickets, 'contact/id', 'number'),
      poolOf(tickets, 'actualHours', 'number'),
      poolOf(tickets, 'closedFlag', 'boolean'),
      poolOf(tickets, 'lastUpdated', 'datetime'),
      poolOf(tickets, '_info/dateEntered', 'datetime'),
    ];
    await fc.assert(
      fc.asyncProperty(
        expression(fields).chain((n) => render(n).map((text) => ({ n, text }))),
        async ({ n, text }) => {
          const expected = tickets.filter((t) => evaluate(n, t) === true).map((t) => t.id as number);
          expect(await idsFor('service/tickets', 'conditions', text)).toEqual(expected);
        },
      ),
      { numRuns: 250 },
    );
  });

  it('contacts, including conditions the lastUpdated index answers', async () => {
    const fields: FieldPool[] = [
      poolOf(contacts, 'firstName', 'string'),
      poolOf(contacts, 'lastName', 'string'),
      poolOf(contacts, 'company/name', 'string'),
      poolOf(contacts, 'company/id', 'number'),
      poolOf(contacts, 'id', 'number'),
      poolOf(contacts, 'inactiveFlag', 'boolean'),
      poolOf(contacts, 'lastUpdated', 'datetime'),
    ];
    await fc.assert(
      fc.asyncProperty(
        expression(fields).chain((n) => render(n).map((text) => ({ n, text }))),
        async ({ n, text }) => {
          const expected = contacts.filter((c) => evaluate(n, c) === true).map((c) => c.id as number);
          expect(await idsFor('company/contacts', 'conditions', text)).toEqual(expected);
          const count = await cw.call('GET', `/company/contacts/count?conditions=${enc(text)}`);
          expect(count.json).toEqual({ count: expected.length });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('childConditions bind all clauses to one communication item', async () => {
    const values = contacts.flatMap((c) => (c.communicationItems as Json[]).map((i) => String(i.value)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Email', 'Phone', 'Fax'),
        fc.constantFrom(...values),
        fc.nat(6),
        fc.boolean(),
        async (type, value, cut, negate) => {
          const pattern = `%${value.slice(cut)}`;
          const text = `communicationItems/communicationType ${negate ? '!=' : '='} "${type}" AND communicationItems/value like "${pattern}"`;
          const expected = contacts
            .filter((c) =>
              (c.communicationItems as Json[]).some(
                (i) =>
                  (negate ? i.communicationType !== type : i.communicationType === type) &&
                  likeMatch(String(i.value), pattern),
              ),
            )
            .map((c) => c.id as number);
          expect(await idsFor('company/contacts', 'childConditions', text)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('orderBy with a comma list sorts like a direct sort (nulls first, ties by id)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('summary', 'owner/identifier', 'actualHours', 'severity'),
        fc.constantFrom('asc', 'desc'),
        fc.constantFrom('id', 'company/id'),
        async (first, dir, second) => {
          const r = await cw.call(
            'GET',
            `/service/tickets?orderBy=${enc(`${first} ${dir}, ${second} desc`)}&fields=id&pageSize=1000`,
          );
          const key = (t: Json, p: string) => {
            const v = valueAt(t, p);
            return typeof v === 'string' ? v.toLowerCase() : (v as number | undefined);
          };
          const cmp = (a: unknown, b: unknown) =>
            a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : (a as number) < (b as number) ? -1 : 1;
          const expected = [...tickets]
            .sort((a, b) => {
              const c1 = cmp(key(a, first), key(b, first)) * (dir === 'desc' ? -1 : 1);
              if (c1 !== 0) return c1;
              const c2 = -cmp(key(a, second), key(b, second));
              return c2 !== 0 ? c2 : (a.id as number) - (b.id as number);
            })
            .map((t) => t.id);
          expect((r.json as Json[]).map((t) => t.id)).toEqual(expected);
        },
      ),
      { numRuns: 20 },
    );
  });
});
