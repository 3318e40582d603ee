// Layout, sign-in gate and routes of the console.
import { useEffect, useRef } from 'react';
import { Authenticate } from './pages/Authenticate.tsx';
import { BulkPage } from './pages/Bulk.tsx';
import { Catalog } from './pages/Catalog.tsx';
import { DocsPage } from './pages/Docs.tsx';
import { EventsPage } from './pages/Events.tsx';
import { InstancePage } from './pages/Instance.tsx';
import { Instances } from './pages/Instances.tsx';
import { MappingsPage } from './pages/Mappings.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Link, matchRoute, type Route, useLocation } from './router.tsx';
import { useSession } from './session.tsx';

function Page({ route, flash }: { route: Route; flash?: string }) {
  switch (route.page) {
    case 'catalog':
      return <Catalog />;
    case 'authenticate':
      return <Authenticate elementKey={route.elementKey} />;
    case 'instances':
      return <Instances flash={flash} />;
    case 'instance':
      return <InstancePage key={route.id} id={route.id} />;
    case 'events':
      return <EventsPage key={route.id} id={route.id} />;
    case 'docs':
      return <DocsPage key={route.id} id={route.id} />;
    case 'bulk':
      return <BulkPage key={route.id} id={route.id} />;
    case 'mappings':
      return <MappingsPage key={route.id} id={route.id} />;
    default:
      return (
        <>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            <Link to="/">Go to the element catalog</Link>
          </p>
        </>
      );
  }
}

export function App() {
  const { secrets, signOut } = useSession();
  const { path, flash } = useLocation();
  const route = matchRoute(path);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After a client-side navigation, move focus to the new page's heading (screen readers announce it).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation and sign-in only
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    requestAnimationFrame(() => main.current?.querySelector<HTMLElement>('h1')?.focus());
  }, [path, secrets]);

  const section =
    route.page === 'catalog' || route.page === 'authenticate'
      ? 'catalog'
      : route.page === 'notFound'
        ? ''
        : 'instances';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Conduit
        </Link>
        {secrets ? (
          <>
            <nav aria-label="Main">
              <Link to="/" className="nav-link" aria-current={section === 'catalog' ? 'page' : undefined}>
                Elements
              </Link>
              <Link to="/instances" className="nav-link" aria-current={section === 'instances' ? 'page' : undefined}>
                Instances
              </Link>
            </nav>
            <button type="button" className="button small signout" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : null}
      </header>
      <main id="main" ref={main}>
        {secrets ? <Page route={route} flash={flash} /> : <SignIn />}
      </main>
    </>
  );
}
