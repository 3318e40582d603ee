// Through Conduit's hub (real server, SQLite or PostgreSQL): the ConnectWise fields the simulator used to refuse or
// drop (issue 14) now travel both ways — an opportunity's rating/priority/probability/campaign/taxCode/billingTerms,
// a company's billToCompany, a contact's portalPassword (write-only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubFixture, startHubFixture } from '../e2e/hubFixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: vendor records checked field by field
type Rec = Record<string, any>;

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.close();
});

async function firstOf(path: string): Promise<Rec> {
  const res = await f.hub('GET', `/hubs/crm/${path}?pageSize=1&orderBy=id`);
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body[0] as Rec;
}

describe('ConnectWise fields through the hub', () => {
  it('an opportunity PATCHed with the six references returns them, and a new one is created with them', async () => {
    const refs: Record<string, Rec> = {
      rating: await firstOf('sales/opportunities/ratings'),
      priority: await firstOf('sales/opportunities/priorities'),
      probability: await firstOf('sales/probabilities'),
      campaign: await firstOf('marketing/campaigns'),
      taxCode: await firstOf('finance/taxCodes'),
      billingTerms: await firstOf('finance/billingTerms'),
    };
    const opportunity = await firstOf('opportunities');
    const body = Object.fromEntries(Object.entries(refs).map(([k, v]) => [k, { id: v.id }]));
    const patched = await f.hub('PATCH', `/opportunities/${opportunity.id}`, { body });
    expect(patched.status, patched.text).toBe(200);
    for (const [field, ref] of Object.entries(refs)) {
      expect(patched.body[field]).toMatchObject({ id: ref.id, name: ref.name });
    }
    const created = await f.hub('POST', '/hubs/crm/opportunities', {
      body: {
        name: 'Hub fields deal',
        company: { id: 1 },
        contact: { id: 1 },
        primarySalesRep: { identifier: 'jdoe' },
        ...body,
      },
    });
    expect(created.status, created.text).toBe(200);
    const fetched = await f.hub('GET', `/opportunities/${created.body.id}`);
    for (const [field, ref] of Object.entries(refs)) expect(fetched.body[field]?.id, field).toBe(ref.id);
  });

  it("a company's billToCompany and a contact's write-only portalPassword", async () => {
    const company = await firstOf('organizations');
    // `organizations` is a platform route name: the hub resource of that name needs the hub segment.
    const patched = await f.hub('PATCH', `/hubs/crm/organizations/${company.id}`, {
      body: { billToCompany: { identifier: company.identifier } },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.billToCompany).toMatchObject({ id: company.id, identifier: company.identifier });
    const contact = await firstOf('contacts');
    const pw = await f.hub('PATCH', `/contacts/${contact.id}`, { body: { portalPassword: 'Hub-S3cret' } });
    expect(pw.status, pw.text).toBe(200);
    expect(pw.text).not.toContain('Hub-S3cret');
    expect(pw.body.portalPassword).toBeUndefined();
  });

  it('a value of the wrong type is a 400 naming the field', async () => {
    const opportunity = await firstOf('opportunities');
    const res = await f.hub('PATCH', `/opportunities/${opportunity.id}`, { body: { rating: 'Hot' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('rating');
  });
});
