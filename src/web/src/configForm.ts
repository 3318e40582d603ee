// Pure logic of the configuration forms (authenticate and edit): the ConnectWise URL picker, client-side
// validation, the request body, and which field a server error names. Tested in configForm.test.ts.
import type { ConfigParameter } from './api.ts';

export const API_PATH = '/v4_6_release/apis/3.0';
export const BASE_URL_KEY = 'baseUrl';
export const EVENTS_ENABLED_KEY = 'event.notification.enabled';
/** How the API shows a stored secret. */
export const MASK = '********';

const regionLabels: Record<string, string> = {
  'api-na.myconnectwise.net': 'North America (api-na.myconnectwise.net)',
  'api-eu.myconnectwise.net': 'Europe (api-eu.myconnectwise.net)',
  'api-au.myconnectwise.net': 'Australia (api-au.myconnectwise.net)',
  'api-staging.connectwisedev.com': 'Staging (api-staging.connectwisedev.com)',
};
export const regionLabel = (host: string) => regionLabels[host] ?? host;

/** How the user picked the ConnectWise URL: a cloud region, an on-premises host, or a full API URL. */
export type UrlChoice =
  | { mode: 'region'; host: string }
  | { mode: 'onprem'; host: string }
  | { mode: 'url'; url: string };

export function composeBaseUrl(choice: UrlChoice): string {
  if (choice.mode === 'url') return choice.url.trim().replace(/\/+$/, '');
  return `https://${choice.host.trim().toLowerCase()}${API_PATH}`;
}

/** The picker state that shows an existing URL (edit form, sandbox). */
export function parseBaseUrl(url: string, regions: string[]): UrlChoice {
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/\/+$/, '');
    if (u.protocol === 'https:' && path === API_PATH && !u.search) {
      return regions.includes(u.host) ? { mode: 'region', host: u.host } : { mode: 'onprem', host: u.host };
    }
  } catch {
    /* not a URL: keep it as typed */
  }
  return { mode: 'url', url };
}

