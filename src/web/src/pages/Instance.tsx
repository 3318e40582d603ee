// One instance: its state and configuration (secrets masked by the API), edit, enable/disable,
// re-validate credentials, delete with confirmation.
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, apiRequest, type ConfigParameter, type Instance } from '../api.ts';
import { ConfigFields } from '../components/ConfigFields.tsx';
import { CopyButton, ErrorNotice, Field, Loading, Notice, Spinner } from '../components/ui.tsx';
import {
  changedConfiguration,
  type FieldErrors,
  type FormState,
  fieldForServerError,
  initialValues,
  MASK,
  parseBaseUrl,
  parseTags,
  validateForm,
} from '../configForm.ts';
import { Link, navigate } from '../router.tsx';
import { useSignedIn } from '../session.tsx';
import { formatDate, StateBadges } from './Instances.tsx';

type Busy = 'saving' | 'toggling' | 'validating' | 'deleting' | undefined;

function formOf(instance: Instance, rows: ConfigParameter[]): FormState {
  const regions = rows.find((r) => r.key === 'baseUrl')?.allowedHosts ?? [];
  return {
    url: parseBaseUrl(instance.configuration.baseUrl ?? '', regions),
    values: initialValues(rows, instance.configuration),
    name: instance.name,
    tags: instance.tags.join(', '),
  };
}

