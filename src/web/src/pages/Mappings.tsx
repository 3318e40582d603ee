// Mappings of one instance (docs/transformations.md): pick or create a definition (common model), map its fields
// onto a ConnectWise object by clicking fields in a tree of the first live vendor record, edit the script, and see
// the preview (POST …/preview with the unsaved transformation) update as anything changes. Hub calls carry
// `User <secret>, Element <instance token>`, the token read from GET /instances/{id} as on the Bulk page.
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import {
  type ApiError,
  apiRequest,
  type DefinitionField,
  type DefinitionMap,
  elementAuth,
  type Instance,
  mappingEndpoints,
  type PreviewResponse,
  type TransformationBody,
  type TransformationField,
} from '../api.ts';
import { ErrorNotice, Field, Loading, Notice } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useSignedIn } from '../session.tsx';
import { BULK_OBJECTS } from './Bulk.tsx';
import { InstanceNav } from './Instance.tsx';

const NEW = '__new';
const FIELD_TYPES = ['string', 'number', 'boolean', 'date', 'object', 'array'] as const;
// Until GET /hubs/crm/objects answers (the element's own list).
const VENDOR_OBJECTS: string[] = [...BULK_OBJECTS];
const PREVIEW_DEBOUNCE_MS = 300;
// Keys that say which kind an array item is: the tree offers a filter on them instead of an index.
const TYPE_KEY = /(^type$|Type$|^kind$)/;

type Level = 'instance' | 'organization';
type ConfigKind = '' | 'remove' | 'passThrough' | 'transformDate';
interface Row {
  path: string;
  type: string;
  vendorPath: string;
  config: ConfigKind;
  pattern: string;
}

function configOf(f: TransformationField | undefined): { config: ConfigKind; pattern: string } {
  const c = f?.configuration?.find((e) => ['remove', 'passThrough', 'transformDate'].includes(e.type));
  const pattern = c?.type === 'transformDate' ? String(c.properties?.pattern ?? '') : '';
  return { config: (c?.type as ConfigKind | undefined) ?? '', pattern };
}

function toBody(vendorName: string, rows: Row[], script: string, level: Level): TransformationBody {
  const fields: TransformationField[] = [];
  for (const r of rows) {
    if (!r.vendorPath.trim() && r.config !== 'remove') continue;
    const f: TransformationField = { path: r.path, type: r.type };
    if (r.vendorPath.trim()) f.vendorPath = r.vendorPath.trim();
    if (r.config === 'remove') f.configuration = [{ type: 'remove' }];
    if (r.config === 'passThrough')
      f.configuration = [{ type: 'passThrough', properties: { fromVendor: true, toVendor: true } }];
    if (r.config === 'transformDate')
      f.configuration = [{ type: 'transformDate', properties: { pattern: r.pattern || 'yyyy-MM-dd' } }];
    fields.push(f);
  }
  return { level, vendorName, fields, ...(script.trim() ? { script: { body: script } } : {}) };
}

/** The field an API error names, as a key of the page: `fields[2].vendorPath` → row 2 of the mapped rows. */
function errorKey(field: string | undefined, body: TransformationBody, rows: Row[]): string | undefined {
  if (!field) return undefined;
  if (field.startsWith('script')) return 'script';
  if (field === 'vendorName') return 'vendorName';
  const m = /^fields\[(\d+)\]/.exec(field);
  const path = m ? body.fields[Number(m[1])]?.path : undefined;
  const i = path === undefined ? -1 : rows.findIndex((r) => r.path === path);
  return i >= 0 ? `row-${i}` : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function VendorTree({ value, prefix, onPick }: { value: unknown; prefix: string; onPick: (path: string) => void }) {
  if (Array.isArray(value)) {
    return (
      <ul className="tree">
        {value.slice(0, 5).map((item, i) => {
          const path = `${prefix}[${i}]`;
          const typeKey = isObject(item)
            ? Object.keys(item).find((k) => TYPE_KEY.test(k) && typeof item[k] === 'string')
            : undefined;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: array positions are the identity here
            <li key={i}>
              <span className="tree-key">[{i}]</span>
              {isObject(item) ? (
                <ObjectTree
                  value={item}
                  prefix={path}
                  onPick={onPick}
                  filter={
                    typeKey ? `${prefix}[?(@.${typeKey}=='${String(item[typeKey]).replace(/'/g, "\\'")}')]` : undefined
                  }
                />
              ) : (
                <Leaf path={path} value={item} onPick={onPick} />
              )}
            </li>
          );
        })}
      </ul>
    );
  }
  return <ObjectTree value={value as Record<string, unknown>} prefix={prefix} onPick={onPick} />;
}

