// Sign in with the organization and user secrets; they are checked with one API call before being kept.
import { type FormEvent, useState } from 'react';
import { apiRequest, platformAuth } from '../api.ts';
import { ErrorNotice, Field, Spinner } from '../components/ui.tsx';
import { useSession } from '../session.tsx';

export function SignIn({ notice }: { notice?: string }) {
  const { signIn } = useSession();
  const [organizationSecret, setOrg] = useState('');
  const [userSecret, setUser] = useState('');
  const [errors, setErrors] = useState<{ org?: string; user?: string }>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const next = {
      org: organizationSecret.trim() ? undefined : 'Enter the organization secret',
      user: userSecret.trim() ? undefined : 'Enter the user secret',
    };
    setErrors(next);
    setFailure(undefined);
    if (next.org || next.user) return;
    setBusy(true);
    const secrets = { organizationSecret: organizationSecret.trim(), userSecret: userSecret.trim() };
    const res = await apiRequest<{ count: number }>('GET', '/instances/count', { auth: platformAuth(secrets) });
    setBusy(false);
    if (res.ok) {
      signIn(secrets);
      return;
    }
    setFailure(
      res.status === 401
        ? 'These secrets were not accepted: check the organization secret and the user secret (both are shown once when the organization is created).'
        : res.error.message,
    );
  };

  return (
    <div className="signin">
      <h1 tabIndex={-1}>Sign in to Conduit</h1>
      <p>
        Use your organization secret and user secret. They stay in this browser tab only and are forgotten when you
        close it or sign out.
      </p>
      {notice ? <p className="notice notice-info">{notice}</p> : null}
      {failure ? <ErrorNotice error={failure} title="Sign-in failed." /> : null}
      <form onSubmit={submit} noValidate>
        <Field id="org-secret" label="Organization secret" required error={errors.org}>
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={organizationSecret}
              onChange={(e) => setOrg(e.target.value)}
            />
          )}
        </Field>
        <Field id="user-secret" label="User secret" required error={errors.user}>
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={userSecret}
              onChange={(e) => setUser(e.target.value)}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            Sign in
          </button>
          {busy ? <Spinner label="Checking…" /> : null}
        </div>
      </form>
      <details className="help">
        <summary>Where do I find these secrets?</summary>
        <p>
          <code>conduit serve</code> prints them the first time it starts with an empty store. Create more with{' '}
          <code>npx conduit org create --name &lt;name&gt;</code> or{' '}
          <code>npx conduit user create --org &lt;id&gt;</code>.
        </p>
      </details>
    </div>
  );
}
