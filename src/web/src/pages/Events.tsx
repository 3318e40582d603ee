// Events of one instance: the event log (GET /instances/{id}/events) and the webhook deliveries with status,
// attempts and last error, redeliver, and live refresh. Says so plainly when this server has no events API.
import { useCallback, useEffect, useState } from 'react';
import { type ApiError, apiRequest, type Instance } from '../api.ts';
import { ErrorNotice, Loading, Notice, Spinner } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useSignedIn } from '../session.tsx';
import { InstanceNav } from './Instance.tsx';
import { formatDate } from './Instances.tsx';

/** The events API the console reads (src/http/routes/events). */
export const eventsEndpoints = {
  log: (id: number) => `/instances/${id}/events`,
  status: (id: number) => `/instances/${id}/events/status`,
  pause: (id: number, paused: boolean) => `/instances/${id}/events/${paused ? 'pause' : 'resume'}`,
  deliveries: (id: number) => `/instances/${id}/events/deliveries`,
  redeliver: (id: number, eventId: string) => `/instances/${id}/events/${encodeURIComponent(eventId)}/redeliver`,
};

const REFRESH_MS = 5000;

type Row = Record<string, unknown>;

const pick = (row: Row, ...keys: string[]): unknown => {
  for (const k of keys) if (row[k] !== undefined && row[k] !== null) return row[k];
  return undefined;
};
const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
const asRows = (data: unknown): Row[] => {
  if (Array.isArray(data)) return data.filter((r): r is Row => typeof r === 'object' && r !== null);
  if (data && typeof data === 'object') {
    for (const k of ['events', 'deliveries', 'items', 'data']) {
      const v = (data as Row)[k];
      if (Array.isArray(v)) return asRows(v);
    }
  }
  return [];
};

/** "UPDATED contacts 12, CREATED contacts 14" from a log entry's events[] (or its own fields). */
function changesOf(entry: Row): string {
  const list = Array.isArray(entry.events) ? (entry.events as Row[]) : [entry];
  const parts = list
    .slice(0, 5)
    .map((e) =>
      [text(pick(e, 'eventType')), text(pick(e, 'objectType')), text(pick(e, 'objectId'))].filter(Boolean).join(' '),
    )
    .filter(Boolean);
  if (list.length > 5) parts.push(`+${list.length - 5} more`);
  return parts.join(', ');
}

interface EventsStatus {
  paused?: boolean;
  vendorType?: string | null;
  nextPollAt?: string | null;
  lastError?: string | null;
}

function When({ value }: { value: unknown }) {
  const s = text(value);
  return s ? <time dateTime={s}>{formatDate(s)}</time> : <span className="meta">—</span>;
}

