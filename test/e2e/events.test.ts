// Events end to end: the simulator changes records, a real local receiver gets signed notifications.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { type ApiResponse, call, orgAuth, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  contactsOnly,
  cwClient,
  eventsBody,
  eventsFor,
  type Receiver,
  sleep,
  startReceiver,
  verifyElementsSignature,
  verifyTimestampedSignature,
} from './events.support.ts';

let sandbox: RunningSandbox;
let server: TestServer;
let auth: string;
let receiver: Receiver;
let cw: ReturnType<typeof cwClient>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  receiver = await startReceiver();
  server = await startTestServer({
    env: {
      CONDUIT_UPSTREAM_ALLOW: '127.0.0.1',
      CONDUIT_POLL_MIN_INTERVAL_S: '1',
      CONDUIT_EVENTS_RECONCILE_S: '1',
      CONDUIT_WEBHOOK_TIMEOUT_MS: '400',
      CONDUIT_WEBHOOK_RETRY_BASE_MS: '100',
      CONDUIT_WEBHOOK_RETRY_HOURS: '0.001',
    },
  });
  auth = orgAuth(await server.createOrg());
  cw = cwClient(sandbox);
}, 30_000);

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await sandbox?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: instance responses are read field by field in the tests
async function provision(body: unknown): Promise<ApiResponse<any>> {
  return call(server.base, 'POST', '/instances', { auth, body });
}

describe('events configuration', () => {
  it('shows eventsEnabled and the callback URL on the instance', async () => {
    const res = await provision(eventsBody(sandbox, receiver.url));
    expect(res.status).toBe(200);
    expect(res.body.eventsEnabled).toBe(true);
    expect(res.body.eventsNotificationCallbackUrl).toBe(receiver.url);
    await call(server.base, 'DELETE', `/instances/${res.body.id}`, { auth });
  });

  it.each([
    ['event.poller.configuration', { 'event.poller.configuration': '{not json' }, /not valid JSON/],
    [
      'event.poller.configuration',
      { 'event.poller.configuration': JSON.stringify({ widgets: { url: '/hubs/crm/widgets?where=x=1' } }) },
      /unknown object "widgets"/,
    ],
    [
      'event.poller.configuration',
      { 'event.poller.configuration': JSON.stringify({ contacts: { idField: 'id' } }) },
      /url is required/,
    ],
    [
      'event.notification.callback.url',
      { 'event.notification.callback.url': 'https://10.1.2.3/hook' },
      /private or loopback/,
    ],
    ['event.notification.callback.url', { 'event.notification.callback.url': 'not a url' }, /not a valid absolute URL/],
    ['event.vendor.type', { 'event.vendor.type': 'carrier-pigeon' }, /polling, webhook, hybrid/],
    ['event.poller.refresh_interval', { 'event.poller.refresh_interval': '-5' }, /must be a positive number/],
  ])('refuses a bad %s with 400 naming the key', async (key, overrides, message) => {
    const res = await provision(eventsBody(sandbox, receiver.url, overrides));
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(`configuration.${key}`);
    expect(res.body.message).toMatch(message);
  });

  it('checks the keys on PATCH too', async () => {
    const created = await provision(eventsBody(sandbox, receiver.url, { 'event.notification.enabled': false }));
    expect(created.status).toBe(200);
    const res = await call(server.base, 'PATCH', `/instances/${created.body.id}`, {
      auth,
      body: {
        configuration: {
          'event.notification.enabled': true,
          'event.notification.callback.url': 'http://169.254.169.254/latest',
        },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('configuration.event.notification.callback.url');
    await call(server.base, 'DELETE', `/instances/${created.body.id}`, { auth });
  });
});

describe('polling', () => {
  it('reports created, updated and deleted contacts, typed and signed', async () => {
    const created = await provision(eventsBody(sandbox, receiver.url));
    expect(created.status).toBe(200);
    const instanceId = created.body.id as number;
    await sleep(1200); // first poll: baseline of known ids
    const contact = await cw.createContact('Polly');
    const id = contact.id as number;
    const got = await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'CREATED'));
    const first = got.find((r) => r.body.message.events.some((e) => e.objectId === String(id)))!;
    expect(verifyElementsSignature('receiver-secret', first)).toBe(true);
    expect(verifyTimestampedSignature('receiver-secret', first)).toBe(true);
    expect(first.headers['elements-webhook-id']).toBe(first.body.message.eventId);
    const m = first.body.message;
    expect(m).toMatchObject({
      instanceId,
      elementKey: 'connectwisecrmrest',
      accountId: expect.any(Number),
      userId: expect.any(Number),
    });
    expect(m.raw.objectType).toBe('contacts');
    expect(m.events[0]).toMatchObject({
      objectType: 'contacts',
      eventType: 'CREATED',
      elementKey: 'connectwisecrmrest',
      hubKey: 'crm',
    });
    expect(m.events.length).toBeLessThanOrEqual(10);

    await sleep(1100); // a new second: ConnectWise dates have second precision
    await cw.renameContact(id, 'Polly Two');
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'UPDATED'));
    await cw.deleteContact(id);
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'DELETED'));
    const mine = eventsFor(receiver.received, [id]);
    expect(mine.map((e) => e.eventType)).toEqual(['CREATED', 'UPDATED', 'DELETED']);

    const log = await call(server.base, 'GET', `/instances/${instanceId}/events`, { auth });
    expect(log.status).toBe(200);
    const entry = log.body.find((e: { eventId: string }) => e.eventId === first.body.message.eventId);
    expect(entry.status).toBe('NOTIFIED');
    const one = await call(server.base, 'GET', `/instances/events/${entry.eventId}`, { auth });
    expect(one.body.notifiedData[0].eventId).toBe(entry.eventId);
    const scoped = await call(server.base, 'GET', `/instances/${instanceId}/events/${entry.eventId}`, { auth });
    expect(scoped.status).toBe(200);
    const all = await call(server.base, 'GET', '/instances/events', { auth });
    expect(all.body.some((e: { eventId: string }) => e.eventId === entry.eventId)).toBe(true);
    await call(server.base, 'DELETE', `/instances/${instanceId}`, { auth });
  }, 30_000);
});

