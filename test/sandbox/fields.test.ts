// The simulator accepts every field ConnectWise's own API description has (issue 14): the fields the issue names
// are accepted by POST, PUT and PATCH, stored, validated by type and returned (write-only ones are not), and the
// reference tables they point at are seeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.ts';
import { type CwClient, cwClient } from './client.ts';

// biome-ignore lint/suspicious/noExplicitAny: vendor records checked field by field
type Rec = Record<string, any>;

let sb: RunningSandbox;
let cw: CwClient;
const ids: Record<string, number> = {};

async function firstId(path: string): Promise<number> {
  const res = await cw.call('GET', `${path}?pageSize=1&orderBy=id asc`);
  expect(res.status, path).toBe(200);
  const rows = res.json as Rec[];
  expect(rows.length, `${path} is seeded`).toBeGreaterThan(0);
  return rows[0]?.id as number;
}

beforeAll(async () => {
  sb = await startSandbox({ quiet: true, seed: 7 });
  cw = cwClient(sb, 'http');
  for (const [key, path] of Object.entries({
    rating: '/sales/opportunities/ratings',
    priority: '/sales/opportunities/priorities',
    probability: '/sales/probabilities',
    campaign: '/marketing/campaigns',
    taxCode: '/finance/taxCodes',
    billingTerms: '/finance/billingTerms',
    company: '/company/companies',
    contact: '/company/contacts',
    opportunity: '/sales/opportunities',
  })) {
    ids[key] = await firstId(path);
  }
});
afterAll(() => sb.close());

const patch = (path: string, ops: { op: string; path: string; value?: unknown }[]) =>
  cw.call('PATCH', path, { body: ops });

describe('reference tables', () => {
  it('ratings, priorities, probabilities, campaigns, tax codes and billing terms are seeded with names', async () => {
    for (const path of [
      '/sales/opportunities/ratings',
      '/sales/opportunities/priorities',
      '/sales/probabilities',
      '/marketing/campaigns',
      '/finance/taxCodes',
      '/finance/billingTerms',
    ]) {
      const res = await cw.call('GET', path);
      expect(res.status, path).toBe(200);
      const rows = res.json as Rec[];
      expect(rows.length, path).toBeGreaterThanOrEqual(2);
      for (const row of rows) expect(typeof row.name).toBe('string');
      const one = await cw.call('GET', `${path}/${rows[0]?.id}`);
      expect((one.json as Rec).name).toBe(rows[0]?.name);
    }
  });
});

describe('opportunity references the issue names', () => {
  const fields = ['rating', 'priority', 'probability', 'campaign', 'taxCode', 'billingTerms'] as const;

  it('PATCH of each is accepted and returned as a reference with its name', async () => {
    const path = `/sales/opportunities/${ids.opportunity}`;
    for (const field of fields) {
      const res = await patch(path, [{ op: 'replace', path: field, value: { id: ids[field] } }]);
      expect(res.status, `${field}: ${res.text}`).toBe(200);
      const got = (res.json as Rec)[field];
      expect(got.id).toBe(ids[field]);
      expect(typeof got.name).toBe('string');
      expect(Object.keys(got._info ?? {}).length).toBe(1);
    }
    const fetched = (await cw.call('GET', path)).json as Rec;
    for (const field of fields) expect(fetched[field].id).toBe(ids[field]);
  });

  it('POST stores them (never dropped) and PUT keeps them', async () => {
    const body: Rec = {
      name: 'Fields deal',
      company: { id: ids.company },
      contact: { id: ids.contact },
      primarySalesRep: { identifier: 'jdoe' },
      billToCompany: { id: ids.company },
      pipelineChangeDate: '2025-04-01T10:00:00Z',
    };
    for (const field of fields) body[field] = { id: ids[field] };
    const created = await cw.call('POST', '/sales/opportunities', { body });
    expect(created.status, created.text).toBe(201);
    const id = (created.json as Rec).id;
    const fetched = (await cw.call('GET', `/sales/opportunities/${id}`)).json as Rec;
    for (const field of fields) expect(fetched[field]?.id, field).toBe(ids[field]);
    expect(fetched.billToCompany.id).toBe(ids.company);
    expect(fetched.pipelineChangeDate).toBe('2025-04-01T10:00:00Z');
    const put = await cw.call('PUT', `/sales/opportunities/${id}`, { body: { ...body, name: 'Fields deal (put)' } });
    expect(put.status, put.text).toBe(200);
    for (const field of fields) expect((put.json as Rec)[field]?.id, field).toBe(ids[field]);
  });

  it('references resolve by name, and a wrong reference is a 400 naming the field', async () => {
    const rating = ((await cw.call('GET', '/sales/opportunities/ratings')).json as Rec[])[1];
    const path = `/sales/opportunities/${ids.opportunity}`;
    const byName = await patch(path, [{ op: 'replace', path: 'rating', value: { name: rating?.name } }]);
    expect(byName.status, byName.text).toBe(200);
    expect((byName.json as Rec).rating.id).toBe(rating?.id);
    const missing = await patch(path, [{ op: 'replace', path: 'taxCode', value: { id: 99999 } }]);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.json)).toContain('taxCode/id');
    const notObject = await patch(path, [{ op: 'replace', path: 'campaign', value: 'Spring' }]);
    expect(notObject.status).toBe(400);
    expect((notObject.json as Rec).errors[0].field).toBe('campaign');
  });
});

