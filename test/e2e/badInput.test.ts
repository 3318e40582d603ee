// Bad input over every route, generated from the routes the real app registered and their schemas: wrong types,
// missing and extra properties, malformed and deep JSON, oversized bodies, NUL bytes and lone surrogates, long
// query strings, hostile path parameters, and fast-check-generated CEQL. Whatever the input: never a 5xx, every
// 4xx is the JSON error envelope with a message that names the field or the problem, and the server stays up.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteInfo, routesOf } from '../../src/http/index.ts';
import { seedBody } from '../helpers/sandbox.ts';
import { elementAuth, orgAuth } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

/** Small, so that "huge" bodies stay cheap to send on every route. */
const BODY_LIMIT_MB = 0.25;

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  maxLength?: number;
  maximum?: number;
}

interface Probe {
  route: string;
  what: string;
  method: string;
  path: string;
  auth?: string;
  body?: string | Buffer;
  contentType?: string;
}

interface Outcome {
  probe: Probe;
  status: number;
  text: string;
}

/** Percent-encodes any text, lone surrogates included (as the bytes a careless client would send). */
function enc(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code >= 0xd800 && code <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
  }
  return out;
}

function objectSchema(schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.properties) return schema;
  return schema.anyOf?.find((s) => s.properties || s.type === 'object');
}

/** A value of the wrong JSON type for a property, or undefined when the property takes anything. */
function wrongValue(schema: Schema): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 12345;
    case 'integer':
    case 'number':
      return 'not-a-number';
    case 'boolean':
      return 'maybe';
    case 'array':
      return 'not-an-array';
    case 'object':
      return 7;
    default:
      return undefined;
  }
}

/** Query-string text that the property's schema refuses (query values are text, coerced where they can be). */
function wrongQueryValues(schema: Schema): string[] {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const values = ['%00', `a%ED%A0%80b${'%F0%9F'}`];
  if (type === 'integer' || type === 'number') values.push('abc', '-1', '99999999999999999999', '1.5');
  if (type === 'boolean') values.push('maybe');
  if (type === 'string' && schema.maxLength !== undefined) values.push('x'.repeat(schema.maxLength + 1));
  return values;
}

