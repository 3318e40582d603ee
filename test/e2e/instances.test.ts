// The seed flow end to end: real Conduit server, real store, the ConnectWise simulator as upstream.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxAllow, seedBody, startTestSandbox } from '../helpers/sandbox.ts';
import { call, elementAuth, orgAuth, startTestServer, type TestServer, testDatabaseUrl } from '../helpers/server.ts';

const run = promisify(execFile);

// The keys and defaults of the seed's "Example Response" (shared/seed), as Conduit must return them.
const seedDefaults: Record<string, string | null> = {
  'base.url': '{baseUrl}',
  'bulk.add_metadata': null,
  'event.notification.subscription.id': null,
  'event.notification.basic.username': '',
  'private.key': '********',
  'event.vendor.type': 'polling',
  'filter.response.nulls': 'true',
  'bulk.query.date_mask': "yyyy-MM-dd'T'HH:mm:ss'Z'",
  'bulk.attribute.created_time': '_info.lastUpdated',
  'pagination.type': 'page',
  'bulk.relations': null,
  bulk_upload_recover: 'true',
  'event.notification.enabled': 'false',
  'allow.select.fields': 'false',
  'default.select.fields.map': null,
  webhookId: '',
  'bulk.query.field_name': 'lastUpdated',
  'pagination.max': '200',
  'event.notification.basic.password': '********',
  'bulk.query.operator': '>=',
  'bulk.query.download_format': 'JSON',
  'event.poller.refresh_interval': '15',
  'event.notification.callback.url': 'false',
  'authentication.time': '',
  'pagination.page.startindex': '1',
};
const topLevelKeys = [
  'id',
  'name',
  'createdDate',
  'token',
  'elementId',
  'tags',
  'provisionInteractions',
  'valid',
  'disabled',
  'maxCacheSize',
  'cacheTimeToLive',
  'configuration',
  'authenticationType',
  'eventsEnabled',
  'eventsNotificationCallbackUrl',
  'cachingEnabled',
  'traceLoggingEnabled',
  'organizationId',
  'accountId',
  'externalAuthentication',
  'userId',
  'element',
  'user',
];
const elementKeys = [
  'id',
  'name',
  'key',
  'description',
  'image',
  'logo',
  'active',
  'deleted',
  'typeOauth',
  'trialAccount',
  'resources',
  'objects',
  'models',
  'transformationsEnabled',
  'bulkDownloadEnabled',
  'bulkUploadEnabled',
  'cloneable',
  'extendable',
  'beta',
  'authentication',
  'extended',
  'useModelsForMetadata',
  'hub',
  'protocolType',
  'parameters',
  'private',
];