export function EventsPage({ id }: { id: number }) {
  const { auth } = useSignedIn();
  const [instance, setInstance] = useState<Instance>();
  const [events, setEvents] = useState<Row[]>();
  const [deliveries, setDeliveries] = useState<Row[]>();
  const [unavailable, setUnavailable] = useState<string>();
  const [deliveriesUnavailable, setDeliveriesUnavailable] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [live, setLive] = useState(true);
  const [refreshedAt, setRefreshedAt] = useState<Date>();
  const [message, setMessage] = useState<string>();
  const [redelivering, setRedelivering] = useState<string>();
  const [status, setStatus] = useState<EventsStatus>();

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      const [inst, log, del, st] = await Promise.all([
        apiRequest<Instance>('GET', `/instances/${id}`, { auth, signal }),
        apiRequest<unknown>('GET', eventsEndpoints.log(id), { auth, signal }),
        apiRequest<unknown>('GET', eventsEndpoints.deliveries(id), { auth, signal }),
        apiRequest<EventsStatus>('GET', eventsEndpoints.status(id), { auth, signal }),
      ]);
      setStatus(st.ok ? st.data : undefined);
      if (!inst.ok) return setError(inst.error);
      setInstance(inst.data);
      if (log.ok) {
        setEvents(asRows(log.data));
        setUnavailable(undefined);
        setError(undefined);
      } else if (log.status === 404) {
        setUnavailable(log.error.message);
      } else setError(log.error);
      if (del.ok) {
        setDeliveries(asRows(del.data));
        setDeliveriesUnavailable(false);
      } else setDeliveriesUnavailable(true);
      setRefreshedAt(new Date());
    },
    [auth, id],
  );

  useEffect(() => {
    const ctl = new AbortController();
    refresh(ctl.signal).catch(() => undefined);
    if (!live) return () => ctl.abort();
    const timer = setInterval(() => refresh(ctl.signal).catch(() => undefined), REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctl.abort();
    };
  }, [refresh, live]);

  const redeliver = async (eventId: string) => {
    setRedelivering(eventId);
    const res = await apiRequest<unknown>('POST', eventsEndpoints.redeliver(id, eventId), { auth, body: {} });
    setRedelivering(undefined);
    if (!res.ok) return setError(res.error);
    setMessage(`Notification ${eventId} queued for redelivery.`);
    await refresh();
  };

  const setPaused = async (paused: boolean) => {
    const res = await apiRequest<EventsStatus>('POST', eventsEndpoints.pause(id, paused), { auth, body: {} });
    if (!res.ok) return setError(res.error);
    setStatus(res.data);
    setMessage(paused ? 'Events paused: no polling and no deliveries until resumed.' : 'Events resumed.');
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to="/instances">Instances</Link> / <Link to={`/instances/${id}`}>{instance?.name ?? `#${id}`}</Link> /
        Events
      </p>
      <h1 tabIndex={-1}>Events{instance ? ` — ${instance.name}` : ''}</h1>
      <InstanceNav id={id} current="events" />
      <div className="toolbar">
        <div className="field field-check">
          <input id="live-refresh" type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
          <label htmlFor="live-refresh">Live refresh (every {REFRESH_MS / 1000} s)</label>
        </div>
        <button type="button" className="button" onClick={() => refresh().catch(() => undefined)}>
          Refresh now
        </button>
        <span className="meta" aria-live="off">
          {refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}` : ''}
        </span>
      </div>
      {instance && !instance.eventsEnabled ? (
        <Notice>
          Events are off for this instance. Turn them on with <Link to={`/instances/${id}`}>Edit</Link> (Events
          section).
        </Notice>
      ) : null}
      {message ? <Notice kind="success">{message}</Notice> : null}
      {status && instance?.eventsEnabled ? (
        <section aria-labelledby="status-heading" className="card">
          <h2 id="status-heading">Status</h2>
          <dl className="facts">
            <dt>Mode</dt>
            <dd>{status.vendorType ?? '—'}</dd>
            <dt>State</dt>
            <dd>{status.paused ? 'Paused' : 'Running'}</dd>
            <dt>Next poll</dt>
            <dd>
              <When value={status.nextPollAt} />
            </dd>
            {status.lastError ? (
              <>
                <dt>Last poll error</dt>
                <dd>{status.lastError}</dd>
              </>
            ) : null}
          </dl>
          <button type="button" className="button" onClick={() => setPaused(!status.paused)}>
            {status.paused ? 'Resume events' : 'Pause events'}
          </button>
        </section>
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
      {unavailable ? (
        <div className="notice notice-info" role="status" data-testid="events-unavailable">
          Events are not available on this server yet ({unavailable}).
        </div>
      ) : null}
      {!events && !unavailable && !error ? <Loading what="events" /> : null}

      {events ? (
        <section aria-labelledby="log-heading">
          <h2 id="log-heading">Event log</h2>
          {events.length === 0 ? (
            <p className="meta">No events yet. Changes in ConnectWise appear here after the next poll or callback.</p>
          ) : (
            <table className="list">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Object</th>
                  <th scope="col">Changes</th>
                  <th scope="col">Status</th>
                  <th scope="col">Event id</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e, i) => (
                  <tr key={text(pick(e, 'id', 'eventId')) || i}>
                    <td data-label="Date">
                      <When value={pick(e, 'eventDate', 'date', 'createdDate', 'created')} />
                    </td>
                    <td data-label="Object">{text(pick(e, 'objectType'))}</td>
                    <td data-label="Changes">{changesOf(e)}</td>
                    <td data-label="Status">{text(pick(e, 'status'))}</td>
                    <td data-label="Event id">
                      <code>{text(pick(e, 'eventId', 'id'))}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ) : null}

      {events && !deliveriesUnavailable ? (
        <section aria-labelledby="deliveries-heading">
          <h2 id="deliveries-heading">Deliveries</h2>
          {(deliveries ?? []).length === 0 ? (
            <p className="meta">No notifications sent yet.</p>
          ) : (
            <table className="list">
              <thead>
                <tr>
                  <th scope="col">Notification</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {(deliveries ?? []).map((d, i) => {
                  const eventId = text(pick(d, 'eventId', 'id'));
                  return (
                    <tr key={eventId || i}>
                      <td data-label="Notification">
                        <code>{eventId}</code> <span className="meta">{text(pick(d, 'objectType'))}</span>
                      </td>
                      <td data-label="Status">{text(pick(d, 'status'))}</td>
                      <td data-label="Attempts">{text(pick(d, 'attempts')) || '0'}</td>
                      <td data-label="Last error">
                        {text(pick(d, 'lastError', 'last_error')) || <span className="meta">—</span>}
                        {Number(pick(d, 'lastStatus')) >= 300 ? (
                          <span className="meta"> (HTTP {text(pick(d, 'lastStatus'))})</span>
                        ) : null}
                      </td>
                      <td data-label="Next attempt">
                        <When value={pick(d, 'nextAttemptAt')} />
                      </td>
                      <td data-label="Action">
                        <button
                          type="button"
                          className="button small"
                          onClick={() => redeliver(eventId)}
                          disabled={!eventId || redelivering === eventId}
                          aria-label={`Redeliver notification ${eventId}`}
                        >
                          Redeliver
                        </button>
                        {redelivering === eventId ? <Spinner label="Queuing…" /> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      ) : null}
      {events && deliveriesUnavailable ? (
        <p className="meta">Delivery details are not available on this server.</p>
      ) : null}
    </>
  );
}
