// Bulk jobs of one instance (docs/bulk.md): start an export, upload a file to import, watch jobs with live
// progress, download a result, cancel, and read the records an import could not write. Hub calls carry
// `User <secret>, Element <instance token>`, the token read from GET /instances/{id} as on the API docs page.
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, apiDownload, apiRequest, elementAuth, type Instance } from '../api.ts';
import { ErrorNotice, Field, Loading, Notice, Spinner } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useSignedIn } from '../session.tsx';
import { InstanceNav } from './Instance.tsx';
import { formatDate } from './Instances.tsx';

const BULK = '/hubs/crm/bulk';

/** The bulk API the page calls (src/http/routes/bulk). */
export const bulkEndpoints = {
  jobs: (pageSize: number, nextPage?: string) =>
    `${BULK}/jobs?pageSize=${pageSize}${nextPage ? `&nextPage=${encodeURIComponent(nextPage)}` : ''}`,
  query: `${BULK}/query`,
  status: (jobId: number) => `${BULK}/${jobId}/status`,
  cancel: (jobId: number) => `${BULK}/${jobId}/cancel`,
  errors: (jobId: number, pageSize: number, nextPage?: string) =>
    `${BULK}/${jobId}/errors?pageSize=${pageSize}${nextPage ? `&nextPage=${encodeURIComponent(nextPage)}` : ''}`,
  // The download route takes the object's last path segment (system/members → members).
  download: (jobId: number, objectName: string, format: Format) =>
    `${BULK}/${jobId}/${encodeURIComponent(objectName.split('/').pop() ?? objectName)}?format=${format}`,
  upload: (objectName: string) => `${BULK}/${encodeURIComponent(objectName)}`,
  count: (objectName: string, where: string) =>
    `/hubs/crm/${encodeURIComponent(objectName)}/count${where ? `?where=${encodeURIComponent(where)}` : ''}`,
};

export const BULK_OBJECTS = [
  'contacts',
  'organizations',
  'incidents',
  'opportunities',
  'configurations',
  'activities',
  'time-entries',
] as const;
const OTHER = 'other';
const REFRESH_MS = 2000;
const PAGE_SIZE = 20;
const ERRORS_PAGE_SIZE = 50;

type Format = 'jsonl' | 'csv';
const FORMAT_LABEL: Record<Format, string> = { jsonl: 'JSON Lines', csv: 'CSV' };
const FORMAT_ACCEPT: Record<Format, string> = { jsonl: 'application/x-ndjson', csv: 'text/csv' };

export interface BulkJob {
  id: number;
  status: string;
  recordsCount: number;
  recordsFailedCount: number;
  object_name: string;
  job_direction: string;
  bulk_start_time: string | null;
  bulk_finish_time: string | null;
  fileFormat: string;
  fileSize: number;
  instanceId: number;
  infoMessage: string | null;
  createdDate?: string;
  recordsTotal?: number;
}

interface RecordError {
  recordIndex: number;
  record: unknown;
  status: number;
  message: string;
  providerMessage: string | null;
}

const isActive = (job: BulkJob) => job.status === 'CREATED' || job.status === 'RUNNING';
const isExport = (job: BulkJob) => job.job_direction === 'DOWNLOAD';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

interface ExportForm {
  object: string;
  path: string;
  where: string;
  fields: string;
  from: string;
  format: Format;
}
type ExportKey = keyof ExportForm;
const EXPORT_IDS: Record<ExportKey, string> = {
  object: 'export-object',
  path: 'export-path',
  where: 'export-where',
  fields: 'export-fields',
  from: 'export-from',
  format: 'export-format',
};

interface UploadForm {
  object: string;
  file: File | undefined;
  format: '' | 'csv' | 'json' | 'jsonl';
  action: 'create' | 'update' | 'upsert';
  identifierFieldName: string;
}
type UploadKey = 'object' | 'file' | 'format' | 'action' | 'identifierFieldName';
const UPLOAD_IDS: Record<UploadKey, string> = {
  object: 'upload-object',
  file: 'upload-file',
  format: 'upload-format',
  action: 'upload-action',
  identifierFieldName: 'upload-id-field',
};

const objectOf = (form: ExportForm) =>
  form.object === OTHER ? form.path.trim().replace(/^\/+|\/+$/g, '') : form.object;

