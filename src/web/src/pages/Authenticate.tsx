// "Authenticate": create an element instance from a form generated from the element's configuration rows.
// Checked in the browser first; the server then verifies the credentials with ConnectWise (spinner), and its
// error is shown next to the field it names.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import {
  type ApiError,
  apiRequest,
  type ConfigParameter,
  type ElementSummary,
  type Instance,
  type SandboxInfo,
} from '../api.ts';
import { ConfigFields } from '../components/ConfigFields.tsx';
import { ElementLogo } from '../components/ElementLogo.tsx';
import { CopyButton, ErrorNotice, Field, Loading, Spinner } from '../components/ui.tsx';
import {
  configurationBody,
  type FieldErrors,
  type FormState,
  fieldForServerError,
  fieldId,
  initialValues,
  parseTags,
  validateForm,
} from '../configForm.ts';
import { Link } from '../router.tsx';
import { useSignedIn } from '../session.tsx';

function focusFirstError(errors: FieldErrors) {
  const first = Object.keys(errors)[0];
  if (!first) return;
  requestAnimationFrame(() => {
    const el = document.getElementById(first === 'name' || first === 'tags' ? `instance-${first}` : fieldId(first));
    el?.focus();
  });
}

export function Authenticate({ elementKey }: { elementKey: string }) {
  const { auth } = useSignedIn();
  const [element, setElement] = useState<ElementSummary>();
  const [rows, setRows] = useState<ConfigParameter[]>();
  const [loadError, setLoadError] = useState<ApiError>();
  const [sandbox, setSandbox] = useState<SandboxInfo>();
  const [form, setForm] = useState<FormState>({ url: { mode: 'region', host: '' }, values: {}, name: '', tags: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Instance>();
  const resultHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const ctl = new AbortController();
    const key = encodeURIComponent(elementKey);
    Promise.all([
      apiRequest<ElementSummary>('GET', `/elements/${key}`, { auth, signal: ctl.signal }),
      apiRequest<ConfigParameter[]>('GET', `/elements/${key}/configuration`, { auth, signal: ctl.signal }),
      apiRequest<SandboxInfo>('GET', '/sandbox', { auth, signal: ctl.signal }),
    ])
      .then(([el, config, sb]) => {
        if (!el.ok) return setLoadError(el.error);
        if (!config.ok) return setLoadError(config.error);
        setElement(el.data);
        setRows(config.data);
        const firstRegion = config.data.find((r) => r.key === 'baseUrl')?.allowedHosts?.[0] ?? '';
        setForm({ url: { mode: 'region', host: firstRegion }, values: initialValues(config.data), name: '', tags: '' });
        if (sb.ok) setSandbox(sb.data);
      })
      .catch(() => undefined);
    return () => ctl.abort();
  }, [auth, elementKey]);

  useEffect(() => {
    if (created) resultHeading.current?.focus();
  }, [created]);

  if (loadError) return <ErrorNotice error={loadError} title={`Could not load ${elementKey}.`} />;
  if (!rows || !element) return <Loading what="the form" />;

  const fillSandbox = () => {
    if (!sandbox) return;
    setErrors({});
    setServerError(undefined);
    setForm({
      ...form,
      url: { mode: 'url', url: sandbox.apiBase },
      values: {
        ...form.values,
        company: sandbox.company,
        'public.key': sandbox.publicKey,
        'private.key': sandbox.privateKey,
        'connectwise.clientid': sandbox.clientId,
      },
      name: form.name || 'ConnectWise sandbox',
      tags: form.tags || 'sandbox',
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setServerError(undefined);
    const found = validateForm(rows, form, { requireName: true });
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirstError(found);
    setBusy(true);
    const res = await apiRequest<Instance>('POST', '/instances', {
      auth,
      body: {
        element: { key: element.key },
        configuration: configurationBody(rows, form),
        name: form.name.trim(),
        tags: parseTags(form.tags),
      },
    });
    setBusy(false);
    if (res.ok) {
      setCreated(res.data);
      return;
    }
    setServerError(res.error);
    const field = fieldForServerError(rows, res.error.field);
    if (field) {
      const fieldErrors = { [field]: res.error.message };
      setErrors(fieldErrors);
      focusFirstError(fieldErrors);
    }
  };

  if (created) {
    return (
      <section className="created" aria-labelledby="created-heading">
        <h1 id="created-heading" tabIndex={-1} ref={resultHeading}>
          Instance “{created.name}” is ready
        </h1>
        <p className="notice notice-success">
          ConnectWise accepted the credentials. Save the id and token for future requests.
        </p>
        <dl className="facts">
          <dt>Instance id</dt>
          <dd>
            <code data-testid="created-id">{created.id}</code> <CopyButton text={String(created.id)} label="Copy id" />
          </dd>
          <dt>Instance token</dt>
          <dd>
            <code className="token" data-testid="created-token">
              {created.token}
            </code>{' '}
            <CopyButton text={created.token} label="Copy token" />
          </dd>
        </dl>
        <p className="notice notice-warning">
          The token is a credential: anyone with it and a user secret can read and change this ConnectWise data. Keep it
          out of source code and logs; delete the instance to revoke it.
        </p>
        <p>
          Use it as <code>Authorization: User &lt;user secret&gt;, Element &lt;token&gt;</code> on{' '}
          <code>/elements/api-v2/hubs/{created.element?.key === 'connectwisecrmrest' ? 'crm' : '…'}/…</code>.
        </p>
        <h2>Next steps</h2>
        <ol className="next-steps">
          <li>
            <Link to={`/instances/${created.id}/docs`} className="button primary">
              Try the API
            </Link>{' '}
            Browse the instance's API docs and send requests with its token pre-filled.
          </li>
          <li>
            <strong>Map to a virtual data resource</strong> — not available yet in Conduit: common resources and field
            mappings will appear here when the transformations capability ships.
          </li>
          <li>
            <strong>Use in a formula</strong> — not available yet in Conduit: formulas are not part of this server.
          </li>
        </ol>
        <p>
          <Link to={`/instances/${created.id}`}>Open the instance</Link> · <Link to="/instances">All instances</Link>
        </p>
      </section>
    );
  }

  return (
    <>
      <div className="page-head">
        <ElementLogo name={element.name} />
        <div>
          <h1 tabIndex={-1}>Authenticate {element.name}</h1>
          <p>
            Connect your ConnectWise Manage account. Conduit checks the credentials with ConnectWise before saving them.
          </p>
        </div>
      </div>
      {sandbox ? (
        <div className="notice notice-info sandbox-callout">
          <p>
            This server runs a ConnectWise sandbox (a simulator with sample data). Try Conduit without a ConnectWise
            account:
          </p>
          <button type="button" className="button" onClick={fillSandbox}>
            Fill in the sandbox
          </button>
        </div>
      ) : null}
      {serverError ? (
        <ErrorNotice
          error={serverError}
          title={
            fieldForServerError(rows, serverError.field)
              ? 'Authentication failed (see the highlighted field):'
              : 'Authentication failed:'
          }
        />
      ) : null}
      {Object.keys(errors).length > 0 && !serverError ? (
        <p className="notice notice-error" role="alert">
          Check the highlighted fields.
        </p>
      ) : null}
      <form onSubmit={submit} noValidate aria-busy={busy} className="config-form">
        <ConfigFields rows={rows} form={form} onChange={setForm} errors={errors} />
        <fieldset className="group">
          <legend>Instance</legend>
          <Field
            id="instance-name"
            label="Instance name"
            required
            error={errors.name}
            hint="How this connection is listed, e.g. “Acme ConnectWise”."
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                autoComplete="off"
                value={form.name}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            )}
          </Field>
          <Field
            id="instance-tags"
            label="Tags"
            error={errors.tags}
            hint="Comma-separated, e.g. production, acme. Used to filter instances."
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                autoComplete="off"
                value={form.tags}
                onChange={(e) => setForm({ ...form, tags: e.target.value })}
              />
            )}
          </Field>
        </fieldset>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create instance
          </button>
          {busy ? <Spinner label="Checking the credentials with ConnectWise…" /> : null}
        </div>
      </form>
    </>
  );
}
