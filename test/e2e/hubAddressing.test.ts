// Hub addressing (issue 14): the hub segment is not authoritative, bare object paths reach the hub with an
// Element token, Helium object lists, no next-page token on a last page, unknown objects named as such.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, routesOf } from '../../src/http/app.ts';
import { PLATFORM_ROUTE_NAMES } from '../../src/http/routes/hub/addressing.ts';
import { call, orgAuth } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

let f: HubFixture;
const suffix = Date.now().toString(36).slice(-5).toUpperCase();

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('the hub segment is ignored', () => {
  it('/contacts, /hubs/crm/contacts and /hubs/anything/contacts are the same call', async () => {
    const bare = await f.hub('GET', '/contacts?pageSize=3&orderBy=id');
    const crm = await f.hub('GET', '/hubs/crm/contacts?pageSize=3&orderBy=id');
    const other = await f.hub('GET', '/hubs/anything/contacts?pageSize=3&orderBy=id');
    expect(bare.status).toBe(200);
    expect(bare.body).toHaveLength(3);
    expect(bare.body).toEqual(crm.body);
    expect(other.body).toEqual(crm.body);
    expect(bare.headers.get('elements-next-page-token')).toBe(crm.headers.get('elements-next-page-token'));
  });

  it('bare paths write, read one record, count and use children', async () => {
    const created = await f.hub('POST', '/contacts', {
      body: { firstName: 'Bare', lastName: `Path${suffix}`, company: { id: 1 } },
    });
    expect(created.status).toBe(200);
    const id = created.body.id as number;
    const one = await f.hub('GET', `/contacts/${id}`);
    expect(one.body.lastName).toBe(`Path${suffix}`);
    const patched = await f.hub('PATCH', `/contacts/${id}`, { body: { title: 'Addressed' } });
    expect(patched.status).toBe(200);
    expect((await f.hub('GET', `/hubs/other/contacts/${id}`)).body.title).toBe('Addressed');
    const count = await f.hub('GET', `/contacts/count?where=${encodeURIComponent(`lastName='Path${suffix}'`)}`);
    expect(count.body).toEqual({ count: 1 });
    expect((await f.hub('DELETE', `/contacts/${id}`)).status).toBe(200);
    expect((await f.hub('GET', `/contacts/${id}`)).status).toBe(404);
    const tickets = await f.hub('GET', '/incidents?pageSize=1');
    const notes = await f.hub('GET', `/incidents/${tickets.body[0].id}/comments`);
    expect(notes.status).toBe(200);
    expect(Array.isArray(notes.body)).toBe(true);
  });

  it('/objects and /objects/{name}/metadata answer without the hub segment', async () => {
    const bare = await f.hub('GET', '/objects');
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual((await f.hub('GET', '/hubs/crm/objects')).body);
    expect(bare.body).toContain('contacts');
    const meta = await f.hub('GET', '/objects/contacts/metadata');
    expect(meta.body.objectName).toBe('contacts');
  });

  it('platform route names stay platform routes, even with an Element token', async () => {
    // /instances/docs is the platform's docs route: answered, not sent to ConnectWise as an object "instances".
    const docs = await f.hub('GET', '/instances/docs');
    expect(docs.status).toBe(200);
    expect(docs.body.swagger).toBe('2.0');
    // A platform name with no such platform route is a plain 404, never a hub pass-through.
    const none = await f.hub('GET', '/elements/connectwisecrmrest/nothing-here');
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/No route/);
    expect(none.body.message).not.toMatch(/ConnectWise endpoint/);
  });

  it('a hub resource named like a platform route (organizations) is reached with the hub segment', async () => {
    const hub = await f.hub('GET', '/hubs/crm/organizations?pageSize=1');
    expect(hub.status).toBe(200);
    expect(hub.body[0].identifier).toBeDefined();
    expect(hub.headers.get('elements-element-instance-id')).toBe(String(f.instanceId));
    // The platform's /organizations answers (whatever it has there), never the hub: no hub header, no company.
    const bare = await f.hub('GET', '/organizations/1');
    expect(bare.headers.get('elements-element-instance-id')).toBeNull();
    expect(bare.body?.identifier).toBeUndefined();
  });

  it('without an Element token a bare object path is no route', async () => {
    const res = await call(f.server.base, 'GET', '/contacts', { auth: orgAuth(f.org) });
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/No route for GET .*\/contacts/);
  });

  it('the platform route names cover the first segment of every registered route', () => {
    const names = new Set(PLATFORM_ROUTE_NAMES);
    for (const name of ['instances', 'elements', 'organizations', 'accounts', 'users', 'authentication', 'events']) {
      expect(names).toContain(name);
    }
    for (const name of ['hubs', 'common-resources', 'vdrs', 'transformations', 'formulas', 'bulk', 'healthz']) {
      expect(names).toContain(name);
    }
    expect(names).toContain('readyz');
    expect(names).toContain('metrics');
    const routes = routesOf(f.server.app);
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const path = route.url.startsWith(API_PREFIX) ? route.url.slice(API_PREFIX.length) : route.url;
      const first = path.split('/')[1] ?? '';
      if (first === '' || first === '*' || !route.url.startsWith(API_PREFIX)) continue;
      expect(names, `${route.method} ${route.url}`).toContain(first);
    }
  });
});