describe(`instances: the seed flow (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  let sandbox: RunningSandbox;
  let server: TestServer;
  let org: Awaited<ReturnType<TestServer['createOrg']>>;
  const logs: string[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    server = await startTestServer({
      env: { CONDUIT_UPSTREAM_ALLOW: sandboxAllow(sandbox), LOG_LEVEL: 'debug' },
      logs,
    });
    const cli = await run(process.execPath, ['bin/conduit.js', 'org', 'create', '--name', 'Acme', '--json'], {
      env: { ...process.env, ...server.env, PORT: '0' },
    });
    org = JSON.parse(cli.stdout);
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
  });

  it('org create --json prints the four ids and secrets', () => {
    expect(Object.keys(org).sort()).toEqual(['organizationId', 'organizationSecret', 'userId', 'userSecret']);
    expect(org.organizationSecret.length).toBeGreaterThan(20);
  });

  it('provisions the seed body and answers 200 with the seed response shape', async () => {
    const res = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
    expect(res.status).toBe(200);
    const inst = res.body;
    for (const k of topLevelKeys) expect(inst, `missing ${k}`).toHaveProperty(k);
    for (const k of elementKeys) expect(inst.element, `missing element.${k}`).toHaveProperty(k);
    expect(inst.element.key).toBe('connectwisecrmrest');
    expect(inst.element.name).toBe('ConnectWise CRM REST');
    expect(inst.element.hub).toBe('crm');
    expect(inst.authenticationType).toBe('custom');
    expect(inst.externalAuthentication).toBe('none');
    expect(inst.valid).toBe(true);
    expect(inst.disabled).toBe(false);
    expect(inst.eventsEnabled).toBe(false);
    expect(inst.eventsNotificationCallbackUrl).toBe('false');
    expect(inst.tags).toEqual(['Docs']);
    expect(inst.name).toBe('ConnectWise_Instance');
    expect(typeof inst.id).toBe('number');
    expect(inst.createdDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const [k, v] of Object.entries(seedDefaults)) expect(inst.configuration[k], k).toBe(v);
    for (const v of Object.values(inst.configuration)) expect(v === null || typeof v === 'string').toBe(true);
    expect(inst.configuration.baseUrl).toBe(sandbox.apiBase);
    expect(inst.configuration.company).toBe(sandbox.credentials.company);
    expect(inst.configuration['connectwise.clientid']).toBe(sandbox.credentials.clientId);
    const poller = JSON.parse(inst.configuration['event.poller.configuration']);
    expect(Object.keys(poller).sort()).toEqual([
      'configurations',
      'contacts',
      'incidents',
      'opportunities',
      'organizations',
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the poller's own ${gmtDate:…} template, verbatim from the seed
    expect(poller.contacts.url).toBe("/hubs/crm/contacts?where=lastUpdated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'");
    expect(poller.contacts.datesConfiguration.updatedDateField).toBe('_info.lastUpdated');
    expect(JSON.stringify(inst)).not.toContain(sandbox.credentials.privateKey);
  });

  it('accepts the curl form (baseUrl) and POST /elements/{key}/instances without element', async () => {
    const body = seedBody(sandbox, {}, 'baseUrl') as Record<string, unknown>;
    delete body.element;
    (body as { configuration: Record<string, unknown> }).configuration['oauth.api.key'] = 'stray';
    body.providerData = { code: 'x' };
    const res = await call(server.base, 'POST', '/elements/connectwisecrmrest/instances', { auth: orgAuth(org), body });
    expect(res.status).toBe(200);
    expect(res.body.configuration['oauth.api.key']).toBeUndefined();
    expect(res.body.configuration.baseUrl).toBe(sandbox.apiBase);
  });

  it('lifecycle: GET, list, search, PATCH, configuration rows, disable/enable, DELETE', async () => {
    const created = (
      await call(server.base, 'POST', '/instances', {
        auth: orgAuth(org),
        body: { ...seedBody(sandbox), name: 'Life<b>cycle</b>', tags: undefined },
      })
    ).body;
    expect(created.name).toBe('Lifecycle');
    expect(created.tags).toEqual(['Lifecycle']);
    const got = await call(server.base, 'GET', `/instances/${created.id}`, { auth: orgAuth(org) });
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(created.id);
    expect(got.body.token).toBe(created.token);

    const list = await call(server.base, 'GET', '/instances?tags[]=Lifecycle', { auth: orgAuth(org) });
    expect(list.status).toBe(200);
    expect(list.body.map((i: { id: number }) => i.id)).toEqual([created.id]);
    const none = await call(server.base, 'GET', '/instances?searchText=nothing-matches-this', { auth: orgAuth(org) });
    expect(none.status).toBe(404);
    const count = await call(server.base, 'GET', '/instances/count', { auth: orgAuth(org) });
    expect(count.body.count).toBeGreaterThanOrEqual(1);

    const patched = await call(server.base, 'PATCH', `/instances/${created.id}`, {
      auth: orgAuth(org),
      body: { name: 'Renamed', tags: ['a', 'b'], configuration: { 'filter.response.nulls': false } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Renamed');
    expect(patched.body.tags).toEqual(['a', 'b']);
    expect(patched.body.configuration['filter.response.nulls']).toBe('false');

    const rows = await call(server.base, 'GET', `/instances/${created.id}/configuration`, { auth: orgAuth(org) });
    expect(rows.status).toBe(200);
    const privateRow = rows.body.find((r: { key: string }) => r.key === 'private.key');
    expect(privateRow.propertyValue).toBe('********');
    const nullsRow = rows.body.find((r: { key: string }) => r.key === 'filter.response.nulls');
    const rowPatch = await call(server.base, 'PATCH', `/instances/${created.id}/configuration/${nullsRow.id}`, {
      auth: orgAuth(org),
      body: { ...nullsRow, propertyValue: 'true' },
    });
    expect(rowPatch.status).toBe(200);
    expect(rowPatch.body.propertyValue).toBe('true');
    // token-addressed configuration
    const viaToken = await call(server.base, 'GET', '/instances/configuration', {
      auth: elementAuth(org, created.token),
    });
    expect(viaToken.status).toBe(200);
    expect(viaToken.body.length).toBe(rows.body.length);

    const disabled = await call(server.base, 'DELETE', `/instances/${created.id}/enabled`, { auth: orgAuth(org) });
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    expect(disabled.body.configuration.company).toBe(sandbox.credentials.company);
    const enabled = await call(server.base, 'PUT', '/instances/enabled', { auth: elementAuth(org, created.token) });
    expect(enabled.status).toBe(200);
    expect(enabled.body.disabled).toBe(false);

    // PUT sending back masked secrets keeps the stored private key (credentials re-verified against the sandbox)
    const replaced = await call(server.base, 'PUT', `/instances/${created.id}`, {
      auth: orgAuth(org),
      body: { name: 'Replaced', configuration: got.body.configuration, tags: [] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe('Replaced');
    expect(replaced.body.valid).toBe(true);

    const del = await call(server.base, 'DELETE', `/instances/${created.id}`, { auth: orgAuth(org) });
    expect(del.status).toBe(200);
    const after = await call(server.base, 'GET', '/instances/configuration', { auth: elementAuth(org, created.token) });
    expect(after.status).toBe(401);
    expect((await call(server.base, 'GET', `/instances/${created.id}`, { auth: orgAuth(org) })).status).toBe(404);
  });

  it('describes the element and its parameters', async () => {
    const el = await call(server.base, 'GET', '/elements/connectwisecrmrest', { auth: orgAuth(org) });
    expect(el.status).toBe(200);
    expect(el.body.key).toBe('connectwisecrmrest');
    const conf = await call(server.base, 'GET', '/elements/connectwisecrmrest/configuration', { auth: orgAuth(org) });
    const keys = conf.body.map((p: { key: string }) => p.key);
    for (const k of [
      'baseUrl',
      'company',
      'public.key',
      'private.key',
      'connectwise.clientid',
      'filter.response.nulls',
    ]) {
      expect(keys).toContain(k);
    }
    const base = conf.body.find((p: { key: string }) => p.key === 'baseUrl');
    expect(base).toMatchObject({ required: true, type: 'url', hidden: false });
    expect(base.allowedHosts).toContain('api-na.myconnectwise.net');
    const meta = await call(server.base, 'GET', '/elements/connectwisecrmrest/metadata', { auth: orgAuth(org) });
    expect(meta.body.events.supported).toBe(true);
    expect(meta.body.events.methods).toContain('polling');
  });

  it('never stores or logs the private key in plain text', async () => {
    const res = await call(server.base, 'POST', '/instances', { auth: orgAuth(org), body: seedBody(sandbox) });
    expect(res.status).toBe(200);
    const secret = sandbox.credentials.privateKey;
    if (!testDatabaseUrl) {
      for (const f of readdirSync(server.dataDir)) {
        if (f.startsWith('conduit.sqlite'))
          expect(readFileSync(join(server.dataDir, f)).includes(Buffer.from(secret))).toBe(false);
      }
    } else {
      const rows = await server.runtime.deps.store.db.selectFrom('instance_configuration').select(['value']).execute();
      expect(rows.some((r) => (r.value ?? '').includes(secret))).toBe(false);
    }
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(secret);
  });
});
