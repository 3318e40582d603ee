import { describe, expect, it } from 'vitest';
import type { ConfigParameter } from './api.ts';
import {
  baseUrlProblem,
  changedConfiguration,
  composeBaseUrl,
  configurationBody,
  type FormState,
  fieldForServerError,
  initialValues,
  parseBaseUrl,
  validateForm,
} from './configForm.ts';

const regions = [
  'api-na.myconnectwise.net',
  'api-eu.myconnectwise.net',
  'api-au.myconnectwise.net',
  'api-staging.connectwisedev.com',
];
const row = (key: string, extra: Partial<ConfigParameter> = {}): ConfigParameter => ({
  id: 0,
  key,
  name: key,
  type: 'string',
  required: false,
  default: null,
  ...extra,
});
const rows: ConfigParameter[] = [
  row('baseUrl', { type: 'url', required: true, allowedHosts: regions, aliases: ['baseURL'] }),
  row('company', { name: 'Company', required: true }),
  row('public.key', { required: true }),
  row('private.key', { type: 'password', required: true, secret: true }),
  row('connectwise.clientid', { required: true, aliases: ['connectwise.clientID'] }),
  row('filter.response.nulls', { type: 'boolean', default: 'true' }),
  row('event.notification.enabled', { type: 'boolean', default: 'false', group: 'events' }),
  row('event.notification.callback.url', { type: 'url', default: 'false', group: 'events' }),
  row('event.vendor.type', {
    type: 'picklist',
    default: 'polling',
    options: ['polling', 'webhook', 'hybrid'],
    group: 'events',
  }),
  row('event.poller.refresh_interval', { type: 'number', default: '15', group: 'events' }),
  row('event.poller.configuration', { type: 'textarea', hidden: true, group: 'events' }),
].map((r, i) => ({ ...r, id: i + 1 }));

const filled = (): FormState => ({
  url: { mode: 'region', host: 'api-eu.myconnectwise.net' },
  values: {
    ...initialValues(rows),
    company: 'acme',
    'public.key': 'pub',
    'private.key': 'priv',
    'connectwise.clientid': 'cid',
  },
  name: 'Acme',
  tags: 'a, b, a',
});

describe('the ConnectWise URL picker', () => {
  it('composes https://<host>/v4_6_release/apis/3.0 from a region or an on-premises host', () => {
    expect(composeBaseUrl({ mode: 'region', host: 'api-au.myconnectwise.net' })).toBe(
      'https://api-au.myconnectwise.net/v4_6_release/apis/3.0',
    );
    expect(composeBaseUrl({ mode: 'onprem', host: ' CW.Example.com ' })).toBe(
      'https://cw.example.com/v4_6_release/apis/3.0',
    );
    expect(composeBaseUrl({ mode: 'url', url: 'http://127.0.0.1:9/v4_6_release/apis/3.0/' })).toBe(
      'http://127.0.0.1:9/v4_6_release/apis/3.0',
    );
  });

  it('reads a stored URL back into the picker', () => {
    expect(parseBaseUrl('https://api-na.myconnectwise.net/v4_6_release/apis/3.0', regions)).toEqual({
      mode: 'region',
      host: 'api-na.myconnectwise.net',
    });
    expect(parseBaseUrl('https://cw.acme.com:8443/v4_6_release/apis/3.0', regions)).toEqual({
      mode: 'onprem',
      host: 'cw.acme.com:8443',
    });
    expect(parseBaseUrl('http://127.0.0.1:5000/v4_6_release/apis/3.0', regions).mode).toBe('url');
  });

  it('explains what is wrong with a host or URL', () => {
    expect(baseUrlProblem({ mode: 'onprem', host: '' })).toMatch(/host name/);
    expect(baseUrlProblem({ mode: 'onprem', host: 'https://cw.acme.com' })).toMatch(/only the host name/);
    expect(baseUrlProblem({ mode: 'onprem', host: 'cw acme' })).toMatch(/not a valid host/);
    expect(baseUrlProblem({ mode: 'onprem', host: 'cw.acme.com:8443' })).toBeUndefined();
    expect(baseUrlProblem({ mode: 'url', url: 'https://cw.acme.com/' })).toMatch(/API root/);
    expect(baseUrlProblem({ mode: 'url', url: 'ftp://cw.acme.com/v4_6_release/apis/3.0' })).toMatch(/https/);
    expect(baseUrlProblem({ mode: 'url', url: 'https://cw.acme.com/v4_6_release/apis/3.0' })).toBeUndefined();
  });
});

describe('form validation and body', () => {
  it('names every missing required field and checks events fields only when events are on', () => {
    const empty: FormState = { url: { mode: 'onprem', host: '' }, values: initialValues(rows), name: '', tags: '' };
    expect(Object.keys(validateForm(rows, empty, { requireName: true })).sort()).toEqual(
      ['baseUrl', 'company', 'connectwise.clientid', 'name', 'private.key', 'public.key'].sort(),
    );
    const on = filled();
    on.values['event.notification.enabled'] = 'true';
    on.values['event.poller.refresh_interval'] = '-1';
    expect(validateForm(rows, on, { requireName: true })).toEqual({
      'event.notification.callback.url': expect.stringMatching(/callback|URL/),
      'event.poller.refresh_interval': expect.stringMatching(/greater than 0/),
    });
    expect(validateForm(rows, filled(), { requireName: true })).toEqual({});
  });

  it('sends string values, the composed URL, and events keys only when enabled', () => {
    const body = configurationBody(rows, filled());
    expect(body).toEqual({
      baseUrl: 'https://api-eu.myconnectwise.net/v4_6_release/apis/3.0',
      company: 'acme',
      'public.key': 'pub',
      'private.key': 'priv',
      'connectwise.clientid': 'cid',
      'filter.response.nulls': 'true',
      'event.notification.enabled': 'false',
    });
    const on = filled();
    on.values['event.notification.enabled'] = 'true';
    on.values['event.notification.callback.url'] = 'https://hooks.example.com/cw';
    expect(configurationBody(rows, on)).toMatchObject({
      'event.notification.enabled': 'true',
      'event.notification.callback.url': 'https://hooks.example.com/cw',
      'event.vendor.type': 'polling',
      'event.poller.refresh_interval': '15',
    });
  });

  it('edits send only what changed; an empty secret keeps the stored one', () => {
    const current = { ...configurationBody(rows, filled()), 'private.key': '********' };
    const before: FormState = { ...filled(), values: initialValues(rows, current) };
    expect(before.values['private.key']).toBe('');
    expect(validateForm(rows, before, { requireName: true, keepStoredSecrets: true })).toEqual({});
    const after = { ...before, values: { ...before.values, company: 'globex', 'filter.response.nulls': 'false' } };
    expect(changedConfiguration(rows, before, after)).toEqual({ company: 'globex', 'filter.response.nulls': 'false' });
  });
});

describe('server errors', () => {
  it('map the field the server names to the form field, through aliases and case', () => {
    expect(fieldForServerError(rows, 'configuration.baseUrl')).toBe('baseUrl');
    expect(fieldForServerError(rows, 'configuration.baseURL')).toBe('baseUrl');
    expect(fieldForServerError(rows, 'configuration.connectwise.clientID')).toBe('connectwise.clientid');
    expect(fieldForServerError(rows, 'configuration.private.key')).toBe('private.key');
    expect(fieldForServerError(rows, 'name')).toBe('name');
    expect(fieldForServerError(rows, 'configuration.event.poller.configuration')).toBeUndefined();
    expect(fieldForServerError(rows, undefined)).toBeUndefined();
  });
});