export function InstanceNav({
  id,
  current,
}: {
  id: number;
  current: 'instance' | 'events' | 'docs' | 'bulk' | 'mappings';
}) {
  const items = [
    ['instance', `/instances/${id}`, 'Overview'],
    ['events', `/instances/${id}/events`, 'Events'],
    ['bulk', `/instances/${id}/bulk`, 'Bulk'],
    ['mappings', `/instances/${id}/mappings`, 'Mappings'],
    ['docs', `/instances/${id}/docs`, 'API docs'],
  ] as const;
  return (
    <nav className="subnav" aria-label="Instance">
      {items.map(([key, to, label]) => (
        <Link key={key} to={to} className="nav-link" aria-current={current === key ? 'page' : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}

export function InstancePage({ id }: { id: number }) {
  const { auth } = useSignedIn();
  const [instance, setInstance] = useState<Instance>();
  const [rows, setRows] = useState<ConfigParameter[]>([]);
  const [loadError, setLoadError] = useState<ApiError>();
  const [editing, setEditing] = useState<FormState>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [actionError, setActionError] = useState<ApiError>();
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState<Busy>();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [showToken, setShowToken] = useState(false);
  const cancelDelete = useRef<HTMLButtonElement>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const res = await apiRequest<Instance>('GET', `/instances/${id}`, { auth, signal });
      if (!res.ok) return setLoadError(res.error);
      setInstance(res.data);
      const key = res.data.element?.key ?? 'connectwisecrmrest';
      const config = await apiRequest<ConfigParameter[]>('GET', `/elements/${encodeURIComponent(key)}/configuration`, {
        auth,
        signal,
      });
      if (config.ok) setRows(config.data);
    },
    [auth, id],
  );

  useEffect(() => {
    const ctl = new AbortController();
    load(ctl.signal).catch(() => undefined);
    return () => ctl.abort();
  }, [load]);

  useEffect(() => {
    if (confirmDelete) cancelDelete.current?.focus();
  }, [confirmDelete]);

  if (loadError) {
    return (
      <>
        <h1 tabIndex={-1}>Instance {id}</h1>
        <ErrorNotice error={loadError} title="Could not load this instance." />
        <Link to="/instances">Back to instances</Link>
      </>
    );
  }
  if (!instance) return <Loading what="the instance" />;

  const done = (text: string, updated?: Instance) => {
    if (updated) setInstance(updated);
    setActionError(undefined);
    setMessage(text);
  };
  const failed = (error: ApiError) => {
    setMessage(undefined);
    setActionError(error);
  };

  const toggle = async () => {
    setBusy('toggling');
    const res = await apiRequest<Instance>(instance.disabled ? 'PUT' : 'DELETE', `/instances/${id}/enabled`, { auth });
    setBusy(undefined);
    if (!res.ok) return failed(res.error);
    done(
      res.data.disabled
        ? 'Instance disabled: hub calls with its token answer 403 until it is enabled again.'
        : 'Instance enabled.',
      res.data,
    );
  };

  const revalidate = async () => {
    setBusy('validating');
    // Sending back the masked configuration keeps the stored secrets; PUT re-verifies them with ConnectWise.
    const res = await apiRequest<Instance>('PUT', `/instances/${id}`, {
      auth,
      body: { name: instance.name, tags: instance.tags, configuration: instance.configuration },
    });
    setBusy(undefined);
    if (!res.ok) return failed(res.error);
    done(`ConnectWise accepted the stored credentials (${new Date().toLocaleTimeString()}).`, res.data);
  };

  const remove = async () => {
    setBusy('deleting');
    const res = await apiRequest<unknown>('DELETE', `/instances/${id}`, { auth });
    setBusy(undefined);
    if (!res.ok) {
      setConfirmDelete(false);
      return failed(res.error);
    }
    navigate('/instances', { flash: `Deleted instance “${instance.name}”. Its token no longer works.` });
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const found = validateForm(rows, editing, { requireName: true, keepStoredSecrets: true });
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const configuration = changedConfiguration(rows, formOf(instance, rows), editing);
    const body: Record<string, unknown> = { name: editing.name.trim(), tags: parseTags(editing.tags) };
    if (Object.keys(configuration).length > 0) body.configuration = configuration;
    setBusy('saving');
    const res = await apiRequest<Instance>('PATCH', `/instances/${id}`, { auth, body });
    setBusy(undefined);
    if (!res.ok) {
      const field = fieldForServerError(rows, res.error.field);
      if (field) setErrors({ [field]: res.error.message });
      return failed(res.error);
    }
    setEditing(undefined);
    setErrors({});
    done('Changes saved.', res.data);
  };

  const paramName = (key: string) => rows.find((r) => r.key === key)?.name;
  const shownKeys = rows.filter((r) => !r.hidden).map((r) => r.key);
  const otherKeys = Object.keys(instance.configuration)
    .filter((k) => !shownKeys.includes(k))
    .sort();
  const display = (k: string) => {
    const v = instance.configuration[k];
    return v === null || v === undefined ? (
      <span className="meta">not set</span>
    ) : v === MASK ? (
      <>
        {MASK}
        <span className="visually-hidden"> (secret, not shown)</span>
      </>
    ) : (
      v
    );
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to="/instances">Instances</Link> / #{instance.id}
      </p>
      <div className="page-title">
        <h1 tabIndex={-1}>{instance.name}</h1>
        <StateBadges instance={instance} />
      </div>
      <InstanceNav id={id} current="instance" />
      {message ? <Notice kind="success">{message}</Notice> : null}
      {actionError ? <ErrorNotice error={actionError} title="That did not work:" /> : null}
      <div className="toolbar">
        <button
          type="button"
          className="button"
          onClick={() => setEditing(formOf(instance, rows))}
          disabled={Boolean(editing) || Boolean(busy)}
        >
          Edit
        </button>
        <button type="button" className="button" onClick={toggle} disabled={Boolean(busy)}>
          {instance.disabled ? 'Enable' : 'Disable'}
        </button>
        <button type="button" className="button" onClick={revalidate} disabled={Boolean(busy)}>
          Re-validate credentials
        </button>
        <button type="button" className="button danger" onClick={() => setConfirmDelete(true)} disabled={Boolean(busy)}>
          Delete
        </button>
        {busy === 'validating' ? <Spinner label="Checking the credentials with ConnectWise…" /> : null}
        {busy === 'toggling' ? <Spinner label="Updating…" /> : null}
      </div>
      {confirmDelete ? (
        <section className="confirm" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
          <h2 id="confirm-title">Delete “{instance.name}”?</h2>
          <p id="confirm-text">
            Its token stops working at once and its configuration is removed. This cannot be undone.
          </p>
          <div className="actions">
            <button type="button" className="button danger" onClick={remove} disabled={busy === 'deleting'}>
              Delete permanently
            </button>
            <button type="button" className="button" ref={cancelDelete} onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            {busy === 'deleting' ? <Spinner label="Deleting…" /> : null}
          </div>
        </section>
      ) : null}

      {editing ? (
        <form className="config-form card" onSubmit={save} noValidate aria-busy={busy === 'saving'}>
          <h2>Edit instance</h2>
          <fieldset className="group">
            <legend>Instance</legend>
            <Field id="instance-name" label="Instance name" required error={errors.name}>
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  value={editing.name}
                  onChange={(e) => setEditing({ ...editing, name: e.target.value })}
                />
              )}
            </Field>
            <Field id="instance-tags" label="Tags" error={errors.tags} hint="Comma-separated.">
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  value={editing.tags}
                  onChange={(e) => setEditing({ ...editing, tags: e.target.value })}
                />
              )}
            </Field>
          </fieldset>
          <ConfigFields rows={rows} form={editing} onChange={setEditing} errors={errors} editing />
          <div className="actions">
            <button type="submit" className="button primary" disabled={busy === 'saving'}>
              Save changes
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setEditing(undefined);
                setErrors({});
              }}
            >
              Cancel
            </button>
            {busy === 'saving' ? <Spinner label="Saving (credentials are re-checked when they change)…" /> : null}
          </div>
        </form>
      ) : null}

      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{instance.id}</code>
          </dd>
          <dt>Element</dt>
          <dd>{instance.element?.name ?? instance.element?.key}</dd>
          <dt>Created</dt>
          <dd>
            <time dateTime={instance.createdDate}>{formatDate(instance.createdDate)}</time>
          </dd>
          <dt>Tags</dt>
          <dd>
            {instance.tags.length === 0 ? <span className="meta">none</span> : null}
            {instance.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </dd>
          <dt>Events</dt>
          <dd>{instance.eventsEnabled ? 'On' : 'Off'}</dd>
          <dt>Token</dt>
          <dd>
            <code className="token">{showToken ? instance.token : '•'.repeat(16)}</code>{' '}
            <button
              type="button"
              className="button small"
              onClick={() => setShowToken(!showToken)}
              aria-pressed={showToken}
            >
              {showToken ? 'Hide token' : 'Show token'}
            </button>{' '}
            <CopyButton text={instance.token} label="Copy token" />
          </dd>
        </dl>
      </section>

      <section aria-labelledby="config-heading">
        <h2 id="config-heading">Configuration</h2>
        <table className="list config-table">
          <thead>
            <tr>
              <th scope="col">Parameter</th>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {shownKeys
              .filter((k) => k in instance.configuration)
              .map((k) => (
                <tr key={k}>
                  <td data-label="Parameter">{paramName(k)}</td>
                  <td data-label="Key">
                    <code>{k}</code>
                  </td>
                  <td data-label="Value" className="value">
                    {display(k)}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
        <details>
          <summary>Other settings ({otherKeys.length})</summary>
          <table className="list config-table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {otherKeys.map((k) => (
                <tr key={k}>
                  <td data-label="Key">
                    <code>{k}</code>
                  </td>
                  <td data-label="Value" className="value">
                    {display(k)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>
    </>
  );
}
