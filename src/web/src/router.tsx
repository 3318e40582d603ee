// A small history router: real URLs (the server falls back to index.html), real <a href> links.
import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

const CHANGE = 'conduit:navigate';

/** `flash`: a one-line message the next page shows (e.g. "Deleted …"). */
export function navigate(to: string, options: { replace?: boolean; flash?: string } = {}): void {
  const state = options.flash ? { flash: options.flash } : null;
  if (options.replace) history.replaceState(state, '', to);
  else history.pushState(state, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

interface Location {
  path: string;
  search: URLSearchParams;
  flash?: string;
}

function readLocation(): Location {
  const state = history.state as { flash?: unknown } | null;
  return {
    path: location.pathname,
    search: new URLSearchParams(location.search),
    flash: typeof state?.flash === 'string' ? state.flash : undefined,
  };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(readLocation);
  useEffect(() => {
    const update = () => setLoc(readLocation());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return loc;
}

export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

export type Route =
  | { page: 'catalog' }
  | { page: 'authenticate'; elementKey: string }
  | { page: 'instances' }
  | { page: 'instance'; id: number }
  | { page: 'events'; id: number }
  | { page: 'docs'; id: number }
  | { page: 'bulk'; id: number }
  | { page: 'mappings'; id: number }
  | { page: 'notFound' };

export function matchRoute(path: string): Route {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/elements') return { page: 'catalog' };
  if (p === '/instances') return { page: 'instances' };
  let m = /^\/elements\/([^/]+)\/authenticate$/.exec(p);
  if (m?.[1]) return { page: 'authenticate', elementKey: decodeURIComponent(m[1]) };
  m = /^\/instances\/(\d+)(?:\/(events|docs|bulk|mappings))?$/.exec(p);
  if (m?.[1]) {
    const id = Number(m[1]);
    if (m[2] === 'events') return { page: 'events', id };
    if (m[2] === 'docs') return { page: 'docs', id };
    if (m[2] === 'bulk') return { page: 'bulk', id };
    if (m[2] === 'mappings') return { page: 'mappings', id };
    return { page: 'instance', id };
  }
  return { page: 'notFound' };
}
