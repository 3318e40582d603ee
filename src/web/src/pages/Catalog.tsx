// The element catalog (GET /elements): what can be connected, with an Authenticate action per element.
import { useEffect, useState } from 'react';
import { type ApiError, apiRequest, type ElementSummary } from '../api.ts';
import { ElementLogo } from '../components/ElementLogo.tsx';
import { ErrorNotice, Loading } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useSignedIn } from '../session.tsx';

export function Catalog() {
  const { auth } = useSignedIn();
  const [elements, setElements] = useState<ElementSummary[]>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    const ctl = new AbortController();
    apiRequest<ElementSummary[]>('GET', '/elements', { auth, signal: ctl.signal })
      .then((res) => (res.ok ? setElements(res.data) : setError(res.error)))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [auth]);
  return (
    <>
      <h1 tabIndex={-1}>Elements</h1>
      <p>Connect an account to create an element instance, then use its token with the hub API.</p>
      {error ? <ErrorNotice error={error} title="Could not load the catalog." /> : null}
      {!elements && !error ? <Loading what="elements" /> : null}
      <ul className="cards">
        {(elements ?? []).map((el) => (
          <li key={el.key} className="card element-card">
            <ElementLogo name={el.name} />
            <div>
              <h2>{el.name}</h2>
              <p className="meta">
                <code>{el.key}</code>
                {el.hub ? <> · hub {el.hub}</> : null}
              </p>
              {el.description ? <p>{el.description}</p> : null}
              <Link to={`/elements/${encodeURIComponent(el.key)}/authenticate`} className="button primary">
                Authenticate {el.name}
              </Link>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
