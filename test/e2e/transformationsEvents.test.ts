// Event notifications carry the mapped record when the instance has a transformation under the object's name.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { call, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';
import { cwClient, eventsBody, type Receiver, sleep, startReceiver } from './events.support.ts';

let sandbox: RunningSandbox;
let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  receiver = await startReceiver();
  server = await startTestServer({
    env: { CONDUIT_UPSTREAM_ALLOW: '127.0.0.1', CONDUIT_POLL_MIN_INTERVAL_S: '1', CONDUIT_EVENTS_RECONCILE_S: '1' },
  });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await sandbox?.close();
});

it(`a polled contact is delivered mapped (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, async () => {
  const auth = orgAuth(await server.createOrg());
  const t = await call(server.base, 'POST', '/organizations/elements/connectwisecrmrest/transformations/contacts', {
    auth,
    body: {
      vendorName: 'contacts',
      fields: [
        { path: 'contactId', vendorPath: 'id' },
        { path: 'name', vendorPath: 'firstName' },
      ],
    },
  });
  expect(t.status, t.text).toBe(200);
  const created = await call(server.base, 'POST', '/instances', { auth, body: eventsBody(sandbox, receiver.url) });
  expect(created.status, created.text).toBe(200);
  await sleep(1200); // first poll: baseline of known ids
  const contact = await cwClient(sandbox).createContact('Mapped');
  const got = await receiver.waitFor((all) =>
    all.some((r) => r.body.message.events.some((e) => e.objectId === String(contact.id))),
  );
  const mine = got.find((r) => r.body.message.events.some((e) => e.objectId === String(contact.id)))!;
  const records = mine.body.message.raw.contacts as Array<Record<string, unknown>>;
  expect(records).toContainEqual({ contactId: contact.id, name: 'Mapped' });
  for (const r of records) expect(Object.keys(r).sort()).toEqual(['contactId', 'name']);
});