function ObjectTree({
  value,
  prefix,
  onPick,
  filter,
}: {
  value: Record<string, unknown>;
  prefix: string;
  onPick: (path: string) => void;
  filter?: string;
}) {
  return (
    <ul className="tree">
      {Object.entries(value).map(([k, v]) => {
        const path = prefix ? `${prefix}.${k}` : k;
        return (
          <li key={k}>
            {isObject(v) || Array.isArray(v) ? (
              <>
                <span className="tree-key">{k}</span>
                {isObject(v) ? (
                  <ObjectTree value={v} prefix={path} onPick={onPick} />
                ) : (
                  <VendorTree value={v} prefix={path} onPick={onPick} />
                )}
              </>
            ) : (
              <>
                <Leaf path={path} label={k} value={v} onPick={onPick} />
                {filter ? (
                  <button
                    type="button"
                    className="button small tree-filter"
                    aria-label={`Map ${filter}.${k}`}
                    title={`${filter}.${k}`}
                    onClick={() => onPick(`${filter}.${k}`)}
                  >
                    where {/\[\?\(@\.(.*)\)\]$/.exec(filter)?.[1]}
                  </button>
                ) : null}
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}

// A vendor field: clicking it sets the selected field's vendorPath to its path.
function Leaf({
  path,
  label,
  value,
  onPick,
}: {
  path: string;
  label?: string;
  value: unknown;
  onPick: (p: string) => void;
}) {
  return (
    <button type="button" className="tree-leaf" aria-label={`Map ${path}`} title={path} onClick={() => onPick(path)}>
      <span className="tree-key">{label ?? path.replace(/^.*(\[\d+\])$/, '$1')}</span>{' '}
      <span className="tree-value">{JSON.stringify(value)}</span>
    </button>
  );
}

export function MappingsPage({ id }: { id: number }) {
  const { auth, secrets } = useSignedIn();
  const [instance, setInstance] = useState<Instance>();
  const [loadError, setLoadError] = useState<ApiError>();
  const [orgDefs, setOrgDefs] = useState<DefinitionMap>({});
  const [instDefs, setInstDefs] = useState<DefinitionMap>({});
  const [selected, setSelected] = useState('');
  const [message, setMessage] = useState<string>();
  const [actionError, setActionError] = useState<ApiError>();

  // "New definition" form.
  const [newName, setNewName] = useState('');
  const [newLevel, setNewLevel] = useState<Level>('instance');
  const [newFields, setNewFields] = useState<DefinitionField[]>([{ path: '', type: 'string' }]);
  const [newErrors, setNewErrors] = useState<Record<string, string>>({});

  // The transformation being edited.
  const [level, setLevel] = useState<Level>('instance');
  const [vendorName, setVendorName] = useState('contacts');
  const [rows, setRows] = useState<Row[]>([]);
  const [script, setScript] = useState('');
  const [target, setTarget] = useState(0);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  const [vendorObjects, setVendorObjects] = useState(VENDOR_OBJECTS);
  const [record, setRecord] = useState<Record<string, unknown>>();
  const [recordError, setRecordError] = useState<ApiError>();
  const [preview, setPreview] = useState<PreviewResponse>();
  const [previewError, setPreviewError] = useState<ApiError>();

  const definitions = useMemo(() => ({ ...orgDefs, ...instDefs }), [orgDefs, instDefs]);

  useEffect(() => {
    const ctl = new AbortController();
    const opts = { auth, signal: ctl.signal };
    apiRequest<Instance>('GET', `/instances/${id}`, opts)
      .then((res) => (res.ok ? setInstance(res.data) : setLoadError(res.error)))
      .catch(() => undefined);
    apiRequest<DefinitionMap>('GET', mappingEndpoints.orgDefinitions, opts)
      .then((res) => res.ok && setOrgDefs(res.data))
      .catch(() => undefined);
    apiRequest<DefinitionMap>('GET', mappingEndpoints.instanceDefinitions(id), opts)
      .then((res) => res.ok && setInstDefs(res.data))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [auth, id]);

  // Opening a definition loads the transformation of that name (instance level first, then organization).
  useEffect(() => {
    if (!selected || selected === NEW) return;
    const def = definitions[selected];
    if (!def) return;
    const ctl = new AbortController();
    (async () => {
      let saved: TransformationBody | undefined;
      let savedLevel: Level = 'instance';
      const inst = await apiRequest<TransformationBody>(
        'GET',
        mappingEndpoints.transformation('instance', id, selected),
        {
          auth,
          signal: ctl.signal,
        },
      );
      if (inst.ok) saved = inst.data;
      else {
        const org = await apiRequest<TransformationBody>(
          'GET',
          mappingEndpoints.transformation('organization', id, selected),
          { auth, signal: ctl.signal },
        );
        if (org.ok) {
          saved = org.data;
          savedLevel = 'organization';
        }
      }
      setLevel(savedLevel);
      if (saved?.vendorName) setVendorName(saved.vendorName);
      setScript(saved?.script?.body ?? '');
      setRows(
        def.fields.map((f) => {
          const t = saved?.fields.find((x) => x.path === f.path);
          return { path: f.path, type: f.type, vendorPath: t?.vendorPath ?? '', ...configOf(t) };
        }),
      );
      setTarget(0);
      setFieldErrors({});
    })().catch(() => undefined);
    return () => ctl.abort();
  }, [auth, id, selected, definitions]);

  // The vendor objects the element has, for the picker.
  useEffect(() => {
    if (!instance) return;
    const ctl = new AbortController();
    apiRequest<unknown>('GET', mappingEndpoints.vendorObjects, {
      auth: elementAuth(secrets, instance.token),
      signal: ctl.signal,
    })
      .then((res) => {
        if (res.ok && Array.isArray(res.data) && res.data.every((o) => typeof o === 'string')) {
          setVendorObjects(res.data as string[]);
        }
      })
      .catch(() => undefined);
    return () => ctl.abort();
  }, [instance, secrets]);

  // The first live vendor record, for the tree.
  useEffect(() => {
    if (!instance) return;
    const ctl = new AbortController();
    setRecord(undefined);
    setRecordError(undefined);
    apiRequest<unknown[]>('GET', mappingEndpoints.firstRecord(vendorName), {
      auth: elementAuth(secrets, instance.token),
      signal: ctl.signal,
    })
      .then((res) => {
        if (!res.ok) setRecordError(res.error);
        else if (Array.isArray(res.data) && isObject(res.data[0])) setRecord(res.data[0]);
        else setRecordError({ status: 200, message: `There is no ${vendorName} record to show yet.` });
      })
      .catch(() => undefined);
    return () => ctl.abort();
  }, [instance, secrets, vendorName]);

  const editing = selected && selected !== NEW && rows.length > 0 ? selected : undefined;
  const body = useMemo(() => toBody(vendorName, rows, script, level), [vendorName, rows, script, level]);

  // Preview as you type: debounced, the previous call aborted.
  useEffect(() => {
    if (!editing) return;
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      apiRequest<PreviewResponse>('POST', mappingEndpoints.preview(id, editing), {
        auth,
        body: { count: 3, transformation: { ...body, level: 'instance' } },
        signal: ctl.signal,
      })
        .then((res) => {
          if (res.ok) {
            setPreview(res.data);
            setPreviewError(undefined);
            setFieldErrors({});
          } else {
            // No stale results next to an error: they would not be what this edit maps.
            setPreview(undefined);
            setPreviewError(res.error);
            const key = errorKey(res.error.field, body, rows);
            setFieldErrors(key ? { [key]: res.error.message } : {});
          }
        })
        .catch(() => undefined);
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [auth, id, editing, body, rows]);

  const setRow = (i: number, patch: Partial<Row>) =>
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const pick = (path: string) => {
    if (!rows[target]) return;
    setRow(target, { vendorPath: path });
    setMessage(`${rows[target].path} ← ${path}`);
  };

  const createDefinition = async (e: FormEvent) => {
    e.preventDefault();
    const errors: Record<string, string> = {};
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(newName)) errors.name = 'A letter, then letters, digits or _.';
    const fields = newFields.filter((f) => f.path.trim());
    if (fields.length === 0) errors['field-0'] = 'Give at least one field a path.';
    setNewErrors(errors);
    if (Object.keys(errors).length) return;
    const res = await apiRequest<unknown>('POST', mappingEndpoints.definition(newLevel, id, newName), {
      auth,
      body: { fields: fields.map((f) => ({ path: f.path.trim(), type: f.type })) },
    });
    if (!res.ok) {
      const m = /fields\[(\d+)\]/.exec(res.error.field ?? '');
      setNewErrors({ [m ? `field-${m[1]}` : 'name']: res.error.message });
      return;
    }
    const def = { level: newLevel, fields };
    if (newLevel === 'instance') setInstDefs((d) => ({ ...d, [newName]: def }));
    else setOrgDefs((d) => ({ ...d, [newName]: def }));
    setSelected(newName);
    setMessage(`Created definition ${newName}`);
  };

  const save = async () => {
    if (!editing) return;
    setSaving(true);
    setActionError(undefined);
    setMessage(undefined);
    const res = await apiRequest<unknown>('PUT', mappingEndpoints.transformation(level, id, editing), {
      auth,
      body,
    });
    setSaving(false);
    if (res.ok) {
      setFieldErrors({});
      setMessage(`Saved transformation ${editing} (${level} level)`);
    } else {
      const key = errorKey(res.error.field, body, rows);
      if (key) setFieldErrors({ [key]: res.error.message });
      else setActionError(res.error);
    }
  };

  if (loadError) {
    return (
      <>
        <h1 tabIndex={-1}>Mappings</h1>
        <ErrorNotice error={loadError} title="Could not load this instance." />
        <Link to="/instances">Back to instances</Link>
      </>
    );
  }

  const scriptError = fieldErrors.script ?? preview?.results.find((r) => r.error?.line)?.error?.message ?? undefined;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/instances">Instances</Link> / <Link to={`/instances/${id}`}>{instance?.name ?? `#${id}`}</Link> /
        Mappings
      </p>
      <h1 tabIndex={-1}>Mappings{instance ? ` — ${instance.name}` : ''}</h1>
      <InstanceNav id={id} current="mappings" />
      <p className="meta">
        Map a model of your own onto a ConnectWise object (see docs/transformations.md). Pick a field, then click a
        vendor field in the record tree to set its vendorPath; the preview follows every change.
      </p>
      {!instance ? <Loading what="the instance" /> : null}
      {message ? <Notice kind="success">{message}</Notice> : null}
      {actionError ? <ErrorNotice error={actionError} title="That did not work:" /> : null}

      <div className="card mappings-pick">
        <Field id="mapping-definition" label="Definition">
          {(aria) => (
            <select {...aria} value={selected} onChange={(e) => setSelected(e.target.value)}>
              <option value="">Choose…</option>
              {Object.entries(definitions).map(([name, d]) => (
                <option key={name} value={name}>
                  {name} ({d.level})
                </option>
              ))}
              <option value={NEW}>New definition…</option>
            </select>
          )}
        </Field>
      </div>

      {selected === NEW ? (
        <form className="card" onSubmit={createDefinition} noValidate aria-labelledby="new-def-heading">
          <h2 id="new-def-heading">New definition</h2>
          <Field id="new-def-name" label="Definition name" required error={newErrors.name}>
            {(aria) => <input {...aria} value={newName} onChange={(e) => setNewName(e.target.value)} />}
          </Field>
          <Field id="new-def-level" label="Definition level">
            {(aria) => (
              <select {...aria} value={newLevel} onChange={(e) => setNewLevel(e.target.value as Level)}>
                <option value="instance">instance</option>
                <option value="organization">organization</option>
              </select>
            )}
          </Field>
          {newFields.map((f, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
            <div className="mapping-new-field" key={i}>
              <Field id={`new-field-path-${i}`} label={`Field ${i + 1} path`} error={newErrors[`field-${i}`]}>
                {(aria) => (
                  <input
                    {...aria}
                    value={f.path}
                    onChange={(e) =>
                      setNewFields(newFields.map((x, j) => (j === i ? { ...x, path: e.target.value } : x)))
                    }
                  />
                )}
              </Field>
              <Field id={`new-field-type-${i}`} label={`Field ${i + 1} type`}>
                {(aria) => (
                  <select
                    {...aria}
                    value={f.type}
                    onChange={(e) =>
                      setNewFields(newFields.map((x, j) => (j === i ? { ...x, type: e.target.value } : x)))
                    }
                  >
                    {FIELD_TYPES.map((t) => (
                      <option key={t}>{t}</option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
          ))}
          <p>
            <button
              type="button"
              className="button small"
              onClick={() => setNewFields([...newFields, { path: '', type: 'string' }])}
            >
              Add field
            </button>{' '}
            <button type="submit" className="button primary">
              Create definition
            </button>
          </p>
        </form>
      ) : null}

      {editing && instance ? (
        <>
          <div className="card mappings-settings">
            <Field id="mapping-level" label="Save transformation at">
              {(aria) => (
                <select {...aria} value={level} onChange={(e) => setLevel(e.target.value as Level)}>
                  <option value="instance">instance</option>
                  <option value="organization">organization</option>
                </select>
              )}
            </Field>
            <Field id="mapping-vendor" label="Vendor object" error={fieldErrors.vendorName}>
              {(aria) => (
                <select {...aria} value={vendorName} onChange={(e) => setVendorName(e.target.value)}>
                  {[...new Set([...vendorObjects, vendorName])].map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <div className="mappings-grid">
            <section className="card mappings-tree" aria-labelledby="tree-heading">
              <h2 id="tree-heading">First {vendorName} record</h2>
              {recordError ? <ErrorNotice error={recordError} /> : null}
              {record ? (
                <ObjectTree value={record} prefix="" onPick={pick} />
              ) : recordError ? null : (
                <Loading what="a record" />
              )}
            </section>

            <section className="card mappings-fields" aria-labelledby="fields-heading">
              <h2 id="fields-heading">Fields of {editing}</h2>
              <table className="list">
                <thead>
                  <tr>
                    <th>Field</th>
                    <th>vendorPath</th>
                    <th>Configuration</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => (
                    <tr key={r.path} className={i === target ? 'mapping-target' : undefined}>
                      <td>
                        <button
                          type="button"
                          className="button small"
                          aria-pressed={i === target}
                          aria-label={`Map into ${r.path}`}
                          onClick={() => setTarget(i)}
                        >
                          {r.path}
                        </button>{' '}
                        <span className="meta">{r.type}</span>
                      </td>
                      <td>
                        <Field
                          id={`vendor-path-${i}`}
                          label={`vendorPath of ${r.path}`}
                          error={fieldErrors[`row-${i}`]}
                        >
                          {(aria) => (
                            <input
                              {...aria}
                              value={r.vendorPath}
                              onFocus={() => setTarget(i)}
                              onChange={(e) => setRow(i, { vendorPath: e.target.value })}
                            />
                          )}
                        </Field>
                      </td>
                      <td>
                        <Field id={`config-${i}`} label={`Configuration of ${r.path}`}>
                          {(aria) => (
                            <select
                              {...aria}
                              value={r.config}
                              onChange={(e) => setRow(i, { config: e.target.value as ConfigKind })}
                            >
                              <option value="">none</option>
                              <option value="remove">remove</option>
                              <option value="passThrough">passThrough</option>
                              <option value="transformDate">transformDate</option>
                            </select>
                          )}
                        </Field>
                        {r.config === 'transformDate' ? (
                          <Field id={`pattern-${i}`} label={`Date pattern of ${r.path}`}>
                            {(aria) => (
                              <input
                                {...aria}
                                value={r.pattern}
                                placeholder="yyyy-MM-dd"
                                onChange={(e) => setRow(i, { pattern: e.target.value })}
                              />
                            )}
                          </Field>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Field
                id="mapping-script"
                label="Script"
                error={scriptError}
                hint="Runs on each record after the field mapping: originalObject, transformedObject, done(obj)."
              >
                {(aria) => (
                  <textarea
                    {...aria}
                    rows={8}
                    spellCheck={false}
                    className="code"
                    value={script}
                    onChange={(e) => setScript(e.target.value)}
                  />
                )}
              </Field>
              <button type="button" className="button primary" onClick={save} disabled={saving}>
                Save transformation
              </button>
            </section>

            <section className="card mappings-preview" aria-labelledby="preview-heading" aria-live="polite">
              <h2 id="preview-heading">Preview</h2>
              {previewError && !fieldErrors.script ? (
                <ErrorNotice error={previewError} title="The preview failed:" />
              ) : null}
              {fieldErrors.script ? <p className="meta">The preview resumes once the script compiles.</p> : null}
              {preview?.results.map((r, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: results come in record order
                <div key={i} className="preview-result" data-testid="preview-result">
                  {r.error ? (
                    <p className="field-error">{r.error.message}</p>
                  ) : (
                    <pre className="code">{JSON.stringify(r.common, null, 2)}</pre>
                  )}
                  {r.notes.length ? (
                    <ul className="preview-notes">
                      {r.notes.map((n) => (
                        <li key={`${n.path}:${n.note}`}>
                          <code>{n.path}</code>: {n.note}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </div>
              ))}
            </section>
          </div>
        </>
      ) : null}
    </>
  );
}
