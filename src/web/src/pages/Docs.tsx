// The instance's API docs (GET /instances/{id}/docs?format=openapi3) as a list of operations, each with a small
// try-it form that calls the hub with `User <secret>, Element <token>` (the instance token pre-filled).
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { API_BASE, type ApiError, apiRequest, elementAuth, type Instance } from '../api.ts';
import { ErrorNotice, Field, Loading, Spinner } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useSignedIn } from '../session.tsx';
import { InstanceNav } from './Instance.tsx';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: { type?: string; default?: unknown; enum?: unknown[] };
}
interface Operation {
  method: string;
  path: string;
  summary?: string;
  description?: string;
  operationId?: string;
  tag: string;
  parameters: Parameter[];
  hasBody: boolean;
}
interface OpenApiDoc {
  openapi?: string;
  info?: { title?: string; version?: string; description?: string };
  servers?: Array<{ url?: string }>;
  paths?: Record<string, Record<string, unknown>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const shared = Array.isArray(item.parameters) ? (item.parameters as Parameter[]) : [];
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op || typeof op !== 'object') continue;
      const own = Array.isArray(op.parameters) ? (op.parameters as Parameter[]) : [];
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own].filter(
        (p) => p && typeof p.name === 'string' && (p.in === 'path' || p.in === 'query'),
      );
      const tags = Array.isArray(op.tags) ? (op.tags as string[]) : [];
      ops.push({
        method: method.toUpperCase(),
        path,
        summary: typeof op.summary === 'string' ? op.summary : undefined,
        description: typeof op.description === 'string' ? op.description : undefined,
        operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
        tag: tags[0] ?? path.split('/').filter(Boolean).slice(0, 3).join('/'),
        parameters: params,
        hasBody: op.requestBody !== undefined || method === 'post' || method === 'put' || method === 'patch',
      });
    }
  }
  return ops;
}

/** The API prefix the doc's paths hang under, on this server (the console never calls another origin). */
export function basePathOf(doc: OpenApiDoc): string {
  const url = doc.servers?.[0]?.url;
  if (!url) return API_BASE;
  try {
    return new URL(url, location.origin).pathname.replace(/\/+$/, '');
  } catch {
    return API_BASE;
  }
}

const slug = (op: Operation) => `${op.method}-${op.path}`.replace(/[^a-z0-9]+/gi, '-').toLowerCase();

function TryIt({ op, basePath, auth }: { op: Operation; basePath: string; auth: string }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      op.parameters.map((p) => [`${p.in}:${p.name}`, p.schema?.default !== undefined ? String(p.schema.default) : '']),
    ),
  );
  const [body, setBody] = useState('{\n  \n}');
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState<string[]>([]);
  const [result, setResult] = useState<{
    status: number;
    ms: number;
    text: string;
    headers: Array<[string, string]>;
  }>();
  const id = slug(op);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const absent = op.parameters
      .filter((p) => (p.required || p.in === 'path') && !values[`${p.in}:${p.name}`]?.trim())
      .map((p) => `${p.in}:${p.name}`);
    setMissing(absent);
    if (absent.length > 0) return;
    let path = op.path;
    const query = new URLSearchParams();
    for (const p of op.parameters) {
      const v = values[`${p.in}:${p.name}`]?.trim() ?? '';
      if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(v));
      else if (v) query.set(p.name, v);
    }
    const url = `${basePath}${path}${query.size ? `?${query}` : ''}`;
    setBusy(true);
    const started = performance.now();
    const res = await apiRequest<unknown>(op.method, url, {
      auth,
      rawBody: op.hasBody && body.trim() ? body : undefined,
    });
    const ms = Math.round(performance.now() - started);
    setBusy(false);
    const shown = res.ok ? res.data : res.error;
    const headers: Array<[string, string]> = [];
    if (res.ok) {
      for (const h of [
        'elements-returned-count',
        'elements-total-count',
        'elements-next-page-token',
        'elements-request-id',
      ]) {
        const v = res.headers.get(h);
        if (v) headers.push([h, v]);
      }
    }
    setResult({
      status: res.status,
      ms,
      text: typeof shown === 'string' ? shown : JSON.stringify(shown, null, 2),
      headers,
    });
  };

  return (
    <form className="try-it" onSubmit={send} noValidate>
      {op.parameters.map((p) => {
        const key = `${p.in}:${p.name}`;
        return (
          <Field
            key={key}
            id={`${id}-${p.in}-${p.name}`.replace(/[^a-z0-9-]+/gi, '-')}
            label={`${p.name} (${p.in})`}
            required={p.required || p.in === 'path'}
            hint={p.description}
            error={missing.includes(key) ? `${p.name} is required` : undefined}
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                spellCheck={false}
                value={values[key] ?? ''}
                onChange={(e) => setValues({ ...values, [key]: e.target.value })}
              />
            )}
          </Field>
        );
      })}
      {op.hasBody ? (
        <Field id={`${id}-body`} label="Request body (JSON)">
          {(aria) => (
            <textarea {...aria} rows={6} spellCheck={false} value={body} onChange={(e) => setBody(e.target.value)} />
          )}
        </Field>
      ) : null}
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          Send {op.method} request
        </button>
        {busy ? <Spinner label="Waiting for the response…" /> : null}
      </div>
      {result ? (
        <div className="response" aria-live="polite">
          <p>
            <strong data-testid="try-status">HTTP {result.status === 0 ? 'no response' : result.status}</strong>{' '}
            <span className="meta">in {result.ms} ms</span>
          </p>
          {result.headers.length > 0 ? (
            <ul className="meta">
              {result.headers.map(([k, v]) => (
                <li key={k}>
                  <code>
                    {k}: {v}
                  </code>
                </li>
              ))}
            </ul>
          ) : null}
          <Field id={`${id}-response`} label="Response body">
            {(aria) => (
              <textarea
                {...aria}
                readOnly
                rows={Math.min(20, Math.max(4, result.text.split('\n').length))}
                spellCheck={false}
                value={result.text.length > 100_000 ? `${result.text.slice(0, 100_000)}\n… (truncated)` : result.text}
              />
            )}
          </Field>
        </div>
      ) : null}
    </form>
  );
}