describe('bad input over every route', () => {
  let f: HubFixture;
  let routes: readonly RouteInfo[];
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    f = await startHubFixture({ env: { CONDUIT_BODY_LIMIT_MB: String(BODY_LIMIT_MB) } });
    routes = routesOf(f.server.app);
  });
  afterAll(async () => f?.close());

  const orgHeader = () => orgAuth(f.org);
  const elementHeader = () => elementAuth(f.org, f.token);

  /** A value the route's path parameter accepts, so that the other parts of the request are what is judged. */
  function validParam(name: string): string {
    const known: Record<string, string> = {
      id: String(f.instanceId),
      instanceId: String(f.instanceId),
      configId: '1',
      eventId: '1',
      keyOrId: 'connectwisecrmrest',
      elementKey: 'connectwisecrmrest',
      hub: 'crm',
      name: 'contacts',
      '*': 'contacts',
    };
    return known[name] ?? 'x';
  }

  function pathOf(url: string, override: Record<string, string> = {}): string {
    return (url.startsWith('/') ? url : `/${url}`)
      .replace(/:([A-Za-z]+)/g, (_m, name: string) => override[name] ?? validParam(name))
      .replace(/\*$/, () => override['*'] ?? validParam('*'));
  }

  function paramNames(url: string): string[] {
    return [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!).concat(url.endsWith('*') ? ['*'] : []);
  }

  function authsOf(route: RouteInfo): string[] {
    if (route.auth === 'element') return [elementHeader(), orgHeader()];
    if (route.auth === 'either') return [orgHeader(), elementHeader()];
    return [orgHeader(), elementHeader()];
  }

  /** Every probe of one route, built from its schema. */
  function probesOf(route: RouteInfo): Probe[] {
    const probes: Probe[] = [];
    const [auth, otherAuth] = authsOf(route);
    const base = pathOf(route.url);
    const add = (what: string, p: Partial<Probe>) =>
      probes.push({ route: `${route.method} ${route.url}`, what, method: route.method, path: base, auth, ...p });
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
    const body = hasBody ? '{}' : undefined;

    add('no auth', { auth: undefined, body });
    add('other auth', { auth: otherAuth, body });
    add('garbage auth', { auth: 'User \u00ff\u00fe, Organization %ED%A0%80', body });
    add('long auth', { auth: `User ${'x'.repeat(5000)}, Element ${'y'.repeat(5000)}`, body });

    for (const name of paramNames(route.url)) {
      const bad =
        name === '*'
          ? ['contacts/abc', 'contacts/%00', '..%2F..%2Fetc%2Fpasswd', 'contacts/1/notes/x%ED%A0%80', 'x'.repeat(3000)]
          : ['abc', '-1', '99999999999999999999', '%00', '%ED%A0%80', 'x'.repeat(400)];
      for (const value of bad)
        add(`param ${name}=${value.slice(0, 20)}`, { path: pathOf(route.url, { [name]: value }), body });
    }

    const query = objectSchema(route.schema?.querystring as Schema | undefined);
    for (const [name, prop] of Object.entries(query?.properties ?? {})) {
      for (const value of wrongQueryValues(prop))
        add(`query ${name}=${value.slice(0, 20)}`, { path: `${base}?${enc(name)}=${value}`, body });
    }
    add('100 KB query string', { path: `${base}?where=${'a'.repeat(100_000)}`, body });
    add('8 KB query string', { path: `${base}?where=${enc(`id IN (${'1,'.repeat(2000)}1)`)}`, body });
    add('NUL and lone surrogate query', { path: `${base}?%00=%ED%A0%80&where=%00`, body });

    if (hasBody) {
      const bodySchema = objectSchema(route.schema?.body as Schema | undefined);
      add('malformed JSON', { body: '{"name": ' });
      add('empty JSON body', { body: '' });
      add('JSON null', { body: 'null' });
      add('JSON number', { body: '42' });
      add('JSON string', { body: '"text"' });
      add('JSON array', { body: '[1,2]' });
      add('deep JSON', { body: `${'['.repeat(10_000)}${']'.repeat(10_000)}` });
      add('deep JSON in a property', { body: `{"name":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}` });
      add('huge body', { body: Buffer.alloc(Math.ceil(BODY_LIMIT_MB * 1024 * 1024) + 1024, 0x20) });
      add('not JSON', { body: 'name=x', contentType: 'application/x-www-form-urlencoded' });
      add('text/plain', { body: '{}', contentType: 'text/plain' });
      add('invalid UTF-8', {
        body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0xff, 0x22, 0x7d]),
      });
      add('extra properties', { body: JSON.stringify({ zzUnknown: 1, __proto__x: { a: 1 } }) });
      add('prototype pollution', { body: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}' });
      const props = Object.entries(bodySchema?.properties ?? {});
      const names = props.length > 0 ? props.map(([n]) => n) : ['firstName', 'lastName', 'name', 'id'];
      add('NUL and lone surrogates in every property', {
        body: `{${names.map((n) => `${JSON.stringify(n)}:"a\\u0000b\\ud800c"`).join(',')}}`,
      });
      add('NUL in property names', { body: '{"a\\u0000b":1,"\\udc00":2}' });
      for (const [name, prop] of props) {
        const wrong = wrongValue(prop);
        if (wrong !== undefined) add(`body ${name} wrong type`, { body: JSON.stringify({ [name]: wrong }) });
        add(`body ${name} null`, { body: JSON.stringify({ [name]: null }) });
        if (prop.properties) {
          for (const [inner, innerProp] of Object.entries(prop.properties)) {
            const innerWrong = wrongValue(innerProp);
            if (innerWrong !== undefined)
              add(`body ${name}.${inner} wrong type`, { body: JSON.stringify({ [name]: { [inner]: innerWrong } }) });
          }
        }
      }
      for (const name of bodySchema?.required ?? []) {
        const partial = Object.fromEntries(props.filter(([n]) => n !== name).map(([n]) => [n, 'x']));
        add(`body missing ${name}`, { body: JSON.stringify(partial) });
      }
    }
    return probes;
  }

  async function send(probe: Probe): Promise<Outcome> {
    const headers: Record<string, string> = {};
    if (probe.auth !== undefined) headers.authorization = probe.auth;
    if (probe.body !== undefined) headers['content-type'] = probe.contentType ?? 'application/json';
    try {
      const body = typeof probe.body === 'string' || probe.body === undefined ? probe.body : new Uint8Array(probe.body);
      const res = await fetch(`${f.server.url}${probe.path}`, { method: probe.method, headers, body });
      return { probe, status: res.status, text: await res.text() };
    } catch (e) {
      return { probe, status: -1, text: String((e as Error & { cause?: unknown }).cause ?? e) };
    }
  }

  async function sendAll(probes: Probe[], concurrency = 8): Promise<Outcome[]> {
    const results: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < probes.length) {
          const probe = probes[next++]!;
          results.push(await send(probe));
        }
      }),
    );
    return results;
  }

  /** What is wrong with one answer, or undefined when it is an acceptable answer to bad input. */
  function problemWith(o: Outcome): string | undefined {
    if (o.status === -1) return `no answer: ${o.text}`;
    if (o.status >= 500) return `answered ${o.status}: ${o.text.slice(0, 300)}`;
    if (o.status < 400) return undefined;
    let body: { code?: unknown; message?: unknown; requestId?: unknown };
    try {
      body = JSON.parse(o.text);
    } catch {
      return `answered ${o.status} without a JSON error body: ${JSON.stringify(o.text.slice(0, 200))}`;
    }
    if (typeof body.code !== 'string' || typeof body.message !== 'string' || body.message.length < 10) {
      return `answered ${o.status} without a code and a message: ${o.text.slice(0, 200)}`;
    }
    if (/^(Bad Request|Client Error|Internal Server Error)$/i.test(body.message)) {
      return `answered ${o.status} with a message that names nothing: ${body.message}`;
    }
    return undefined;
  }

  function report(results: Outcome[]): string[] {
    return results
      .map((o) => [o, problemWith(o)] as const)
      .filter(([, p]) => p !== undefined)
      .map(([o, p]) => `${o.probe.route} [${o.probe.what}] ${o.probe.method} ${o.probe.path.slice(0, 120)}: ${p}`);
  }

  const rank = (r: RouteInfo) =>
    ({ GET: 0, POST: 1, PATCH: 2, PUT: 3, DELETE: 4 })[r.method] ?? 5 + (r.url.includes('/hubs/') ? 0 : 0.5);

  it('finds the routes from the app itself (new routes are covered without editing this suite)', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    expect(names).toContain('POST /elements/api-v2/instances');
    expect(names).toContain('GET /elements/api-v2/hubs/:hub/*');
    expect(names).toContain('POST /elements/api-v2/events/:elementKey/:instanceId');
    expect(routes.length).toBeGreaterThan(40);
  });

  it('never answers 5xx and always names the problem, on every route', async () => {
    const ordered = [...routes].sort((a, b) => rank(a) - rank(b));
    const probes = ordered.flatMap(probesOf);
    expect(probes.length).toBeGreaterThan(1000);
    // Destructive routes (DELETE) last, so earlier probes still address a live instance.
    const safe = probes.filter((p) => p.method !== 'DELETE');
    const destructive = probes.filter((p) => p.method === 'DELETE');
    outcomes.push(...(await sendAll(safe)), ...(await sendAll(destructive, 2)));
    expect(report(outcomes)).toEqual([]);
    expect(outcomes.filter((o) => o.status >= 400 && o.status < 500).length).toBeGreaterThan(probes.length / 2);
  }, 120_000);

  it('survives fast-check-generated CEQL on list and count', async () => {
    const field = fc.constantFrom(
      'id',
      'firstName',
      'lastName',
      'company.name',
      '_info.lastUpdated',
      'email',
      'zzUnknown',
      '`first Name`',
      'and',
      'communicationItems.value',
      'a/b',
      '',
    );
    const value = fc.oneof(
      fc.integer().map(String),
      fc.double({ noNaN: false }).map(String),
      fc.string({ maxLength: 12 }).map((s) => `'${s.replaceAll("'", "''")}'`),
      fc.string({ unit: 'binary', maxLength: 8 }).map((s) => `'${s}'`),
      fc.constantFrom('null', 'true', 'FALSE', "'2024-02-30'", "'\u0000'", "'\ud800'", "'", "''", '((', '%', '9e999'),
    );
    const op = fc.constantFrom(
      '=',
      '!=',
      '<',
      '>',
      '<=',
      '>=',
      ' LIKE ',
      ' NOT LIKE ',
      ' IN ',
      ' IS ',
      ' CONTAINS ',
      '==',
    );
    const predicate = fc.oneof(
      fc.tuple(field, op, value).map(([a, o, v]) => `${a}${o}${o.includes('IN') ? `(${v},${v})` : v}`),
      fc.tuple(field, fc.constantFrom(' IS NULL', ' IS NOT NULL')).map(([a, s]) => `${a}${s}`),
    );
    const where = fc.oneof(
      fc.letrec<{ node: string }>((tie) => ({
        node: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          predicate,
          fc
            .tuple(tie('node'), fc.constantFrom(' AND ', ' OR ', ' and ', ' '), tie('node'))
            .map(([a, j, b]) => `${a}${j}${b}`),
          tie('node').map((n) => `(${n})`),
          tie('node').map((n) => `NOT ${n}`),
        ),
      })).node,
      fc.string({ unit: 'grapheme-composite', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.nat({ max: 400 }).map((n) => `${'('.repeat(n)}id=1${')'.repeat(n)}`),
    );
    const problems: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        where,
        fc.constantFrom(
          '/hubs/crm/contacts?pageSize=1&',
          '/hubs/crm/contacts/count?',
          '/hubs/crm/company/companies?pageSize=1&',
        ),
        async (w, path) => {
          const o = await send({
            route: 'GET /hubs/:hub/*',
            what: `where=${w}`,
            method: 'GET',
            path: `/elements/api-v2${path}where=${enc(w)}`,
            auth: elementHeader(),
          });
          const problem = problemWith(o);
          if (problem) problems.push(`where=${JSON.stringify(w)} ${path}: ${problem}`);
          return problem === undefined;
        },
      ),
      { numRuns: 150, seed: 13, endOnFailure: true },
    );
    expect(problems).toEqual([]);
  }, 60_000);

  it('answers 404, never 500, when a disable or a save races a delete of the same instance', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await f.platform('POST', '/instances', { body: seedBody(f.sandbox, {}) });
      expect(created.status).toBe(200);
      ids.push(created.body.id);
    }
    const answers = await Promise.all(
      ids.flatMap((id) => [
        f.platform('DELETE', `/instances/${id}`),
        f.platform('DELETE', `/instances/${id}/enabled`),
        f.platform('PATCH', `/instances/${id}`, { body: { name: 'renamed' } }),
      ]),
    );
    for (const a of answers) expect([200, 404], a.text).toContain(a.status);
  });

  it('is still up and serving after all of it', async () => {
    expect((await fetch(`${f.server.url}/healthz`)).status).toBe(200);
    expect((await f.platform('GET', '/instances')).status).toBe(200);
  });
});
