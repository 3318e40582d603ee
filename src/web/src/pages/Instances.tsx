// Instances (GET /instances): search by name and filter by tag. The API answers 404 when a search matches
// nothing, which is shown as "no matches", not as an error.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type ApiError, apiRequest, type Instance } from '../api.ts';
import { ErrorNotice, Field, Loading } from '../components/ui.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import { useSignedIn } from '../session.tsx';

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function StateBadges({ instance }: { instance: Pick<Instance, 'valid' | 'disabled'> }) {
  return (
    <span className="badges">
      <span className={`badge ${instance.valid ? 'ok' : 'bad'}`}>{instance.valid ? 'Valid' : 'Invalid'}</span>
      <span className={`badge ${instance.disabled ? 'bad' : 'ok'}`}>{instance.disabled ? 'Disabled' : 'Enabled'}</span>
    </span>
  );
}

export function Instances({ flash }: { flash?: string }) {
  const { auth } = useSignedIn();
  const { search } = useLocation();
  const searchText = search.get('search') ?? '';
  const tag = search.get('tag') ?? '';
  const [text, setText] = useState(searchText);
  const [tagChoice, setTagChoice] = useState(tag);
  const [allTags, setAllTags] = useState<string[]>([]);
  const [items, setItems] = useState<Instance[]>();
  const [noMatch, setNoMatch] = useState(false);
  const [error, setError] = useState<ApiError>();
  // The flash is shown once: drop it from the history entry so a reload does not repeat it.
  const [shownFlash] = useState(flash);
  useEffect(() => {
    if (shownFlash) history.replaceState(null, '', location.href);
  }, [shownFlash]);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const q = new URLSearchParams();
      if (searchText) q.set('searchText', searchText);
      if (tag) q.append('tags[]', tag);
      const res = await apiRequest<Instance[]>('GET', `/instances${q.size ? `?${q}` : ''}`, { auth, signal });
      setError(undefined);
      setNoMatch(false);
      if (res.ok) {
        setItems(res.data);
        if (!searchText && !tag) setAllTags([...new Set(res.data.flatMap((i) => i.tags))].sort());
      } else if (res.status === 404 && (searchText || tag)) {
        setItems([]);
        setNoMatch(true);
      } else setError(res.error);
    },
    [auth, searchText, tag],
  );

  useEffect(() => {
    setText(searchText);
    setTagChoice(tag);
    const ctl = new AbortController();
    load(ctl.signal).catch(() => undefined);
    return () => ctl.abort();
  }, [load, searchText, tag]);

  // Tag choices come from the unfiltered list.
  useEffect(() => {
    if (!searchText && !tag) return;
    apiRequest<Instance[]>('GET', '/instances', { auth })
      .then((res) => res.ok && setAllTags([...new Set(res.data.flatMap((i) => i.tags))].sort()))
      .catch(() => undefined);
  }, [auth, searchText, tag]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (text.trim()) q.set('search', text.trim());
    if (tagChoice) q.set('tag', tagChoice);
    navigate(`/instances${q.size ? `?${q}` : ''}`);
  };
  const filtering = Boolean(searchText || tag);

  return (
    <>
      <div className="page-title">
        <h1 tabIndex={-1}>Instances</h1>
        <Link to="/elements/connectwisecrmrest/authenticate" className="button primary">
          Authenticate an instance
        </Link>
      </div>
      {shownFlash ? (
        <p className="notice notice-success" role="status">
          {shownFlash}
        </p>
      ) : null}
      <form className="filters" aria-label="Search instances" onSubmit={submit}>
        <Field id="instance-search" label="Search by name">
          {(aria) => <input {...aria} type="search" value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <Field id="instance-tag" label="Tag">
          {(aria) => (
            <select {...aria} value={tagChoice} onChange={(e) => setTagChoice(e.target.value)}>
              <option value="">All tags</option>
              {[...new Set([...allTags, ...(tag ? [tag] : [])])].map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="button">
            Search
          </button>
          {filtering ? (
            <button type="button" className="button" onClick={() => navigate('/instances')}>
              Clear
            </button>
          ) : null}
        </div>
      </form>
      {error ? <ErrorNotice error={error} title="Could not load instances." /> : null}
      {!items && !error ? <Loading what="instances" /> : null}
      {noMatch ? (
        <p className="notice notice-info" role="status">
          No matches: no instance {searchText ? <>has “{searchText}” in its name</> : null}
          {searchText && tag ? ' and ' : null}
          {tag ? <>is tagged “{tag}”</> : null}.
        </p>
      ) : null}
      {items && items.length === 0 && !noMatch ? (
        <p className="notice notice-info">
          No instances yet. <Link to="/elements/connectwisecrmrest/authenticate">Authenticate one</Link> to get started.
        </p>
      ) : null}
      {items && items.length > 0 ? (
        <table className="list">
          <caption className="visually-hidden">
            {items.length} instance{items.length === 1 ? '' : 's'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Tags</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">Events</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id}>
                <td data-label="Name">
                  <Link to={`/instances/${i.id}`}>{i.name}</Link>
                  <span className="meta"> #{i.id}</span>
                </td>
                <td data-label="Tags">
                  {i.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </td>
                <td data-label="Created">
                  <time dateTime={i.createdDate}>{formatDate(i.createdDate)}</time>
                </td>
                <td data-label="State">
                  <StateBadges instance={i} />
                </td>
                <td data-label="Events">{i.eventsEnabled ? 'On' : 'Off'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