describe('Helium object list', () => {
  it('answers [{name, vendorName, type}] with canonical and vendor objects', async () => {
    for (const path of ['/objects', '/hubs/crm/objects']) {
      const res = await f.hub('GET', path, { headers: { 'Elements-Version': 'Helium' } });
      expect(res.status).toBe(200);
      const list = res.body as { name: string; vendorName: string; type: string }[];
      for (const entry of list) {
        expect(Object.keys(entry).sort()).toEqual(['name', 'type', 'vendorName']);
        expect(['vendor', 'ceCanonical', 'vdr']).toContain(entry.type);
      }
      expect(list).toContainEqual({ name: 'contacts', vendorName: 'Contact', type: 'ceCanonical' });
      expect(list).toContainEqual({ name: 'incidents', vendorName: 'Ticket', type: 'ceCanonical' });
      expect(list).toContainEqual({ name: 'company/contacts', vendorName: 'Contact', type: 'vendor' });
      // Every vendor name listed is reachable as an object.
      const vendor = list.find((e) => e.type === 'vendor' && e.name === 'service/tickets');
      expect(vendor).toBeDefined();
      expect((await f.hub('GET', `/${vendor?.name}?pageSize=1`)).status).toBe(200);
    }
    // Without the header: the plain list of names.
    const plain = await f.hub('GET', '/objects');
    expect(typeof plain.body[0]).toBe('string');
  });
});

describe('paging', () => {
  it('every page but the last has Elements-Next-Page-Token; the last has none at all', async () => {
    const total = (await f.hub('GET', '/incidents/count')).body.count as number;
    expect(total).toBeGreaterThan(2);
    const pageSize = Math.ceil(total / 2);
    const first = await f.hub('GET', `/incidents?pageSize=${pageSize}`);
    const token = first.headers.get('elements-next-page-token');
    expect(token).toBeTruthy();
    const last = await f.hub('GET', `/incidents?nextPage=${encodeURIComponent(token ?? '')}`);
    expect(last.status).toBe(200);
    expect(last.body.length).toBe(total - pageSize);
    expect(last.headers.has('elements-next-page-token')).toBe(false);
    expect(last.headers.get('elements-returned-count')).toBe(String(total - pageSize));
    const empty = await f.hub('GET', `/hubs/crm/contacts?where=${encodeURIComponent("lastName='NoSuchName'")}`);
    expect(empty.body).toEqual([]);
    expect(empty.headers.has('elements-next-page-token')).toBe(false);
  });
});

describe('unknown objects', () => {
  it('an object neither the element nor ConnectWise knows is a 404 saying so', async () => {
    for (const path of ['/widgets', '/hubs/crm/widgets', '/hubs/crm/widgets/5', '/gizmo/widgets/count']) {
      const res = await f.hub('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(res.body.message).toMatch(/is neither a resource of connectwisecrmrest nor a ConnectWise endpoint/);
    }
  });

  it('a missing record at a real ConnectWise endpoint stays a record lookup', async () => {
    const res = await f.hub('GET', '/system/members/987654');
    expect(res.status).toBe(404);
    expect(res.body.message).not.toMatch(/neither a resource/);
  });
});
