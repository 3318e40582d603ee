// A slow or dead upstream is a clear 504/502 JSON error, never a hang or a 500; trace logging via instance PATCH.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

describe('hub: upstream failures', () => {
  let f: HubFixture;
  beforeAll(async () => {
    f = await startHubFixture({ env: { CONDUIT_UPSTREAM_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => f?.close());

  it('answers 504 when ConnectWise does not answer in time', async () => {
    await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({ latencyMs: 1500 }) });
    const started = Date.now();
    const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
    await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({}) });
    expect(res.status).toBe(504);
    expect(res.body.requestId).toBeTruthy();
    expect(res.body.message).toMatch(/time/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers 502 with the vendor message when ConnectWise keeps failing', async () => {
    await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({ errorRate: 1 }) });
    const res = await f.hub('GET', '/hubs/crm/contacts?pageSize=1');
    await f.vendor('/_sandbox/faults', { method: 'PUT', body: JSON.stringify({}) });
    expect(res.status).toBe(502);
    expect(res.body.message).toBeTruthy();
  });

  it('turns trace logging on through PATCH /instances/{id} and records redacted upstream calls', async () => {
    const patched = await f.platform('PATCH', `/instances/${f.instanceId}`, { body: { traceLoggingEnabled: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.traceLoggingEnabled).toBe(true);
    expect((await f.hub('GET', '/hubs/crm/contacts?pageSize=1')).status).toBe(200);
    const logs = await f.platform('GET', `/instances/${f.instanceId}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.text).toContain('/company/contacts');
    expect(logs.text).not.toContain(f.sandbox.credentials.privateKey);
  });
});
