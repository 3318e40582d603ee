import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Row, StoredRef } from './catalog/types.ts';
import type { Clock } from './clock.ts';
import { toSecond } from './dates.ts';
import type { Database } from './store/database.ts';

export type CallbackAction = 'added' | 'updated' | 'deleted';

export interface CallbackEvent {
  /** Callback `type` of the record (ticket, company, contact, …). */
  type: string;
  action: CallbackAction;
  row: Row;
  /** The record as the API renders it (sent as a JSON string in `Entity`). */
  entity: unknown;
  actorMemberId: number | undefined;
  actorIdentifier: string;
}

export interface DeliveryRecord {
  callbackId: number;
  url: string;
  attempt: number;
  status?: number;
  error?: string;
  payload: Record<string, unknown>;
  signature: string;
  at: string;
}

export interface CallbackSettings {
  company: string;
  signingKey: string;
  keyUrl: () => string;
  fromUrl: () => string;
  retryDelaysMs: number[];
  timeoutMs: number;
  disableAfterMs: number;
  urlMode: 'cw' | 'none';
}

/** Statuses after which CW tries again, at +2 s and +4 s (Developer Guide, Callbacks). */
const RETRY_STATUSES = new Set([404, 409, 419, 429]);

/** Levels other than `owner` narrow a subscription to records whose field holds `objectId`. */
const LEVEL_FIELDS: Record<string, string> = {
  board: 'board',
  status: 'status',
  company: 'company',
  type: 'type',
  contact: 'contact',
  territory: 'territoryManager',
  opportunity: 'opportunity',
};

/** x-content-signature: base64(HMAC-SHA256(key = SHA-256(signing key), message = payload JSON)), as CWR verifies it. */
export function signPayload(signingKey: string, body: string): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

function matches(cb: Row, ev: CallbackEvent): boolean {
  if (cb.inactiveFlag === true) return false;
  if (String(cb.type).toLowerCase() !== ev.type) return false;
  const level = String(cb.level).toLowerCase();
  if (level === 'owner') return true;
  if (level === ev.type) return ev.row.id === cb.objectId;
  const field = LEVEL_FIELDS[level];
  if (!field) return false;
  const v = ev.row[field];
  const id = v && typeof v === 'object' ? (v as StoredRef).id : v;
  return id === cb.objectId;
}

export function deliveryUrl(url: string, ev: CallbackEvent, mode: 'cw' | 'none'): string {
  if (mode === 'none') return url;
  let out = url.endsWith('=') ? `${url}${ev.row.id}` : url;
  const sep = out.includes('?') ? '&' : '?';
  out += `${sep}action=${ev.action}`;
  if (!/[?&]id=/i.test(out)) out += `&id=${ev.row.id}`;
  return out;
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** Sends callback POSTs for record changes, with CW's retry rules; never blocks the API response. */
export class CallbackDispatcher {
  readonly deliveries: DeliveryRecord[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly failingSince = new Map<number, number>();

  constructor(
    private readonly database: () => Database,
    private readonly clock: Clock,
    private readonly settings: CallbackSettings,
  ) {}

  notify(ev: CallbackEvent): void {
    const subscribed = this.database()
      .table('callbacks')
      .all()
      .filter((cb) => matches(cb, ev));
    for (const cb of subscribed) {
      if (cb.isSelfSuppressedFlag === true && cb.memberId === ev.actorMemberId) continue;
      const p = this.deliver(cb, ev).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Resolves when every delivery in flight has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  clear(): void {
    this.deliveries.length = 0;
    this.failingSince.clear();
  }

  private async deliver(cb: Row, ev: CallbackEvent): Promise<void> {
    const payload = {
      Action: ev.action,
      Type: ev.type,
      ID: ev.row.id,
      CompanyId: this.settings.company,
      MemberId: ev.actorIdentifier,
      FromUrl: this.settings.fromUrl(),
      Metadata: { key_url: this.settings.keyUrl() },
      Entity: JSON.stringify(ev.entity),
    };
    const body = JSON.stringify(payload);
    const signature = signPayload(this.settings.signingKey, body);
    const url = deliveryUrl(String(cb.url), ev, this.settings.urlMode);
    const delays = [0, ...this.settings.retryDelaysMs];
    for (let attempt = 1; attempt <= delays.length; attempt++) {
      const wait = delays[attempt - 1] ?? 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      const rec: DeliveryRecord = {
        callbackId: cb.id,
        url,
        attempt,
        payload,
        signature,
        at: new Date(this.clock.now()).toISOString(),
      };
      let status: number | undefined;
      try {
        const res = await request(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-content-signature': signature },
          signal: AbortSignal.timeout(this.settings.timeoutMs),
          dispatcher: insecure,
        });
        status = res.statusCode;
        await res.body.dump();
        rec.status = status;
      } catch (e) {
        rec.error = (e as Error).message;
      }
      this.deliveries.push(rec);
      if (this.deliveries.length > 1000) this.deliveries.shift();
      if (status !== undefined && status >= 200 && status < 300) {
        this.failingSince.delete(cb.id);
        return;
      }
      if (status === undefined || !RETRY_STATUSES.has(status)) break;
    }
    this.recordFailure(cb.id);
  }

  /** After failing continuously for the disable period CW sets inactiveFlag on the callback. */
  private recordFailure(id: number): void {
    const now = this.clock.now();
    const since = this.failingSince.get(id) ?? now;
    this.failingSince.set(id, since);
    if (now - since < this.settings.disableAfterMs) return;
    const table = this.database().table('callbacks');
    const row = table.get(id);
    if (!row || row.inactiveFlag === true) return;
    table.replace({ ...row, inactiveFlag: true, _lu: Math.max(toSecond(now), row._lu + 1000) });
  }
}
