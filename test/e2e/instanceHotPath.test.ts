// GET /instances/{id} answers with the element object spliced in from its cached JSON: the answer must be the same
// JSON a client got before (the element as GET /elements/{key} describes it, secrets masked).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/server.ts';
import { type HubFixture, startHubFixture } from './hubFixture.ts';

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.close();
});

describe(`GET /instances/{id} with the spliced element (${testDatabaseUrl ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('is valid JSON with the full element object, masked secrets, and repeats identically', async () => {
    const first = await f.platform('GET', `/instances/${f.instanceId}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.body.id).toBe(f.instanceId);
    expect(first.body.configuration['private.key']).toBe('********');
    const element = await f.platform('GET', '/elements/connectwisecrmrest');
    expect(first.body.element).toEqual(element.body);
    expect(first.text.length).toBeGreaterThan(40_000);
    const second = await f.platform('GET', `/instances/${f.instanceId}`);
    expect(second.text).toBe(first.text);
    const other = await f.server.createOrg('Other');
    const hidden = await fetch(`${f.server.base}/instances/${f.instanceId}`, {
      headers: { authorization: `User ${other.userSecret}, Organization ${other.organizationSecret}` },
    });
    expect(hidden.status).toBe(404);
  });
});