describe('contacts and companies', () => {
  it("a contact's portalPassword is accepted by POST and PATCH and never returned", async () => {
    const created = await cw.call('POST', '/company/contacts', {
      body: { firstName: 'Portal', lastName: 'User', company: { id: ids.company }, portalPassword: 'S3cret!' },
    });
    expect(created.status, created.text).toBe(201);
    const id = (created.json as Rec).id;
    expect(created.text).not.toContain('S3cret!');
    expect((created.json as Rec).portalPassword).toBeUndefined();
    const patched = await patch(`/company/contacts/${id}`, [{ op: 'replace', path: 'portalPassword', value: 'N3w!' }]);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.text).not.toContain('N3w!');
    expect((await cw.call('GET', `/company/contacts/${id}`)).text).not.toContain('N3w!');
    const tooLong = await patch(`/company/contacts/${id}`, [
      { op: 'replace', path: 'portalPassword', value: 'x'.repeat(200) },
    ]);
    expect(tooLong.status).toBe(400);
    expect((tooLong.json as Rec).errors[0].field).toBe('portalPassword');
  });

  it('contact fields of the description round-trip (manager, department, school, userDefinedField10)', async () => {
    const department = await firstId('/company/contacts/departments');
    const created = await cw.call('POST', '/company/contacts', {
      body: {
        firstName: 'Full',
        lastName: 'Contact',
        company: { id: ids.company },
        managerContact: { id: ids.contact },
        department: { id: department },
        school: 'State University',
        userDefinedField10: 'ten',
        linkedInUrl: 'https://linkedin.example/full',
      },
    });
    expect(created.status, created.text).toBe(201);
    const got = (await cw.call('GET', `/company/contacts/${(created.json as Rec).id}`)).json as Rec;
    expect(got.managerContact.id).toBe(ids.contact);
    expect(got.department.id).toBe(department);
    expect(got.school).toBe('State University');
    expect(got.userDefinedField10).toBe('ten');
    expect(got.linkedInUrl).toBe('https://linkedin.example/full');
  });

  it("a company's billToCompany, billingTerms, taxCode and creditLimit are accepted and validated by type", async () => {
    const path = `/company/companies/${ids.company}`;
    const res = await patch(path, [
      { op: 'replace', path: 'billToCompany', value: { id: ids.company } },
      { op: 'replace', path: 'billingTerms', value: { id: ids.billingTerms } },
      { op: 'replace', path: 'taxCode', value: { id: ids.taxCode } },
      { op: 'replace', path: 'creditLimit', value: 2500.5 },
    ]);
    expect(res.status, res.text).toBe(200);
    const got = res.json as Rec;
    expect(got.billToCompany).toMatchObject({ id: ids.company, identifier: expect.any(String) });
    expect(got.billingTerms.id).toBe(ids.billingTerms);
    expect(got.taxCode.id).toBe(ids.taxCode);
    expect(got.creditLimit).toBe(2500.5);
    const bad = await patch(path, [{ op: 'replace', path: 'creditLimit', value: 'lots' }]);
    expect(bad.status).toBe(400);
    expect((bad.json as Rec).errors[0]).toMatchObject({ code: 'InvalidField', field: 'creditLimit' });
  });

  it('an unknown field keeps its error', async () => {
    const res = await patch(`/company/contacts/${ids.contact}`, [
      { op: 'replace', path: 'favouriteColour', value: 'x' },
    ]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toMatch(/The field 'favouriteColour' does not exist/);
  });
});