export function DocsPage({ id }: { id: number }) {
  const { auth, secrets } = useSignedIn();
  const [instance, setInstance] = useState<Instance>();
  const [doc, setDoc] = useState<OpenApiDoc>();
  const [error, setError] = useState<ApiError>();
  const [notAvailable, setNotAvailable] = useState<string>();
  const [token, setToken] = useState('');
  const [filter, setFilter] = useState('');

  useEffect(() => {
    const ctl = new AbortController();
    Promise.all([
      apiRequest<Instance>('GET', `/instances/${id}`, { auth, signal: ctl.signal }),
      apiRequest<OpenApiDoc>('GET', `/instances/${id}/docs?format=openapi3`, { auth, signal: ctl.signal }),
    ])
      .then(([inst, docs]) => {
        if (!inst.ok) return setError(inst.error);
        setInstance(inst.data);
        setToken(inst.data.token);
        if (docs.ok) setDoc(docs.data);
        else if (docs.status === 404) setNotAvailable(docs.error.message);
        else setError(docs.error);
      })
      .catch(() => undefined);
    return () => ctl.abort();
  }, [auth, id]);

  const ops = useMemo(() => (doc ? operationsOf(doc) : []), [doc]);
  const shown = ops.filter(
    (o) =>
      !filter.trim() || `${o.method} ${o.path} ${o.summary ?? ''}`.toLowerCase().includes(filter.trim().toLowerCase()),
  );
  const groups = [...new Set(shown.map((o) => o.tag))];
  const basePath = doc ? basePathOf(doc) : API_BASE;
  const hubAuth = elementAuth(secrets, token.trim());

  return (
    <>
      <p className="breadcrumb">
        <Link to="/instances">Instances</Link> / <Link to={`/instances/${id}`}>{instance?.name ?? `#${id}`}</Link> / API
        docs
      </p>
      <h1 tabIndex={-1}>API docs{instance ? ` — ${instance.name}` : ''}</h1>
      <InstanceNav id={id} current="docs" />
      {error ? <ErrorNotice error={error} /> : null}
      {notAvailable ? (
        <div className="notice notice-info" role="status" data-testid="docs-unavailable">
          API docs are not available on this server yet ({notAvailable}). You can still call the hub directly:{' '}
          <code>GET {API_BASE}/hubs/crm/contacts</code> with{' '}
          <code>Authorization: User &lt;user secret&gt;, Element &lt;token&gt;</code>.
        </div>
      ) : null}
      {!doc && !error && !notAvailable ? <Loading what="the API docs" /> : null}
      {doc ? (
        <>
          <p>
            {doc.info?.title ?? 'API'} {doc.info?.version ? <span className="meta">v{doc.info.version}</span> : null} ·{' '}
            {ops.length} operations under <code>{basePath}</code>
          </p>
          <div className="card try-auth">
            <Field
              id="try-token"
              label="Instance token"
              hint="Requests are sent as Authorization: User <your user secret>, Element <this token>."
            >
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  spellCheck={false}
                  autoComplete="off"
                  value={token}
                  onChange={(e) => setToken(e.target.value)}
                />
              )}
            </Field>
            <Field id="ops-filter" label="Filter operations">
              {(aria) => (
                <input
                  {...aria}
                  type="search"
                  value={filter}
                  onChange={(e) => setFilter(e.target.value)}
                  placeholder="e.g. contacts"
                />
              )}
            </Field>
          </div>
          {groups.map((g) => (
            <section key={g} className="op-group" aria-label={g}>
              <h2>{g}</h2>
              <ul className="ops">
                {shown
                  .filter((o) => o.tag === g)
                  .map((o) => (
                    <li key={slug(o)}>
                      <details>
                        <summary>
                          <span className={`method method-${o.method.toLowerCase()}`}>{o.method}</span>{' '}
                          <code>{o.path}</code>
                          {o.summary ? <span className="op-summary"> {o.summary}</span> : null}
                        </summary>
                        {o.description ? <p>{o.description}</p> : null}
                        <TryIt op={o} basePath={basePath} auth={hubAuth} />
                      </details>
                    </li>
                  ))}
              </ul>
            </section>
          ))}
        </>
      ) : null}
    </>
  );
}
