// The Cloud Elements events contract (issue 14, Events): message.instance_id, the single-event object, the
// connectwisecrmrestPolling injection hook, and notifications enabled without a callback URL — over real HTTP,
// a real receiver, the ConnectWise simulator as upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { contactsOnly, cwClient, eventsBody, type Receiver, sleep, startReceiver } from './events.support.ts';

const b64 = (id: number) => Buffer.from(String(id)).toString('base64');

describe(`events contract (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let receiver: Receiver;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  let other: Awaited<ReturnType<TestServer['createOrg']>>;
  let instanceId: number;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    receiver = await startReceiver();
    server = await startTestServer({
      env: {
        CONDUIT_UPSTREAM_ALLOW: '127.0.0.1',
        CONDUIT_POLL_MIN_INTERVAL_S: '1',
        CONDUIT_WEBHOOK_RETRY_BASE_MS: '100',
      },
    });
    org = await server.createOrg('Acme');
    other = await server.createOrg('Globex');
    // Polling every hour: only injected events reach the receiver in the first tests.
    const res = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: eventsBody(sandbox, receiver.url, { 'event.poller.refresh_interval': '60' }),
    });
    expect(res.status).toBe(200);
    instanceId = res.body.id;
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await sandbox?.close();
  });

  const inject = (id: number, body: unknown, auth = orgAuth(org), header: string = String(id)) =>
    call(server.base, 'POST', `/events/connectwisecrmrestPolling/${b64(id)}`, { auth, body, headers: { Id: header } });

  it('injected poll results are delivered like real ones, with message.instance_id', async () => {
    const contact = {
      id: 9101,
      firstName: 'Injected',
      lastName: 'Event',
      _info: { lastUpdated: '2026-01-02T03:04:05Z' },
    };
    const res = await inject(instanceId, {
      instance_id: instanceId,
      objectType: 'contacts',
      events: [{ objectType: 'contacts', objectId: '9101', eventType: 'UPDATED' }],
      contacts: [contact],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ instanceId, stored: 1 });
    expect(res.body.eventIds).toHaveLength(1);
    const all = await receiver.waitFor((list) => list.some((r) => r.body.message.eventId === res.body.eventIds[0]));
    const got = all.find((r) => r.body.message.eventId === res.body.eventIds[0])!;
    const message = got.body.message as typeof got.body.message & { instance_id: number };
    expect(message.instance_id).toBe(instanceId);
    expect(message.instanceId).toBe(instanceId);
    expect(message.events).toEqual([
      expect.objectContaining({
        objectType: 'contacts',
        objectId: '9101',
        eventType: 'UPDATED',
        elementKey: 'connectwisecrmrest',
      }),
    ]);
    expect(message.raw).toMatchObject({ instance_id: instanceId, objectType: 'contacts', contacts: [contact] });
  });

  it('the single-event object is {id, eventDate, status, providerData (a string), notifiedData}', async () => {
    const res = await inject(instanceId, {
      objectType: 'contacts',
      events: [{ objectId: 9102, eventType: 'CREATED' }],
      contacts: [{ id: 9102, firstName: 'Shape' }],
    });
    expect(res.status).toBe(200);
    const eventId = res.body.eventIds[0];
    await receiver.waitFor((all) => all.some((r) => r.body.message.eventId === eventId));
    let entry: Record<string, unknown> = {};
    for (let i = 0; i < 50 && entry.status !== 'NOTIFIED'; i++) {
      entry = (await call(server.base, 'GET', `/instances/${instanceId}/events/${eventId}`, { auth: orgAuth(org) }))
        .body;
      if (entry.status !== 'NOTIFIED') await sleep(100);
    }
    expect(entry).toMatchObject({ id: eventId, status: 'NOTIFIED' });
    expect(Number.isNaN(Date.parse(String(entry.eventDate)))).toBe(false);
    expect(typeof entry.providerData).toBe('string');
    expect(JSON.parse(String(entry.providerData))).toMatchObject({
      objectType: 'contacts',
      contacts: [{ id: 9102, firstName: 'Shape' }],
    });
    expect(entry.providerData).not.toContain(sandbox.credentials.privateKey);
    expect(Array.isArray(entry.notifiedData)).toBe(true);
    expect((entry.notifiedData as Array<{ instance_id: number }>)[0]?.instance_id).toBe(instanceId);
    const byOrg = await call(server.base, 'GET', `/instances/events/${eventId}`, { auth: orgAuth(org) });
    expect(byOrg.body.providerData).toBe(entry.providerData);
  });

  it('the hook checks the path, the Id header, the organization and the body', async () => {
    const body = { objectType: 'contacts', events: [{ objectId: '1', eventType: 'UPDATED' }] };
    expect((await inject(instanceId, body, orgAuth(org), String(instanceId + 1))).status).toBe(400);
    const foreign = await inject(instanceId, body, orgAuth(other));
    expect(foreign.status).toBe(404);
    const none = await call(server.base, 'POST', `/events/connectwisecrmrestPolling/${b64(instanceId)}`, { body });
    expect(none.status).toBe(401);
    const garbage = await call(server.base, 'POST', '/events/connectwisecrmrestPolling/bm90LWFuLWlk', {
      auth: orgAuth(org),
      body,
    });
    expect(garbage.status).toBe(400);
    expect(garbage.body.field).toBe('encodedId');
    const badType = await inject(instanceId, {
      objectType: 'contacts',
      events: [{ objectId: '1', eventType: 'EXPLODED' }],
    });
    expect(badType.status).toBe(400);
    expect(badType.text).toContain('eventType');
    const badDate = await inject(instanceId, {
      ...body,
      events: [{ objectId: '1', eventType: 'UPDATED', date: 'soon' }],
    });
    expect(badDate.status).toBe(400);
    expect(badDate.body.field).toBe('events[0].date');
  });

  it('event.notification.enabled without a callback URL: accepted, events recorded as NEW, nothing delivered', async () => {
    const before = receiver.received.length;
    const created = await call(server.base, 'POST', '/instances', {
      auth: orgAuth(org),
      body: seedBody(sandbox, {
        'event.notification.enabled': 'true',
        'event.vendor.type': 'polling',
        'event.poller.refresh_interval': '0.01',
        'event.poller.configuration': contactsOnly,
      }),
    });
    expect(created.status).toBe(200);
    const id = created.body.id;
    expect(created.body.eventsEnabled).toBe(true);
    expect(created.body.eventsNotice).toMatch(/not delivered: event\.notification\.callback\.url is not set/);
    const status = await call(server.base, 'GET', `/instances/${id}/events/status`, { auth: orgAuth(org) });
    expect(status.body.notice).toBe(created.body.eventsNotice);

    // A real change at ConnectWise is detected by the poller and written to the event log.
    await sleep(1_100);
    const contact = await cwClient(sandbox).createContact('NoCallback');
    let log: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 150; i++) {
      log = (await call(server.base, 'GET', `/instances/${id}/events`, { auth: orgAuth(org) })).body;
      if (log.some((e) => (e.events as Array<{ objectId: string }>).some((x) => x.objectId === String(contact.id))))
        break;
      await sleep(100);
    }
    const entry = log.find((e) =>
      (e.events as Array<{ objectId: string }>).some((x) => x.objectId === String(contact.id)),
    );
    expect(entry).toBeDefined();
    // And an injected one too; neither is sent anywhere.
    const injected = await inject(id, { objectType: 'contacts', events: [{ objectId: '77', eventType: 'DELETED' }] });
    expect(injected.status).toBe(200);
    await sleep(1_000);
    for (const eventId of [entry!.eventId, injected.body.eventIds[0]]) {
      const one = await call(server.base, 'GET', `/instances/${id}/events/${eventId}`, { auth: orgAuth(org) });
      expect(one.body.status).toBe('NEW');
      expect(one.body.attempts).toBe(0);
      expect(one.body.nextAttemptAt).toBeNull();
      expect(one.body.lastError).toMatch(/callback\.url is not set/);
    }
    expect(receiver.received.slice(before).filter((r) => r.body.message.instanceId === id)).toEqual([]);
  }, 60_000);
});
