// Secrets live in sessionStorage only: they vanish with the tab, never touch localStorage or cookies.
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { platformAuth, type Secrets } from './api.ts';

const KEY = 'conduit.console.secrets';

function readStored(): Secrets | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<Secrets>;
    if (typeof parsed.userSecret === 'string' && typeof parsed.organizationSecret === 'string') {
      return { userSecret: parsed.userSecret, organizationSecret: parsed.organizationSecret };
    }
  } catch {
    /* unreadable: signed out */
  }
  return undefined;
}

interface SessionValue {
  secrets: Secrets | undefined;
  /** `User …, Organization …` for platform calls. */
  auth: string;
  signIn(s: Secrets): void;
  signOut(): void;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [secrets, setSecrets] = useState<Secrets | undefined>(readStored);
  const signIn = useCallback((s: Secrets) => {
    sessionStorage.setItem(KEY, JSON.stringify(s));
    setSecrets(s);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY);
    setSecrets(undefined);
  }, []);
  const value = useMemo(
    () => ({ secrets, auth: secrets ? platformAuth(secrets) : '', signIn, signOut }),
    [secrets, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The session of a signed-in page (pages under the sign-in gate). */
export function useSignedIn(): SessionValue & { secrets: Secrets } {
  const s = useSession();
  if (!s.secrets) throw new Error('useSignedIn while signed out');
  return s as SessionValue & { secrets: Secrets };
}