describe('tickets and configurations', () => {
  it('a ticket takes sub type, item and team of its own board only', async () => {
    const boards = (await cw.call('GET', '/service/boards?orderBy=id asc')).json as Rec[];
    const [b1, b2] = [boards[0]?.id, boards[1]?.id];
    const subType = ((await cw.call('GET', `/service/boards/${b1}/subtypes`)).json as Rec[])[0];
    const otherSubType = ((await cw.call('GET', `/service/boards/${b2}/subtypes`)).json as Rec[])[0];
    const team = ((await cw.call('GET', `/service/boards/${b1}/teams`)).json as Rec[])[0];
    const created = await cw.call('POST', '/service/tickets', {
      body: {
        summary: 'Fields ticket',
        company: { id: ids.company },
        board: { id: b1 },
        subType: { id: subType?.id },
        team: { id: team?.id },
        estimatedTimeCost: 120.25,
        isInSla: true,
        predecessorType: 'Phase',
      },
    });
    expect(created.status, created.text).toBe(201);
    const got = created.json as Rec;
    expect(got.subType).toMatchObject({ id: subType?.id, name: subType?.name });
    expect(got.team.id).toBe(team?.id);
    expect(got.estimatedTimeCost).toBe(120.25);
    expect(got.isInSla).toBe(true);
    expect(got.predecessorType).toBe('Phase');
    const wrongBoard = await patch(`/service/tickets/${got.id}`, [
      { op: 'replace', path: 'subType', value: { id: otherSubType?.id } },
    ]);
    expect(wrongBoard.status).toBe(400);
    const badEnum = await patch(`/service/tickets/${got.id}`, [
      { op: 'replace', path: 'predecessorType', value: 'Nope' },
    ]);
    expect(badEnum.status).toBe(400);
    expect((badEnum.json as Rec).errors[0].field).toBe('predecessorType');
  });

  it("a configuration's questions and backup fields round-trip and are validated", async () => {
    const type = await firstId('/company/configurations/types');
    const created = await cw.call('POST', '/company/configurations', {
      body: {
        name: 'Fields config',
        type: { id: type },
        company: { id: ids.company },
        backupMonth: 6,
        lastBackupDate: '2025-05-05T01:02:03Z',
        questions: [{ questionId: 3, question: 'Rack?', answer: 'B2', requiredFlag: true }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const got = (await cw.call('GET', `/company/configurations/${(created.json as Rec).id}`)).json as Rec;
    expect(got.backupMonth).toBe(6);
    expect(got.lastBackupDate).toBe('2025-05-05T01:02:03Z');
    expect(got.questions).toEqual([{ questionId: 3, question: 'Rack?', answer: 'B2', requiredFlag: true }]);
    const bad = await patch(`/company/configurations/${got.id}`, [
      { op: 'replace', path: 'questions', value: [{ questionId: 'three' }] },
    ]);
    expect(bad.status).toBe(400);
    expect((bad.json as Rec).errors[0].field).toBe('questions/questionId');
    const month = await patch(`/company/configurations/${got.id}`, [{ op: 'replace', path: 'backupMonth', value: 13 }]);
    expect(month.status).toBe(400);
  });
});
