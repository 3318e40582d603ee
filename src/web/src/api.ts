// The console's only way out: the public HTTP API of the server that served it (same origin, /elements/api-v2).
export const API_BASE = '/elements/api-v2';

/** The error envelope every Conduit error carries ({requestId, code, message, providerMessage?, field?}). */
export interface ApiError {
  status: number;
  code?: string;
  message: string;
  field?: string;
  providerMessage?: string;
  requestId?: string;
}

export type ApiResult<T> =
  | { ok: true; status: number; data: T; headers: Headers }
  | { ok: false; status: number; error: ApiError };

export interface Secrets {
  userSecret: string;
  organizationSecret: string;
}

export const platformAuth = (s: Secrets) => `User ${s.userSecret}, Organization ${s.organizationSecret}`;
export const elementAuth = (s: Secrets, token: string) => `User ${s.userSecret}, Element ${token}`;

function asError(status: number, body: unknown, text: string): ApiError {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      status,
      code: str(b.code),
      message: str(b.message) ?? `The server answered ${status}`,
      field: str(b.field),
      providerMessage: str(b.providerMessage),
      requestId: str(b.requestId),
    };
  }
  return { status, message: text.trim().slice(0, 300) || `The server answered ${status}` };
}

export async function apiRequest<T>(
  method: string,
  path: string,
  options: { auth?: string; body?: unknown; rawBody?: string; form?: FormData; signal?: AbortSignal } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.auth) headers.authorization = options.auth;
  let body: string | FormData | undefined;
  if (options.form !== undefined) {
    body = options.form; // the browser sets multipart/form-data with its boundary
  } else if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] = 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path.startsWith('/') && !path.startsWith(API_BASE) ? `${API_BASE}${path}` : path, {
      method,
      headers,
      body,
      signal: options.signal,
      credentials: 'omit',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    return {
      ok: false,
      status: 0,
      error: { status: 0, message: 'Could not reach the Conduit server. Is it running?' },
    };
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  if (!res.ok) return { ok: false, status: res.status, error: asError(res.status, parsed, text) };
  return { ok: true, status: res.status, data: parsed as T, headers: res.headers };
}

/**
 * A file from the API as a Blob, fetched with the Authorization header (never a token in a URL), e.g. a bulk
 * result: the caller saves it through an object URL.
 */
export async function apiDownload(
  path: string,
  options: { auth: string; accept: string; signal?: AbortSignal },
): Promise<{ ok: true; blob: Blob; fileName?: string } | { ok: false; status: number; error: ApiError }> {
  let res: Response;
  try {
    res = await fetch(path.startsWith(API_BASE) ? path : `${API_BASE}${path}`, {
      headers: { accept: options.accept, authorization: options.auth },
      signal: options.signal,
      credentials: 'omit',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    return {
      ok: false,
      status: 0,
      error: { status: 0, message: 'Could not reach the Conduit server. Is it running?' },
    };
  }
  if (!res.ok) {
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { ok: false, status: res.status, error: asError(res.status, parsed, text) };
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1];
  return { ok: true, blob: await res.blob(), ...(fileName ? { fileName } : {}) };
}

// Shapes the console reads (open: the server may send more).
export interface ElementSummary {
  id: number;
  key: string;
  name: string;
  description?: string;
  hub?: string;
  image?: string;
  logo?: string;
}

export interface ConfigParameter {
  id: number;
  key: string;
  name: string;
  type: string;
  required: boolean;
  default: string | null;
  description?: string;
  hidden?: boolean;
  secret?: boolean;
  group?: string;
  aliases?: string[];
  allowedHosts?: string[];
  options?: string[];
  displayOrder?: number;
}

export interface Instance {
  id: number;
  name: string;
  createdDate: string;
  token: string;
  tags: string[];
  valid: boolean;
  disabled: boolean;
  eventsEnabled: boolean;
  eventsNotificationCallbackUrl?: string;
  configuration: Record<string, string | null>;
  element: { id: number; key: string; name: string };
}

export interface SandboxInfo {
  apiBase: string;
  company: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

// Mappings (docs/transformations.md): definitions, transformations and the preview.
export interface DefinitionField {
  path: string;
  type: string;
}
export type DefinitionMap = Record<string, { level: string; fields: DefinitionField[] }>;
export interface TransformationField {
  path: string;
  type?: string;
  vendorPath?: string;
  configuration?: Array<{ type: string; properties?: Record<string, unknown> }>;
}
export interface TransformationBody {
  level?: string;
  vendorName: string;
  fields: TransformationField[];
  script?: { body: string; filterEmptyResponse?: boolean };
}
export interface PreviewResponse {
  name: string;
  vendorName: string;
  results: Array<{
    vendor: unknown;
    common: unknown;
    notes: Array<{ path: string; note: string }>;
    error?: { code: string; message: string; line?: number };
  }>;
}
export const mappingEndpoints = {
  orgDefinitions: '/organizations/objects/definitions',
  instanceDefinitions: (id: number) => `/instances/${id}/objects/definitions`,
  definition: (level: 'instance' | 'organization', id: number, name: string) =>
    level === 'instance'
      ? `/instances/${id}/objects/${encodeURIComponent(name)}/definitions`
      : `/organizations/objects/${encodeURIComponent(name)}/definitions`,
  transformation: (level: 'instance' | 'organization', id: number, name: string) =>
    level === 'instance'
      ? `/instances/${id}/transformations/${encodeURIComponent(name)}`
      : `/organizations/elements/connectwisecrmrest/transformations/${encodeURIComponent(name)}`,
  preview: (id: number, name: string) => `/instances/${id}/transformations/${encodeURIComponent(name)}/preview`,
  vendorObjects: '/hubs/crm/objects',
  firstRecord: (vendorName: string) => `/hubs/crm/${encodeURIComponent(vendorName)}?pageSize=1`,
};
