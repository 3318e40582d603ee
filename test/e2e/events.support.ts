// Shared pieces of the events end-to-end tests: a real HTTP receiver, a ConnectWise client for the
// simulator, and the instance body with events configured.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { seedBody } from '../helpers/sandbox.ts';

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  raw: string;
  body: {
    message: {
      eventId: string;
      instanceId: number;
      elementKey: string;
      userId: number;
      accountId: number;
      events: Array<{
        objectType: string;
        objectId: string;
        eventType: string;
        date: string;
        pollDate: string;
        elementKey: string;
        hubKey: string;
      }>;
      raw: Record<string, unknown> & { objectType: string };
    };
  };
  answered: number;
}

export type Answer = { status: number; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Every request, answered or not (received holds the 2xx ones). */
  requests: Array<Omit<Received, 'answered'>>;
  /** Decides each answer; default 200. */
  answer: (r: Omit<Received, 'answered'>, n: number) => Answer;
  waitFor(pred: (all: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const received: Received[] = [];
  const requests: Array<Omit<Received, 'answered'>> = [];
  let n = 0;
  const sockets = new Set<import('node:net').Socket>();
  const receiver: Receiver = {
    url: '',
    received,
    requests,
    answer: () => ({ status: 200 }),
    async waitFor(pred, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (pred(received)) return received;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `receiver: condition not met in ${timeoutMs} ms; got ${received.length} notifications: ${JSON.stringify(received.slice(-5).map((r) => r.body.message.events)).slice(0, 2000)}`,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry = { at: Date.now(), headers: req.headers, raw, body: JSON.parse(raw) as Received['body'] };
      requests.push(entry);
      const answer = receiver.answer(entry, n++);
      if (answer === 'hang') return; // never answers: the sender's timeout decides
      const send = () => {
        if (answer.status >= 200 && answer.status < 300) received.push({ ...entry, answered: answer.status });
        res
          .writeHead(answer.status, { 'content-type': 'text/plain' })
          .end(answer.status >= 300 ? 'receiver says no' : 'ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  receiver.url = `http://127.0.0.1:${addr.port}${path}`;
  return receiver;
}

/** Verifies Elements-Webhook-Signature the way a receiving application does. */
export function verifyElementsSignature(key: string, r: Pick<Received, 'raw' | 'headers'>): boolean {
  const expected = `sha256=${createHmac('sha256', key).update(r.raw, 'utf8').digest('base64')}`;
  return r.headers['elements-webhook-signature'] === expected;
}

/** Verifies Conduit-Webhook-Signature (t=…,v1=…) and that it is recent. */
export function verifyTimestampedSignature(key: string, r: Pick<Received, 'raw' | 'headers'>, maxAgeS = 300): boolean {
  const h = String(r.headers['conduit-webhook-signature'] ?? '');
  const m = /^t=(\d+),v1=(.+)$/.exec(h);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(Date.now() / 1000 - t) > maxAgeS) return false;
  return createHmac('sha256', key).update(`${t}.${r.raw}`, 'utf8').digest('base64') === m[2];
}

/** A ConnectWise record as the simulator answers it (vendor data; only what the tests read is typed). */
export interface CwRecord {
  id: number;
  _info: { lastUpdated: string; dateEntered: string };
  [key: string]: unknown;
}

/** A ConnectWise API client for the simulator (the way users change records). */
export function cwClient(sandbox: RunningSandbox) {
  const c = sandbox.credentials;
  const headers = {
    authorization: `Basic ${Buffer.from(`${c.company}+${c.publicKey}:${c.privateKey}`).toString('base64')}`,
    clientId: c.clientId,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  async function send(method: string, path: string, body?: unknown) {
    const res = await fetch(`${sandbox.apiBase}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as CwRecord;
  }
  return {
    createContact: (firstName: string) => send('POST', '/company/contacts', { firstName, lastName: 'Events' }),
    renameContact: (id: number, firstName: string) =>
      send('PATCH', `/company/contacts/${id}`, [{ op: 'replace', path: 'firstName', value: firstName }]),
    deleteContact: (id: number) => send('DELETE', `/company/contacts/${id}`),
    callbacks: () =>
      send('GET', '/system/callbacks?pageSize=1000') as unknown as Promise<Array<{ id: number; url: string }>>,
  };
}

export const contactsOnly = JSON.stringify({
  contacts: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the poller's own ${gmtDate:…} template, verbatim from the seed
    url: "/hubs/crm/contacts?where=lastUpdated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
    idField: 'id',
    datesConfiguration: {
      updatedDateField: '_info.lastUpdated',
      updatedDateFormat: "yyyy-MM-dd'T'HH:mm:ss'Z'",
      updatedDateTimezone: 'GMT',
      createdDateField: '_info.dateEntered',
      createdDateFormat: "yyyy-MM-dd'T'HH:mm:ss'Z'",
      createdDateTimezone: 'GMT',
    },
  },
});

export function eventsBody(
  sandbox: RunningSandbox,
  receiverUrl: string,
  extra: Record<string, unknown> = {},
): ReturnType<typeof seedBody> {
  return seedBody(sandbox, {
    'event.notification.enabled': true,
    'event.notification.callback.url': receiverUrl,
    'event.notification.signature.key': 'receiver-secret',
    'event.vendor.type': 'polling',
    'event.poller.refresh_interval': '0.01',
    'event.poller.configuration': contactsOnly,
    ...extra,
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** (objectId, eventType) pairs received for the given ids. */
export function eventsFor(received: Received[], ids: Array<string | number>) {
  const want = new Set(ids.map(String));
  return received.flatMap((r) =>
    r.body.message.events.filter((e) => want.has(e.objectId)).map((e) => ({ ...e, eventId: r.body.message.eventId })),
  );
}