async function callbackUrlOf(instanceId: number): Promise<string | undefined> {
  const list = await cw.callbacks();
  return list.find((c) => String(c.url).includes(`/events/connectwisecrmrest/${instanceId}?`))?.url as
    | string
    | undefined;
}

describe('ConnectWise callbacks', () => {
  it('webhook: registers callbacks, turns them into notifications, removes them on delete', async () => {
    const created = await provision(eventsBody(sandbox, receiver.url, { 'event.vendor.type': 'webhook' }));
    expect(created.status).toBe(200);
    const instanceId = created.body.id as number;
    const registered = await callbackUrlOf(instanceId);
    expect(registered).toBeDefined();
    const contact = await cw.createContact('Hooky');
    const id = contact.id as number;
    const t0 = Date.now();
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'CREATED'), 5_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await sleep(1100);
    await cw.renameContact(id, 'Hooky Two');
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'UPDATED'), 5_000);
    await cw.deleteContact(id);
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'DELETED'), 5_000);
    const note = receiver.received.find((r) => r.body.message.events.some((e) => e.objectId === String(id)))!;
    expect(verifyElementsSignature('receiver-secret', note)).toBe(true);
    expect(note.body.message.raw.objectType).toBe('contacts');
    expect(eventsFor(receiver.received, [id]).map((e) => e.eventType)).toEqual(['CREATED', 'UPDATED', 'DELETED']);

    await call(server.base, 'DELETE', `/instances/${instanceId}`, { auth });
    expect(await callbackUrlOf(instanceId)).toBeUndefined();
  }, 30_000);

  it('hybrid: callbacks plus reconciliation polling, each change once', async () => {
    const created = await provision(eventsBody(sandbox, receiver.url, { 'event.vendor.type': 'hybrid' }));
    const instanceId = created.body.id as number;
    expect(await callbackUrlOf(instanceId)).toBeDefined();
    await sleep(1200);
    const contact = await cw.createContact('Hybrid');
    const id = contact.id as number;
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'CREATED'), 5_000);
    await sleep(1100);
    await cw.renameContact(id, 'Hybrid Two');
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'UPDATED'), 5_000);
    await cw.deleteContact(id);
    await receiver.waitFor((all) => eventsFor(all, [id]).some((e) => e.eventType === 'DELETED'), 5_000);
    await sleep(2500); // several polls and reconciliations re-read the same changes
    expect(eventsFor(receiver.received, [id]).map((e) => e.eventType)).toEqual(['CREATED', 'UPDATED', 'DELETED']);
    await call(server.base, 'DELETE', `/instances/${instanceId}`, { auth });
  }, 30_000);

  it('rejects a callback that fails verification', async () => {
    const created = await provision(eventsBody(sandbox, receiver.url, { 'event.vendor.type': 'webhook' }));
    const instanceId = created.body.id as number;
    const url = (await callbackUrlOf(instanceId))!;
    const keyUrl = `${sandbox.httpUrl}/_sandbox/callbacks/keys/1`;
    const payload = JSON.stringify({
      Action: 'added',
      Type: 'contact',
      ID: 999999,
      CompanyId: 'conduit',
      MemberId: 'evil',
      FromUrl: sandbox.httpUrl,
      Metadata: { key_url: keyUrl },
      Entity: JSON.stringify({ id: 999999, firstName: 'Forged' }),
    });
    const post = (target: string, signature: string, body = payload) =>
      fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-content-signature': signature },
        body,
      });
    expect((await post(url, 'AAAA')).status).toBe(401);
    expect((await post(url.replace(/token=[^&]+/, 'token=guess'), 'AAAA')).status).toBe(404);
    // A key_url on another host could serve an attacker's key: refused before any fetch.
    const foreign = payload.replace(keyUrl, 'https://attacker.example/key');
    expect((await post(url, 'AAAA', foreign)).status).toBe(401);
    const { createHash, createHmac } = await import('node:crypto');
    const signingKey = ((await (await fetch(keyUrl)).json()) as { signing_key: string }).signing_key;
    const good = createHmac('sha256', createHash('sha256').update(signingKey).digest())
      .update(payload)
      .digest('base64');
    expect((await post(url, good)).status).toBe(200);
    await receiver.waitFor((all) => eventsFor(all, [999999]).length === 1, 5_000);
    await call(server.base, 'DELETE', `/instances/${instanceId}`, { auth });
  }, 20_000);
});