/** `select * | a, b from <object> [where <CEQL>]` (docs/bulk.md "Export"). */
export function exportQuery(form: ExportForm): string {
  const fields = form.fields
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const where = form.where.trim();
  return `select ${fields.length > 0 ? fields.join(', ') : '*'} from ${objectOf(form)}${where ? ` where ${where}` : ''}`;
}

/** The export form field a server 4xx is about (its `field`, else read from the message); undefined for none. */
export function exportFieldOf(error: ApiError, form: ExportForm): ExportKey | undefined {
  const objectField: ExportKey = form.object === OTHER ? 'path' : 'object';
  switch (error.field) {
    case 'object':
      return objectField;
    case 'where':
      return 'where';
    case 'fields':
      return 'fields';
    case 'from':
    case 'bulk.query.field_name':
      return 'from';
    case 'q':
      // The query is composed here from the form: a parse error is about the field list, the where or the object.
      if (/not a field name/.test(error.message) && form.fields.trim()) return 'fields';
      if (/"where"/.test(error.message)) return 'where';
      return objectField;
    default:
      return error.status === 404 ? objectField : undefined;
  }
}

export function uploadFieldOf(error: ApiError): UploadKey | undefined {
  switch (error.field) {
    case 'object':
      return 'object';
    case 'file':
      return 'file';
    case 'metaData.format':
      return 'format';
    case 'metaData.action':
      return 'action';
    case 'metaData.identifierFieldName':
      return 'identifierFieldName';
    default:
      if (error.status === 413 || error.status === 415) return 'file';
      return error.status === 404 ? 'object' : undefined;
  }
}

/** Focuses the first field in error, in form order. */
function focusFirst<K extends string>(order: Record<K, string>, errors: Partial<Record<K, string>>) {
  const key = (Object.keys(order) as K[]).find((k) => errors[k]);
  if (key) requestAnimationFrame(() => document.getElementById(order[key])?.focus());
}

function When({ value }: { value: string | null | undefined }) {
  return value ? <time dateTime={value}>{formatDate(value)}</time> : <span className="meta">—</span>;
}

/** Records per second: measured between refreshes while a job runs, the average over its run once ended. */
function rateOf(job: BulkJob, measured: number | undefined): number | undefined {
  if (isActive(job)) return measured;
  if (!job.bulk_start_time || !job.bulk_finish_time) return undefined;
  const seconds = (Date.parse(job.bulk_finish_time) - Date.parse(job.bulk_start_time)) / 1000;
  const done = job.recordsCount + (isExport(job) ? 0 : job.recordsFailedCount);
  return seconds > 0 ? done / seconds : undefined;
}

function Progress({ job, total, rate }: { job: BulkJob; total: number | undefined; rate: number | undefined }) {
  const done = job.recordsCount + (isExport(job) ? 0 : job.recordsFailedCount);
  const rateText = rate !== undefined && Number.isFinite(rate) ? `${Math.round(rate).toLocaleString()} records/s` : '';
  if (!isActive(job)) return <span className="meta">{rateText || '—'}</span>;
  const known = total !== undefined && total > 0;
  return (
    <span className="progress">
      <progress
        max={known ? total : undefined}
        value={known ? Math.min(done, total) : undefined}
        aria-label={`Progress of job ${job.id}`}
      />
      <span className="meta">
        {known
          ? `${done.toLocaleString()} of ${total.toLocaleString()} (${Math.floor((100 * Math.min(done, total)) / total)}%)`
          : `${done.toLocaleString()} so far`}
        {rateText ? ` · ${rateText}` : ''}
      </span>
    </span>
  );
}

