// Sign in with the organization and user secrets; they are checked with one API call before being kept. Or sign in
// with e-mail and password: the session token fetches the secrets (GET /authentication/secrets) and is then ended,
// so the tab holds the same two secrets either way.
import { type FormEvent, useState } from 'react';
import { apiRequest, platformAuth, type Secrets } from '../api.ts';
import { ErrorNotice, Field, Spinner } from '../components/ui.tsx';
import { useSession } from '../session.tsx';

function PasswordSignIn({ onSecrets }: { onSecrets: (s: Secrets) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const next = {
      email: email.trim() ? undefined : 'Enter your e-mail',
      password: password ? undefined : 'Enter your password',
    };
    setErrors(next);
    setFailure(undefined);
    if (next.email || next.password) return;
    setBusy(true);
    const session = await apiRequest<{ token: string }>('POST', '/authentication', {
      body: { username: email.trim(), password },
    });
    if (!session.ok) {
      setBusy(false);
      setFailure(
        session.status === 401
          ? 'Wrong e-mail or password.'
          : session.status === 429
            ? `${session.error.message}.`
            : session.error.message,
      );
      return;
    }
    const bearer = `Bearer ${session.data.token}`;
    const secrets = await apiRequest<Secrets>('GET', '/authentication/secrets', { auth: bearer });
    await apiRequest('DELETE', '/authentication', { auth: bearer });
    setBusy(false);
    setPassword('');
    if (!secrets.ok) {
      setFailure(secrets.error.message);
      return;
    }
    onSecrets({ organizationSecret: secrets.data.organizationSecret, userSecret: secrets.data.userSecret });
  };

  return (
    <section className="signin-password" aria-labelledby="signin-password-title">
      <h2 id="signin-password-title">Sign in with e-mail and password</h2>
      <p>
        For users given a password with <code>npx conduit user set-password --email …</code>.
      </p>
      {failure ? <ErrorNotice error={failure} title="Sign-in failed." /> : null}
      <form onSubmit={submit} noValidate>
        <Field id="signin-email" label="E-mail" required error={errors.email}>
          {(aria) => (
            <input
              {...aria}
              type="email"
              autoComplete="username"
              spellCheck={false}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field id="signin-password" label="Password" required error={errors.password}>
          {(aria) => (
            <input
              {...aria}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            Continue with password
          </button>
          {busy ? <Spinner label="Checking…" /> : null}
        </div>
      </form>
    </section>
  );
}

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
      <PasswordSignIn onSecrets={signIn} />
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