const HOST =
  /^(?=.{1,253}(?::|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i;

export function baseUrlProblem(choice: UrlChoice): string | undefined {
  if (choice.mode === 'region') return choice.host ? undefined : 'Choose your ConnectWise region';
  if (choice.mode === 'onprem') {
    const host = choice.host.trim();
    if (!host) return 'Enter the host name of your ConnectWise server, e.g. cw.example.com';
    if (/^[a-z]+:\/\//i.test(host) || host.includes('/')) {
      return 'Enter only the host name (no https:// and no path); the URL is composed for you';
    }
    return HOST.test(host) ? undefined : 'This is not a valid host name';
  }
  const raw = choice.url.trim();
  if (!raw) return 'Enter the ConnectWise API URL';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `Enter a full URL, e.g. https://api-na.myconnectwise.net${API_PATH}`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'The URL must start with https://';
  if (!/\/apis\/3\.0$/.test(u.pathname.replace(/\/+$/, ''))) return `The URL must end with the API root, ${API_PATH}`;
  return undefined;
}

/** Parameters shown on the form (not hidden), in display order. */
export function visibleParameters(rows: ConfigParameter[]): ConfigParameter[] {
  return rows.filter((r) => !r.hidden).sort((a, b) => (a.displayOrder ?? a.id) - (b.displayOrder ?? b.id));
}

export const isEventsParam = (p: ConfigParameter) => p.group === 'events' || p.key.startsWith('event.');

/** Initial form values: each parameter's default ("false" for an unset URL means empty). */
export function initialValues(
  rows: ConfigParameter[],
  current: Record<string, string | null> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of visibleParameters(rows)) {
    if (p.key === BASE_URL_KEY) continue;
    const value = current[p.key] ?? current[p.key.toLowerCase()] ?? p.default ?? '';
    // A masked secret is shown as an empty field: left empty, the stored value is kept.
    out[p.key] = (p.type === 'url' && value === 'false') || (p.secret && value === MASK) ? '' : value;
  }
  return out;
}

export interface FormState {
  url: UrlChoice;
  values: Record<string, string>;
  name: string;
  tags: string;
}

export type FieldErrors = Record<string, string>;

const isTrue = (v: string | undefined) => v === 'true';

/** Client-side checks before anything is sent; keys are parameter keys, plus `name` and `tags`. */
export function validateForm(
  rows: ConfigParameter[],
  form: FormState,
  options: { requireName: boolean; keepStoredSecrets?: boolean },
): FieldErrors {
  const errors: FieldErrors = {};
  if (options.requireName && !form.name.trim()) errors.name = 'Give the instance a name';
  if (form.name.length > 500) errors.name = 'The name is too long (500 characters at most)';
  if (parseTags(form.tags).some((t) => t.length > 200)) errors.tags = 'A tag is at most 200 characters';
  const eventsOn = isTrue(form.values[EVENTS_ENABLED_KEY]);
  for (const p of visibleParameters(rows)) {
    if (p.key === BASE_URL_KEY) {
      const problem = baseUrlProblem(form.url);
      if (problem) errors[p.key] = problem;
      continue;
    }
    if (isEventsParam(p) && p.key !== EVENTS_ENABLED_KEY && !eventsOn) continue;
    const value = (form.values[p.key] ?? '').trim();
    if (p.required && !value && !(p.secret && options.keepStoredSecrets)) {
      errors[p.key] = `${p.name} is required`;
      continue;
    }
    if (p.key === 'event.notification.callback.url' && eventsOn && !value) {
      errors[p.key] = 'Events are delivered to this URL: enter it, or turn events off';
      continue;
    }
    if (!value) continue;
    if (p.type === 'url') {
      try {
        const u = new URL(value);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') errors[p.key] = 'Enter an http(s) URL';
      } catch {
        errors[p.key] = 'Enter a full URL, e.g. https://example.com/hooks/connectwise';
      }
    } else if (p.type === 'number' && !(Number.isFinite(Number(value)) && Number(value) > 0)) {
      errors[p.key] = 'Enter a number greater than 0';
    } else if (p.type === 'picklist' && p.options && !p.options.includes(value)) {
      errors[p.key] = `Choose one of ${p.options.join(', ')}`;
    }
  }
  return errors;
}

export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** The configuration object sent to the API (every value a string, as Cloud Elements stores them). */
export function configurationBody(rows: ConfigParameter[], form: FormState): Record<string, string> {
  const out: Record<string, string> = {};
  const eventsOn = isTrue(form.values[EVENTS_ENABLED_KEY]);
  for (const p of visibleParameters(rows)) {
    if (p.key === BASE_URL_KEY) {
      out[p.key] = composeBaseUrl(form.url);
      continue;
    }
    if (isEventsParam(p) && p.key !== EVENTS_ENABLED_KEY && !eventsOn) continue;
    const value = (form.values[p.key] ?? '').trim();
    if (p.type === 'boolean') out[p.key] = isTrue(value) ? 'true' : 'false';
    else if (value !== '' || p.required) out[p.key] = value;
  }
  return out;
}

/**
 * The form field a server error names: `configuration.private.key` → `private.key`, also through aliases and
 * case (`configuration.connectwise.clientID` → `connectwise.clientid`); `name` / `tags` as they are.
 */
export function fieldForServerError(rows: ConfigParameter[], field: string | undefined): string | undefined {
  if (!field) return undefined;
  if (field === 'name' || field === 'tags') return field;
  const key = field.replace(/^configuration\./, '').toLowerCase();
  const row = rows.find((r) => r.key.toLowerCase() === key || (r.aliases ?? []).some((a) => a.toLowerCase() === key));
  if (!row || row.hidden) return undefined;
  return row.key;
}

/** A DOM id for a parameter key (keys contain dots). */
export const fieldId = (key: string) => `field-${key.replace(/[^a-z0-9]+/gi, '-')}`;

/** PATCH body of an edit: only what changed; an empty secret keeps the stored one. */
export function changedConfiguration(
  rows: ConfigParameter[],
  before: FormState,
  after: FormState,
): Record<string, string> {
  const old = configurationBody(rows, before);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(configurationBody(rows, after))) {
    const secret = rows.find((r) => r.key === key)?.secret;
    if (secret && value === '') continue;
    if (old[key] !== value) out[key] = value;
  }
  return out;
}