export function BulkPage({ id }: { id: number }) {
  const { auth, secrets } = useSignedIn();
  const [instance, setInstance] = useState<Instance>();
  const [loadError, setLoadError] = useState<ApiError>();
  const hubAuth = instance ? elementAuth(secrets, instance.token) : '';

  const [jobs, setJobs] = useState<BulkJob[]>();
  const [jobsError, setJobsError] = useState<ApiError>();
  const [pageTokens, setPageTokens] = useState<string[]>([]); // the current page's token is the last one
  const [nextToken, setNextToken] = useState<string>();
  const [watched, setWatched] = useState<BulkJob>();
  const [live, setLive] = useState(true);
  const [refreshedAt, setRefreshedAt] = useState<Date>();
  const [rates, setRates] = useState<Record<number, number>>({});
  const samples = useRef(new Map<number, { n: number; t: number; rate?: number }>());
  // Expected record counts of exports started here (the hub's count with the same where), for progress.
  const [expected, setExpected] = useState<Record<number, number>>({});
  const [formats, setFormats] = useState<Record<number, Format>>({});

  const [message, setMessage] = useState<string>();
  const [actionError, setActionError] = useState<ApiError>();
  const [busy, setBusy] = useState<string>();

  const [exportForm, setExportForm] = useState<ExportForm>({
    object: 'contacts',
    path: '',
    where: '',
    fields: '',
    from: '',
    format: 'jsonl',
  });
  const [exportErrors, setExportErrors] = useState<Partial<Record<ExportKey, string>>>({});
  const [exportError, setExportError] = useState<ApiError>();
  const [uploadForm, setUploadForm] = useState<UploadForm>({
    object: 'contacts',
    file: undefined,
    format: '',
    action: 'create',
    identifierFieldName: '',
  });
  const [uploadErrors, setUploadErrors] = useState<Partial<Record<UploadKey, string>>>({});
  const [uploadError, setUploadError] = useState<ApiError>();
  const fileInput = useRef<HTMLInputElement>(null);

  const [errorsOf, setErrorsOf] = useState<{
    job: BulkJob;
    rows: RecordError[];
    next?: string;
    loading: boolean;
    error?: ApiError;
  }>();
  const errorsHeading = useRef<HTMLHeadingElement>(null);
  const focusErrors = useRef(false);

  useEffect(() => {
    const ctl = new AbortController();
    apiRequest<Instance>('GET', `/instances/${id}`, { auth, signal: ctl.signal })
      .then((res) => (res.ok ? setInstance(res.data) : setLoadError(res.error)))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [auth, id]);

  const measure = useCallback((list: BulkJob[]) => {
    const now = performance.now();
    const next: Record<number, number> = {};
    for (const job of list) {
      const n = job.recordsCount + job.recordsFailedCount;
      const prev = samples.current.get(job.id);
      let rate = prev?.rate;
      if (prev && now - prev.t >= 500) {
        const instant = ((n - prev.n) * 1000) / (now - prev.t);
        rate = prev.rate === undefined ? instant : 0.5 * prev.rate + 0.5 * instant;
        samples.current.set(job.id, { n, t: now, rate });
      } else if (!prev) samples.current.set(job.id, { n, t: now });
      if (rate !== undefined) next[job.id] = rate;
    }
    setRates((r) => ({ ...r, ...next }));
  }, []);

  const currentToken = pageTokens[pageTokens.length - 1];
  const watchedId = watched?.id;
  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      if (!hubAuth) return;
      const res = await apiRequest<BulkJob[]>('GET', bulkEndpoints.jobs(PAGE_SIZE, currentToken), {
        auth: hubAuth,
        signal,
      });
      if (!res.ok) return setJobsError(res.error);
      setJobsError(undefined);
      const mine = res.data.filter((j) => j.instanceId === id);
      setJobs(mine);
      setNextToken(res.headers.get('elements-next-page-token') ?? undefined);
      let seen = mine.find((j) => j.id === watchedId);
      if (watchedId !== undefined && !seen) {
        const st = await apiRequest<BulkJob>('GET', bulkEndpoints.status(watchedId), { auth: hubAuth, signal });
        if (st.ok) seen = st.data;
      }
      if (seen) setWatched(seen);
      measure(seen && !mine.includes(seen) ? [...mine, seen] : mine);
      setRefreshedAt(new Date());
    },
    [hubAuth, currentToken, watchedId, id, measure],
  );

  const anyActive = Boolean(jobs?.some(isActive) || (watched && isActive(watched)));
  useEffect(() => {
    const ctl = new AbortController();
    refresh(ctl.signal).catch(() => undefined);
    if (!live || !anyActive) return () => ctl.abort();
    const timer = setInterval(() => refresh(ctl.signal).catch(() => undefined), REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctl.abort();
    };
  }, [refresh, live, anyActive]);

  // A job's failed records just opened (not "load more"): move focus to their heading.
  useEffect(() => {
    if (focusErrors.current && errorsOf && !errorsOf.loading) {
      focusErrors.current = false;
      errorsHeading.current?.focus();
    }
  }, [errorsOf]);

  const startExport = async (e: FormEvent) => {
    e.preventDefault();
    const found: Partial<Record<ExportKey, string>> = {};
    if (exportForm.object === OTHER && !objectOf(exportForm))
      found.path = 'Enter a ConnectWise path such as system/members';
    let from: string | undefined;
    if (exportForm.from) {
      const d = new Date(exportForm.from);
      if (Number.isNaN(d.getTime())) found.from = 'Enter a date and time';
      else from = d.toISOString();
    }
    setExportErrors(found);
    setExportError(undefined);
    if (Object.keys(found).length > 0) return focusFirst(EXPORT_IDS, found);
    setBusy('export');
    const res = await apiRequest<{ id: number; status: string }>('POST', bulkEndpoints.query, {
      auth: hubAuth,
      body: { query: exportQuery(exportForm), ...(from ? { from } : {}) },
    });
    setBusy(undefined);
    if (!res.ok) {
      const field = exportFieldOf(res.error, exportForm);
      if (field) {
        const errs = { [field]: res.error.message };
        setExportErrors(errs);
        return focusFirst(EXPORT_IDS, errs);
      }
      return setExportError(res.error);
    }
    const job = res.data.id;
    setFormats((f) => ({ ...f, [job]: exportForm.format }));
    setMessage(`Export job ${job} started.`);
    setActionError(undefined);
    setWatched({
      id: job,
      status: res.data.status,
      recordsCount: 0,
      recordsFailedCount: 0,
      object_name: objectOf(exportForm),
      job_direction: 'DOWNLOAD',
      bulk_start_time: null,
      bulk_finish_time: null,
      fileFormat: 'JSONL',
      fileSize: 0,
      instanceId: id,
      infoMessage: null,
    });
    setPageTokens([]);
    // The total for the progress bar: the hub's count of the same selection (declared objects, no "from").
    if (exportForm.object !== OTHER && !from) {
      const count = await apiRequest<{ count: number }>(
        'GET',
        bulkEndpoints.count(exportForm.object, exportForm.where.trim()),
        { auth: hubAuth },
      );
      if (count.ok && typeof count.data?.count === 'number') setExpected((x) => ({ ...x, [job]: count.data.count }));
    }
  };

  const startUpload = async (e: FormEvent) => {
    e.preventDefault();
    const found: Partial<Record<UploadKey, string>> = {};
    if (!uploadForm.file) found.file = 'Choose a CSV, JSON or JSON Lines file';
    const idField = uploadForm.identifierFieldName.trim();
    if (idField && !/^[A-Za-z_$][A-Za-z0-9_$.]*$/.test(idField))
      found.identifierFieldName = 'Enter a field name such as id or email';
    setUploadErrors(found);
    setUploadError(undefined);
    if (Object.keys(found).length > 0 || !uploadForm.file) return focusFirst(UPLOAD_IDS, found);
    const meta: Record<string, string> = { action: uploadForm.action };
    if (idField) meta.identifierFieldName = idField;
    if (uploadForm.format) meta.format = uploadForm.format;
    const body = new FormData();
    body.append('metaData', JSON.stringify(meta));
    body.append('file', uploadForm.file, uploadForm.file.name);
    setBusy('upload');
    const res = await apiRequest<{ id: number; status: string }>('POST', bulkEndpoints.upload(uploadForm.object), {
      auth: hubAuth,
      form: body,
    });
    setBusy(undefined);
    if (!res.ok) {
      const field = uploadFieldOf(res.error);
      if (field) {
        const errs = { [field]: res.error.message };
        setUploadErrors(errs);
        return focusFirst(UPLOAD_IDS, errs);
      }
      return setUploadError(res.error);
    }
    setMessage(`Import job ${res.data.id} started from ${uploadForm.file.name}.`);
    setActionError(undefined);
    setWatched({
      id: res.data.id,
      status: res.data.status,
      recordsCount: 0,
      recordsFailedCount: 0,
      object_name: uploadForm.object,
      job_direction: 'UPLOAD',
      bulk_start_time: null,
      bulk_finish_time: null,
      fileFormat: '',
      fileSize: uploadForm.file.size,
      instanceId: id,
      infoMessage: null,
    });
    setPageTokens([]);
    setUploadForm({ ...uploadForm, file: undefined });
    if (fileInput.current) fileInput.current.value = '';
  };

  const cancel = async (job: BulkJob) => {
    setBusy(`cancel-${job.id}`);
    const res = await apiRequest<BulkJob>('PUT', bulkEndpoints.cancel(job.id), { auth: hubAuth });
    setBusy(undefined);
    if (!res.ok) return setActionError(res.error);
    setActionError(undefined);
    setMessage(
      res.data.status === 'CANCELLED'
        ? `Job ${job.id} cancelled.`
        : `Job ${job.id} is stopping (within about a second); what it wrote so far stays downloadable.`,
    );
    await refresh();
  };

  const download = async (job: BulkJob, format: Format) => {
    setBusy(`download-${job.id}-${format}`);
    const res = await apiDownload(bulkEndpoints.download(job.id, job.object_name, format), {
      auth: hubAuth,
      accept: FORMAT_ACCEPT[format],
    });
    setBusy(undefined);
    if (!res.ok) return setActionError(res.error);
    // The file came with the Authorization header; it is saved from memory, so no token is ever in a URL.
    const url = URL.createObjectURL(res.blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = res.fileName ?? `${job.object_name.replaceAll('/', '-')}-${job.id}.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
    setActionError(undefined);
    setMessage(`Downloaded job ${job.id} as ${FORMAT_LABEL[format]} (${formatBytes(res.blob.size)}).`);
  };

  const loadErrors = async (job: BulkJob, next?: string) => {
    const before = next && errorsOf?.job.id === job.id ? errorsOf.rows : [];
    if (!next) focusErrors.current = true;
    setErrorsOf({ job, rows: before, loading: true });
    const res = await apiRequest<RecordError[]>('GET', bulkEndpoints.errors(job.id, ERRORS_PAGE_SIZE, next), {
      auth: hubAuth,
    });
    if (!res.ok) return setErrorsOf({ job, rows: before, loading: false, error: res.error });
    const token = res.headers.get('elements-next-page-token') ?? undefined;
    setErrorsOf({ job, rows: [...before, ...res.data], loading: false, ...(token ? { next: token } : {}) });
  };

  const actions = (job: BulkJob) => {
    const preferred = formats[job.id];
    const order: Format[] = preferred === 'csv' ? ['csv', 'jsonl'] : ['jsonl', 'csv'];
    return (
      <span className="job-actions">
        {isActive(job) ? (
          <button
            type="button"
            className="button small danger"
            onClick={() => cancel(job)}
            disabled={busy === `cancel-${job.id}`}
            aria-label={`Cancel job ${job.id}`}
          >
            Cancel
          </button>
        ) : null}
        {isExport(job) && !isActive(job)
          ? order.map((f, i) => (
              <button
                key={f}
                type="button"
                className={`button small${i === 0 && preferred ? ' primary' : ''}`}
                onClick={() => download(job, f)}
                disabled={busy === `download-${job.id}-${f}`}
                aria-label={`Download job ${job.id} as ${FORMAT_LABEL[f]}`}
              >
                {FORMAT_LABEL[f]}
              </button>
            ))
          : null}
        {!isExport(job) && job.recordsFailedCount > 0 ? (
          <button
            type="button"
            className="button small"
            onClick={() => loadErrors(job)}
            aria-label={`Show the failed records of job ${job.id}`}
          >
            Errors
          </button>
        ) : null}
        {busy?.startsWith('download-') && busy.startsWith(`download-${job.id}-`) ? (
          <Spinner label="Downloading…" />
        ) : null}
      </span>
    );
  };

  const totalOf = (job: BulkJob) => (isExport(job) ? expected[job.id] : job.recordsTotal);

  if (loadError) {
    return (
      <>
        <h1 tabIndex={-1}>Bulk</h1>
        <ErrorNotice error={loadError} title="Could not load this instance." />
        <Link to="/instances">Back to instances</Link>
      </>
    );
  }

  return (
    <>
      <p className="breadcrumb">
        <Link to="/instances">Instances</Link> / <Link to={`/instances/${id}`}>{instance?.name ?? `#${id}`}</Link> /
        Bulk
      </p>
      <h1 tabIndex={-1}>Bulk{instance ? ` — ${instance.name}` : ''}</h1>
      <InstanceNav id={id} current="bulk" />
      <p className="meta">
        Export a whole object to a file or import a file of records, as background jobs (see docs/bulk.md). Calls use
        this instance's token.
      </p>
      {!instance ? <Loading what="the instance" /> : null}
      {message ? <Notice kind="success">{message}</Notice> : null}
      {actionError ? <ErrorNotice error={actionError} title="That did not work:" /> : null}

      {instance ? (
        <div className="bulk-forms">
          <form className="card" onSubmit={startExport} noValidate aria-labelledby="export-heading">
            <h2 id="export-heading">Start an export</h2>
            <Field id={EXPORT_IDS.object} label="Object to export" error={exportErrors.object}>
              {(aria) => (
                <select
                  {...aria}
                  value={exportForm.object}
                  onChange={(e) => setExportForm({ ...exportForm, object: e.target.value })}
                >
                  {BULK_OBJECTS.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                  <option value={OTHER}>Another ConnectWise path…</option>
                </select>
              )}
            </Field>
            {exportForm.object === OTHER ? (
              <Field
                id={EXPORT_IDS.path}
                label="ConnectWise path"
                required
                error={exportErrors.path}
                hint="A path under the ConnectWise API root, e.g. system/members or company/contacts."
              >
                {(aria) => (
                  <input
                    {...aria}
                    type="text"
                    spellCheck={false}
                    value={exportForm.path}
                    onChange={(e) => setExportForm({ ...exportForm, path: e.target.value })}
                  />
                )}
              </Field>
            ) : null}
            <Field
              id={EXPORT_IDS.where}
              label="Where (CEQL, optional)"
              error={exportErrors.where}
              hint="The same filter as hub list calls, e.g. lastName like 'A%'. Empty exports every record."
            >
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  spellCheck={false}
                  value={exportForm.where}
                  onChange={(e) => setExportForm({ ...exportForm, where: e.target.value })}
                />
              )}
            </Field>
            <Field
              id={EXPORT_IDS.fields}
              label="Fields (optional)"
              error={exportErrors.fields}
              hint="Comma-separated, e.g. id, firstName, lastName. Empty exports all fields."
            >
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  spellCheck={false}
                  value={exportForm.fields}
                  onChange={(e) => setExportForm({ ...exportForm, fields: e.target.value })}
                />
              )}
            </Field>
            <Field
              id={EXPORT_IDS.from}
              label="Changed since (optional)"
              error={exportErrors.from}
              hint="Your local time. Only records changed since then (the instance's bulk.query settings)."
            >
              {(aria) => (
                <input
                  {...aria}
                  type="datetime-local"
                  value={exportForm.from}
                  onChange={(e) => setExportForm({ ...exportForm, from: e.target.value })}
                />
              )}
            </Field>
            <Field id={EXPORT_IDS.format} label="Download format">
              {(aria) => (
                <select
                  {...aria}
                  value={exportForm.format}
                  onChange={(e) => setExportForm({ ...exportForm, format: e.target.value as Format })}
                >
                  <option value="jsonl">JSON Lines (one record per line)</option>
                  <option value="csv">CSV (dotted column names)</option>
                </select>
              )}
            </Field>
            {exportError ? <ErrorNotice error={exportError} title="The export was refused:" /> : null}
            <div className="actions">
              <button type="submit" className="button primary" disabled={busy === 'export'}>
                Start export
              </button>
              {busy === 'export' ? <Spinner label="Starting…" /> : null}
            </div>
          </form>

          <form className="card" onSubmit={startUpload} noValidate aria-labelledby="upload-heading">
            <h2 id="upload-heading">Upload a file</h2>
            <Field id={UPLOAD_IDS.object} label="Object to import into" error={uploadErrors.object}>
              {(aria) => (
                <select
                  {...aria}
                  value={uploadForm.object}
                  onChange={(e) => setUploadForm({ ...uploadForm, object: e.target.value })}
                >
                  {BULK_OBJECTS.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              id={UPLOAD_IDS.file}
              label="File"
              required
              error={uploadErrors.file}
              hint="CSV with a header row (company.id builds nested objects), a JSON array, or JSON Lines."
            >
              {(aria) => (
                <input
                  {...aria}
                  ref={fileInput}
                  type="file"
                  accept=".csv,.json,.jsonl,.ndjson,text/csv,application/json,application/x-ndjson"
                  onChange={(e) => setUploadForm({ ...uploadForm, file: e.target.files?.[0] })}
                />
              )}
            </Field>
            <Field id={UPLOAD_IDS.format} label="File format" error={uploadErrors.format}>
              {(aria) => (
                <select
                  {...aria}
                  value={uploadForm.format}
                  onChange={(e) => setUploadForm({ ...uploadForm, format: e.target.value as UploadForm['format'] })}
                >
                  <option value="">Detect from the file</option>
                  <option value="csv">CSV</option>
                  <option value="json">JSON array</option>
                  <option value="jsonl">JSON Lines</option>
                </select>
              )}
            </Field>
            <Field
              id={UPLOAD_IDS.action}
              label="Action"
              error={uploadErrors.action}
              hint="Update and upsert find records by the identifier field."
            >
              {(aria) => (
                <select
                  {...aria}
                  value={uploadForm.action}
                  onChange={(e) => setUploadForm({ ...uploadForm, action: e.target.value as UploadForm['action'] })}
                >
                  <option value="create">Create every record</option>
                  <option value="update">Update existing records</option>
                  <option value="upsert">Update, or create when missing (upsert)</option>
                </select>
              )}
            </Field>
            <Field
              id={UPLOAD_IDS.identifierFieldName}
              label="Identifier field (optional)"
              error={uploadErrors.identifierFieldName}
              hint="Defaults to id for update and upsert; another field is looked up with field = value."
            >
              {(aria) => (
                <input
                  {...aria}
                  type="text"
                  spellCheck={false}
                  value={uploadForm.identifierFieldName}
                  onChange={(e) => setUploadForm({ ...uploadForm, identifierFieldName: e.target.value })}
                />
              )}
            </Field>
            {uploadError ? <ErrorNotice error={uploadError} title="The upload was refused:" /> : null}
            <div className="actions">
              <button type="submit" className="button primary" disabled={busy === 'upload'}>
                Upload and import
              </button>
              {busy === 'upload' ? <Spinner label="Uploading and checking the file…" /> : null}
            </div>
          </form>
        </div>
      ) : null}

      {watched ? (
        <section className="card watched" aria-labelledby="watched-heading" data-testid="watched-job">
          <h2 id="watched-heading">
            Job {watched.id}: {isExport(watched) ? 'export of' : 'import into'} {watched.object_name}
          </h2>
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="watched-status" aria-live="polite">
              {watched.status}
            </dd>
            <dt>{isExport(watched) ? 'Records exported' : 'Records written'}</dt>
            <dd data-testid="watched-records">{watched.recordsCount}</dd>
            {!isExport(watched) ? (
              <>
                <dt>Failed</dt>
                <dd data-testid="watched-failed">{watched.recordsFailedCount}</dd>
              </>
            ) : null}
            <dt>Progress</dt>
            <dd>
              <Progress job={watched} total={totalOf(watched)} rate={rateOf(watched, rates[watched.id])} />
            </dd>
            {watched.infoMessage ? (
              <>
                <dt>Note</dt>
                <dd>{watched.infoMessage}</dd>
              </>
            ) : null}
          </dl>
          {actions(watched)}
        </section>
      ) : null}

      {errorsOf ? (
        <section aria-labelledby="errors-heading" className="card">
          <h2 id="errors-heading" tabIndex={-1} ref={errorsHeading}>
            Failed records of job {errorsOf.job.id}
          </h2>
          <p className="meta">
            {errorsOf.job.recordsFailedCount} record{errorsOf.job.recordsFailedCount === 1 ? '' : 's'} could not be
            written; the record index is 0-based in the file (a CSV's first data row is 0).
          </p>
          {errorsOf.error ? <ErrorNotice error={errorsOf.error} /> : null}
          {errorsOf.rows.length > 0 ? (
            <table className="list" data-testid="errors-table">
              <thead>
                <tr>
                  <th scope="col">Record index</th>
                  <th scope="col">Record</th>
                  <th scope="col">Status</th>
                  <th scope="col">Message</th>
                  <th scope="col">ConnectWise said</th>
                </tr>
              </thead>
              <tbody>
                {errorsOf.rows.map((r) => (
                  <tr key={r.recordIndex}>
                    <td data-label="Record index">{r.recordIndex}</td>
                    <td data-label="Record">
                      <code className="record-json">{JSON.stringify(r.record)}</code>
                    </td>
                    <td data-label="Status">{r.status}</td>
                    <td data-label="Message">{r.message}</td>
                    <td data-label="ConnectWise said">{r.providerMessage ?? <span className="meta">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <div className="actions">
            {errorsOf.next ? (
              <button
                type="button"
                className="button"
                onClick={() => loadErrors(errorsOf.job, errorsOf.next)}
                disabled={errorsOf.loading}
              >
                Load more errors
              </button>
            ) : null}
            {errorsOf.loading ? <Spinner label="Loading the failed records…" /> : null}
            <button type="button" className="button" onClick={() => setErrorsOf(undefined)}>
              Close errors
            </button>
          </div>
        </section>
      ) : null}

      {instance ? (
        <section aria-labelledby="jobs-heading">
          <h2 id="jobs-heading">Jobs of this instance</h2>
          <div className="toolbar">
            <div className="field field-check">
              <input id="live-refresh" type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
              <label htmlFor="live-refresh">Live refresh (every {REFRESH_MS / 1000} s while a job runs)</label>
            </div>
            <button type="button" className="button" onClick={() => refresh().catch(() => undefined)}>
              Refresh now
            </button>
            <span className="meta" aria-live="off">
              {refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}` : ''}
            </span>
          </div>
          {jobsError ? <ErrorNotice error={jobsError} title="Could not list the jobs:" /> : null}
          {!jobs && !jobsError ? <Loading what="the jobs" /> : null}
          {jobs && jobs.length === 0 ? (
            <p className="meta">No jobs of this instance {pageTokens.length > 0 ? 'on this page' : 'yet'}.</p>
          ) : null}
          {jobs && jobs.length > 0 ? (
            <table className="list jobs" data-testid="jobs-table">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Object</th>
                  <th scope="col">Status</th>
                  <th scope="col">Records</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Size</th>
                  <th scope="col">Started</th>
                  <th scope="col">Finished</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((job) => (
                  <tr key={job.id} data-job={job.id}>
                    <td data-label="Job">
                      {job.id} <span className="meta">{isExport(job) ? 'export' : 'import'}</span>
                    </td>
                    <td data-label="Object">
                      <code>{job.object_name}</code>
                    </td>
                    <td data-label="Status">
                      {job.status}
                      {job.infoMessage ? <span className="meta"> {job.infoMessage}</span> : null}
                    </td>
                    <td data-label="Records">
                      {job.recordsCount.toLocaleString()}
                      {job.recordsTotal !== undefined ? (
                        <span className="meta"> of {job.recordsTotal.toLocaleString()}</span>
                      ) : null}
                    </td>
                    <td data-label="Failed">{job.recordsFailedCount.toLocaleString()}</td>
                    <td data-label="Size">{formatBytes(job.fileSize)}</td>
                    <td data-label="Started">
                      <When value={job.bulk_start_time} />
                    </td>
                    <td data-label="Finished">
                      <When value={job.bulk_finish_time} />
                    </td>
                    <td data-label="Progress">
                      <Progress job={job} total={totalOf(job)} rate={rateOf(job, rates[job.id])} />
                    </td>
                    <td data-label="Actions">{actions(job)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {pageTokens.length > 0 || nextToken ? (
            <div className="actions">
              <button
                type="button"
                className="button"
                disabled={pageTokens.length === 0}
                onClick={() => setPageTokens(pageTokens.slice(0, -1))}
              >
                Newer jobs
              </button>
              <button
                type="button"
                className="button"
                disabled={!nextToken}
                onClick={() => nextToken && setPageTokens([...pageTokens, nextToken])}
              >
                Older jobs
              </button>
            </div>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