describe('delivery', () => {
  let r2: Receiver;
  beforeAll(async () => {
    r2 = await startReceiver();
  });
  afterAll(async () => r2.close());

  async function withInstance(url: string, extra: Record<string, unknown>, body: (id: number) => Promise<void>) {
    const created = await provision(eventsBody(sandbox, url, extra));
    expect(created.status).toBe(200);
    try {
      await body(created.body.id as number);
    } finally {
      await call(server.base, 'DELETE', `/instances/${created.body.id}`, { auth });
    }
  }

  it('retries a receiver that answers 500, then 200, with the same eventId', async () => {
    let n = 0;
    r2.answer = () => ({ status: n++ === 0 ? 500 : 200 });
    r2.requests.length = 0;
    await withInstance(r2.url, { 'event.vendor.type': 'webhook' }, async () => {
      const c = await cw.createContact('Retry');
      await r2.waitFor((all) => eventsFor(all, [c.id]).length > 0, 8_000);
      const ids = r2.requests
        .filter((q) => q.body.message.events.some((e) => e.objectId === String(c.id)))
        .map((q) => q.body.message.eventId);
      expect(ids.length).toBe(2);
      expect(new Set(ids).size).toBe(1);
      // The receiver has answered; the attempt is recorded a moment later.
      let view = await call(server.base, 'GET', `/instances/events/${ids[0]}/deliveries`, { auth });
      for (let i = 0; i < 50 && view.body.status !== 'NOTIFIED'; i++) {
        await sleep(50);
        view = await call(server.base, 'GET', `/instances/events/${ids[0]}/deliveries`, { auth });
      }
      expect(view.body.status).toBe('NOTIFIED');
      expect(view.body.deliveries.map((d: { status: number | null }) => d.status)).toEqual([500, 200]);
    });
  }, 20_000);

  it('retries a receiver that times out', async () => {
    let n = 0;
    r2.answer = () => (n++ === 0 ? 'hang' : { status: 200 });
    r2.requests.length = 0;
    await withInstance(r2.url, { 'event.vendor.type': 'webhook' }, async (instanceId) => {
      const c = await cw.createContact('Slow');
      const got = await r2.waitFor((all) => eventsFor(all, [c.id]).length > 0, 8_000);
      const eventId = eventsFor(got, [c.id])[0]!.eventId;
      let view = await call(server.base, 'GET', `/instances/${instanceId}/events/${eventId}/deliveries`, { auth });
      for (let i = 0; i < 50 && view.body.status !== 'NOTIFIED'; i++) {
        await sleep(50);
        view = await call(server.base, 'GET', `/instances/${instanceId}/events/${eventId}/deliveries`, { auth });
      }
      expect(view.body.deliveries[0].error).toMatch(/timed out/);
      expect(view.body.deliveries.at(-1).status).toBe(200);
    });
  }, 20_000);

  it('dead-letters after the retry window, and redelivers on request with the same eventId and body', async () => {
    r2.answer = () => ({ status: 503 });
    r2.requests.length = 0;
    await withInstance(r2.url, { 'event.vendor.type': 'webhook' }, async (instanceId) => {
      const c = await cw.createContact('Dead');
      let eventId = '';
      const until = Date.now() + 12_000;
      while (Date.now() < until) {
        const dead = await call(server.base, 'GET', `/instances/${instanceId}/events/deliveries?status=dead`, { auth });
        if (dead.body.length > 0) {
          eventId = dead.body[0].eventId;
          expect(dead.body[0].lastError).toMatch(/503/);
          expect(dead.body[0].attempts).toBeGreaterThan(1);
          break;
        }
        await sleep(200);
      }
      expect(eventId).not.toBe('');
      expect((await call(server.base, 'GET', `/instances/events/${eventId}`, { auth })).body.status).toBe('FAILED');
      const failedBody = r2.requests.find((q) => q.body.message.eventId === eventId)!.raw;
      r2.answer = () => ({ status: 200 });
      const re = await call(server.base, 'POST', `/instances/events/${eventId}/redeliver`, { auth });
      expect(re.status).toBe(200);
      const got = await r2.waitFor((all) => all.some((r) => r.body.message.eventId === eventId), 5_000);
      expect(got.find((r) => r.body.message.eventId === eventId)!.raw).toBe(failedBody);
      expect(eventsFor(got, [c.id])[0]!.eventType).toBe('CREATED');
    });
  }, 30_000);

  it('a dead receiver does not slow another instance', async () => {
    const hanging = await startReceiver();
    hanging.answer = () => 'hang';
    try {
      await withInstance(hanging.url, { 'event.vendor.type': 'webhook' }, async () => {
        r2.answer = () => ({ status: 200 });
        await withInstance(r2.url, { 'event.vendor.type': 'webhook' }, async () => {
          const ids: number[] = [];
          for (let i = 0; i < 5; i++) ids.push((await cw.createContact(`Busy${i}`)).id as number);
          const t0 = Date.now();
          await r2.waitFor((all) => ids.every((id) => eventsFor(all, [id]).length > 0), 5_000);
          expect(Date.now() - t0).toBeLessThan(2_000);
          expect(hanging.requests.length).toBeGreaterThan(0);
        });
      });
    } finally {
      await hanging.close();
    }
  }, 20_000);

  it('signs with the new key after a signature key change', async () => {
    r2.answer = () => ({ status: 200 });
    await withInstance(r2.url, { 'event.vendor.type': 'webhook' }, async (instanceId) => {
      const a = await cw.createContact('KeyA');
      const before = await r2.waitFor((all) => eventsFor(all, [a.id]).length > 0, 5_000);
      expect(verifyElementsSignature('receiver-secret', before.find((r) => eventsFor([r], [a.id]).length > 0)!)).toBe(
        true,
      );
      const patched = await call(server.base, 'PATCH', `/instances/${instanceId}`, {
        auth,
        body: { configuration: { 'event.notification.signature.key': 'rotated-secret' } },
      });
      expect(patched.status).toBe(200);
      const b = await cw.createContact('KeyB');
      const after = await r2.waitFor((all) => eventsFor(all, [b.id]).length > 0, 5_000);
      const note = after.find((r) => eventsFor([r], [b.id]).length > 0)!;
      expect(verifyElementsSignature('rotated-secret', note)).toBe(true);
      expect(verifyElementsSignature('receiver-secret', note)).toBe(false);
      expect(verifyTimestampedSignature('rotated-secret', note)).toBe(true);
    });
  }, 20_000);

  it('pauses and resumes an instance', async () => {
    r2.answer = () => ({ status: 200 });
    await withInstance(r2.url, { 'event.vendor.type': 'webhook' }, async (instanceId) => {
      const paused = await call(server.base, 'POST', `/instances/${instanceId}/events/pause`, { auth });
      expect(paused.body.paused).toBe(true);
      const c = await cw.createContact('Held');
      await sleep(1500);
      expect(eventsFor(r2.received, [c.id])).toEqual([]);
      const status = await call(server.base, 'GET', `/instances/${instanceId}/events/status`, { auth });
      expect(status.body.deliveries.pending).toBeGreaterThan(0);
      await call(server.base, 'POST', `/instances/${instanceId}/events/resume`, { auth });
      await r2.waitFor((all) => eventsFor(all, [c.id]).length > 0, 5_000);
    });
  }, 20_000);
});

it('keeps the seed poller keys and URLs in the default configuration', async () => {
  const res = await provision(eventsBody(sandbox, receiver.url, { 'event.poller.configuration': undefined }));
  const cfg = JSON.parse(res.body.configuration['event.poller.configuration']);
  expect(Object.keys(cfg).sort()).toEqual([
    'configurations',
    'contacts',
    'incidents',
    'opportunities',
    'organizations',
  ]);
  expect(cfg.contacts.datesConfiguration.createdDateField).toBe('_info.dateEntered');
  expect(contactsOnly).toContain('lastUpdated>');
  await call(server.base, 'DELETE', `/instances/${res.body.id}`, { auth });
});
