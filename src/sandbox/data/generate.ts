import type { Row, StoredCustomField, StoredRef } from '../catalog/types.ts';
import type { Database } from '../store/database.ts';
import { createRandom, type Random } from './random.ts';
import {
  CITIES,
  COMPANY_SUFFIXES,
  COMPANY_WORDS,
  FIRST_NAMES,
  LAST_NAMES,
  NOTE_TEXTS,
  OS_TYPES,
  STREETS,
  TICKET_SUMMARIES,
  TITLES,
} from './words.ts';

export interface DataSizes {
  companies: number;
  contacts: number;
  tickets: number;
  configurations: number;
  opportunities: number;
  activities: number;
  timeEntries: number;
}

export const DEFAULT_SIZES: DataSizes = {
  companies: 50,
  contacts: 250,
  tickets: 300,
  configurations: 120,
  opportunities: 40,
  activities: 60,
  timeEntries: 200,
};

/** Seed data is dated relative to a fixed instant so one seed always gives the same data set. */
export const SEED_EPOCH = Date.UTC(2025, 5, 1);
const TWO_YEARS = 2 * 365 * 86_400_000;

/** Identifier of the member the default API keys belong to. */
export const API_MEMBER = 'APIMember';

const MEMBERS: [string, string, string, string][] = [
  [API_MEMBER, 'API', 'Member', 'API'],
  ['jdoe', 'John', 'Doe', 'Service Manager'],
  ['asmith', 'Alice', 'Smith', 'Technician'],
  ['bwong', 'Brian', 'Wong', 'Technician'],
  ['cfox', 'Carmen', 'Fox', 'Account Manager'],
  ['dpatel', 'Dev', 'Patel', 'Engineer'],
  ['ekim', 'Eun', 'Kim', 'Dispatcher'],
  ['fmartin', 'Fiona', 'Martin', 'Sales'],
];

function ref(id: number): StoredRef {
  return Object.freeze({ id }) as StoredRef;
}

class Loader {
  private readonly rows = new Map<string, Row[]>();
  constructor(private readonly rng: Random) {}

  /** A timestamp pair (entered ≤ updated) within the two years before SEED_EPOCH. */
  stamps(): { _lu: number; _de: number } {
    const lu = SEED_EPOCH - Math.floor((this.rng.next() * TWO_YEARS) / 1000) * 1000;
    const de = lu - Math.floor(this.rng.next() * 180) * 86_400_000;
    return { _lu: lu, _de: de };
  }

  add(table: string, fields: Record<string, unknown>, who = API_MEMBER): Row {
    let list = this.rows.get(table);
    if (!list) {
      list = [];
      this.rows.set(table, list);
    }
    const row = { id: list.length + 1, ...this.stamps(), _ub: who, _eb: who, ...fields } as Row;
    list.push(row);
    return row;
  }

  /** Appends a row built by the caller (fast path for large tables). */
  push(table: string, build: (id: number, lu: number, de: number) => Row): Row {
    let list = this.rows.get(table);
    if (!list) {
      list = [];
      this.rows.set(table, list);
    }
    const { _lu, _de } = this.stamps();
    const row = build(list.length + 1, _lu, _de);
    list.push(row);
    return row;
  }

  list(table: string): Row[] {
    return this.rows.get(table) ?? [];
  }

  flush(db: Database): void {
    for (const [table, rows] of this.rows) db.table(table).bulkLoad(rows);
  }
}

function setup(l: Loader): void {
  const named = (table: string, items: (string | [string, Record<string, unknown>])[]) => {
    for (const item of items) {
      const [name, extra] = typeof item === 'string' ? [item, {}] : item;
      l.add(table, { name, ...extra });
    }
  };
  named('companyStatuses', [
    ['Active', { defaultFlag: true, inactiveFlag: false }],
    'Inactive',
    'Not-Approved',
    'Credit Hold',
  ]);
  named('companyTypes', [['Client', { defaultFlag: true }], 'Prospect', ['Vendor', { vendorFlag: true }], 'Partner']);
  named('countries', [['United States', { defaultFlag: true }], 'Canada', 'United Kingdom', 'Australia']);
  named('communicationTypes', [
    ['Email', { emailFlag: true, phoneFlag: false, faxFlag: false, defaultFlag: true }],
    ['Direct', { emailFlag: false, phoneFlag: true, faxFlag: false, defaultFlag: true }],
    ['Cell', { emailFlag: false, phoneFlag: true, faxFlag: false, defaultFlag: false }],
    ['Fax', { emailFlag: false, phoneFlag: false, faxFlag: true, defaultFlag: false }],
  ]);
  named('contactTypes', [['End User', { defaultFlag: true }], 'Approver', 'Decision Maker']);
  named('configurationTypes', ['Workstation', 'Server', 'Firewall', 'Printer', 'Switch']);
  named('configurationStatuses', [
    ['Active', { defaultFlag: true, closedFlag: false }],
    ['Inactive', { closedFlag: true }],
  ]);
  named('boards', [['Service Board', { inactiveFlag: false, projectFlag: false }], 'Help Desk', 'Alerts']);
  const statuses: [string, boolean, boolean][] = [
    ['New', true, false],
    ['In Progress', false, false],
    ['Waiting Customer', false, false],
    ['Resolved', false, true],
    ['Closed', false, true],
  ];
  for (const board of l.list('boards')) {
    statuses.forEach(([name, def, closed], sort) => {
      l.add('serviceStatuses', {
        name,
        board: ref(board.id),
        sort,
        defaultFlag: def,
        inactive: false,
        closedStatus: closed,
        displayOnBoard: !closed,
      });
    });
    ['Incident', 'Request', 'Problem'].forEach((name, i) => {
      l.add('serviceTypes', { name, board: ref(board.id), defaultFlag: i === 0, inactiveFlag: false });
    });
  }
  named('priorities', [
    ['Priority 1 - Emergency Response', { sort: 1, level: 'High', color: 'red' }],
    ['Priority 2 - Quick Response', { sort: 2, level: 'Medium', color: 'orange' }],
    ['Priority 3 - Normal Response', { sort: 3, level: 'Medium', color: 'yellow', defaultFlag: true }],
    ['Priority 4 - Schedule Maintenance', { sort: 4, level: 'Low', color: 'green' }],
  ]);
  named('sources', [['Phone', { defaultFlag: true }], 'Email', 'Portal', 'Monitoring']);
  named('opportunityStages', [
    ['Prospect', { probability: 10 }],
    ['Qualified', { probability: 30 }],
    ['Proposal', { probability: 60 }],
    ['Negotiation', { probability: 80 }],
  ]);
  named('opportunityStatuses', [
    ['Open', { defaultFlag: true, wonFlag: false, lostFlag: false, closedFlag: false }],
    ['Won', { wonFlag: true, closedFlag: true }],
    ['Lost', { lostFlag: true, closedFlag: true }],
    ['No Decision', { closedFlag: true }],
  ]);
  named('opportunityTypes', ['New Business', 'Renewal', 'Upsell']);
  named('activityTypes', [['Call', { defaultFlag: true }], 'Email', 'Meeting', 'Task']);
  named('activityStatuses', [
    ['Open', { defaultFlag: true, closedFlag: false }],
    ['Closed', { closedFlag: true }],
  ]);
  named('workTypes', [
    ['Regular', { billTime: 'Billable' }],
    ['After Hours', { billTime: 'Billable' }],
    ['Remote', { billTime: 'Billable' }],
  ]);
  named('workRoles', [
    ['Engineer', { hourlyRate: 150 }],
    ['Technician', { hourlyRate: 95 }],
  ]);
  for (const [identifier, firstName, lastName, title] of MEMBERS) {
    l.add('members', {
      identifier,
      firstName,
      lastName,
      title,
      officeEmail: `${identifier.toLowerCase()}@sandbox-msp.example`,
      inactiveFlag: false,
      licenseClass: identifier === API_MEMBER ? 'A' : 'F',
      dailyCapacity: 8,
      timeZone: 'Eastern Standard Time',
      securityRole: identifier === API_MEMBER ? 'Admin' : 'Technician',
    });
  }
  const udf = (
    screenId: string,
    caption: string,
    fieldTypeIdentifier: string,
    entryTypeIdentifier: string,
    extra = {},
  ) =>
    l.add('userDefinedFields', {
      podId: 1,
      caption,
      sequenceNumber: l.list('userDefinedFields').length + 1,
      fieldTypeIdentifier,
      entryTypeIdentifier,
      numberDecimals: 0,
      screenId,
      displayOnScreenFlag: true,
      requiredFlag: false,
      listViewFlag: false,
      readOnlyFlag: false,
      ...extra,
    });
  udf('contact', 'Tier', 'Text', 'List', { options: 'Gold,Silver,Bronze' });
  udf('company', 'Contract Number', 'Text', 'EntryField');
  udf('company', 'Onboarded', 'Checkbox', 'EntryField');
  udf('ticket', 'Outage ID', 'Number', 'EntryField');
  udf('configuration', 'Rack Position', 'Text', 'EntryField');
  udf('opportunity', 'Lead Score', 'Number', 'EntryField');
}

function companyName(i: number): string {
  if (i === 0) return 'Acme Corporation';
  const word = COMPANY_WORDS[(i - 1) % COMPANY_WORDS.length] as string;
  const cycle = Math.floor((i - 1) / COMPANY_WORDS.length);
  const suffix = COMPANY_SUFFIXES[(i - 1 + cycle * 3) % COMPANY_SUFFIXES.length] as string;
  return cycle === 0 ? `${word} ${suffix}` : `${word} ${suffix} ${cycle + 1}`;
}

/** Fills an empty database with a deterministic MSP data set. */
export function generateData(db: Database, seed: number, sizes: DataSizes): void {
  const rng = createRandom(seed);
  const l = new Loader(rng);
  setup(l);
  const memberIds = l.list('members').map((m) => m.id);
  const techs = l.list('members').filter((m) => m.identifier !== API_MEMBER);
  const who = () => (rng.pick(techs).identifier as string) ?? API_MEMBER;
  const udfs = l.list('userDefinedFields');
  const udfId = (caption: string) => udfs.find((u) => u.caption === caption)?.id ?? 0;
  const tiers = ['Gold', 'Silver', 'Bronze'].map((value) =>
    Object.freeze([Object.freeze({ id: udfId('Tier'), value })]),
  );

  // Companies, each with a main site.
  const domains: string[] = [];
  const identifiers = new Set<string>();
  for (let i = 0; i < sizes.companies; i++) {
    const name = companyName(i);
    let identifier =
      i === 0
        ? 'ACME'
        : name
            .replace(/[^A-Za-z0-9]/g, '')
            .slice(0, 20)
            .toUpperCase();
    while (identifiers.has(identifier)) identifier = `${identifier.slice(0, 18)}${rng.int(10, 99)}`;
    identifiers.add(identifier);
    const domain = i === 0 ? 'acme.com' : `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.com`;
    domains.push(domain);
    const [city, state, zip] = rng.pick(CITIES);
    const addressLine1 = `${rng.int(1, 9999)} ${rng.pick(STREETS)}`;
    const customFields: StoredCustomField[] = [{ id: udfId('Contract Number'), value: `C-${10000 + i}` }];
    if (rng.chance(0.6)) customFields.push({ id: udfId('Onboarded'), value: true });
    const statusId = rng.chance(0.85) ? 1 : rng.int(2, 4);
    const company = l.add(
      'companies',
      {
        identifier,
        name,
        status: ref(statusId),
        addressLine1,
        city,
        state,
        zip,
        country: ref(1),
        phoneNumber: `555-${String(rng.int(100, 999))}-${String(rng.int(1000, 9999))}`,
        website: rng.chance(0.8) ? `https://www.${domain}` : undefined,
        accountNumber: `A${String(1000 + i)}`,
        numberOfEmployees: rng.int(3, 400),
        yearEstablished: rng.int(1950, 2020),
        leadFlag: false,
        unsubscribeFlag: false,
        deletedFlag: rng.chance(0.03),
        isVendorFlag: false,
        types: [ref(rng.chance(0.8) ? 1 : 2)],
        territoryManager: ref(rng.pick(memberIds)),
        customFields,
      },
      who(),
    );
    const site = l.add('sites', {
      name: 'Main',
      company: ref(company.id),
      addressLine1,
      city,
      state,
      zip,
      primaryAddressFlag: true,
      defaultBillingFlag: true,
      defaultShippingFlag: true,
      inactiveFlag: false,
    });
    company.site = ref(site.id);
  }
  const companies = l.list('companies');
  const companyRefs = companies.map((c) => ref(c.id));
  const siteRefs = companies.map((c) => c.site as StoredRef);

  // Contacts, with email (and often phone) communication items and a Tier custom field.
  const contactsByCompany: number[][] = companies.map(() => []);
  const emailType = ref(1);
  const phoneType = ref(2);
  let commId = 1;
  for (let i = 0; i < sizes.contacts; i++) {
    const ci = companies.length === 0 ? -1 : i < companies.length ? i : rng.int(0, companies.length - 1);
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const domain = ci >= 0 ? (domains[ci] as string) : 'example.com';
    const local = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z.]/g, '');
    const items: Record<string, unknown>[] = [
      {
        id: commId++,
        type: emailType,
        value: `${local}${i}@${domain}`,
        defaultFlag: true,
        domain: `@${domain}`,
        communicationType: 'Email',
      },
    ];
    if (rng.chance(0.5)) {
      items.push({
        id: commId++,
        type: phoneType,
        value: `555-${String(100 + (i % 900))}-${String(1000 + (i % 9000))}`,
        defaultFlag: true,
        communicationType: 'Phone',
      });
    }
    const title = rng.pick(TITLES);
    const inactiveFlag = rng.chance(0.05);
    const customFields = rng.chance(0.6) ? rng.pick(tiers) : undefined;
    // One object literal per contact keeps a single hidden class across a million rows.
    const row = l.push('contacts', (id, lu, de) => ({
      id,
      _lu: lu,
      _de: de,
      _ub: API_MEMBER,
      _eb: API_MEMBER,
      firstName,
      lastName,
      company: ci >= 0 ? companyRefs[ci] : undefined,
      site: ci >= 0 ? siteRefs[ci] : undefined,
      title,
      inactiveFlag,
      defaultFlag: false,
      communicationItems: items,
      customFields,
    }));
    if (ci >= 0) (contactsByCompany[ci] as number[]).push(row.id);
  }
  db.nextCommunicationId = commId;
  const contactOf = (ci: number) => {
    const ids = contactsByCompany[ci] ?? [];
    return ids.length > 0 ? ref(rng.pick(ids)) : undefined;
  };

  // Tickets on boards, with notes.
  const statuses = l.list('serviceStatuses');
  const types = l.list('serviceTypes');
  for (let i = 0; i < sizes.tickets && companies.length > 0; i++) {
    const ci = rng.int(0, companies.length - 1);
    const boardId = rng.chance(0.75) ? 1 : rng.int(2, 3);
    const boardStatuses = statuses.filter((s) => (s.board as StoredRef).id === boardId);
    const status = rng.pick(boardStatuses);
    const closed = status.closedStatus === true;
    const ticket = l.add(
      'tickets',
      {
        summary: `${rng.pick(TICKET_SUMMARIES)}${rng.chance(0.3) ? ` (#${i + 1})` : ''}`,
        recordType: 'ServiceTicket',
        board: ref(boardId),
        status: ref(status.id),
        company: companyRefs[ci],
        site: siteRefs[ci],
        contact: contactOf(ci),
        type: ref(rng.pick(types.filter((t) => (t.board as StoredRef).id === boardId)).id),
        owner: rng.chance(0.8) ? ref(rng.pick(techs).id) : undefined,
        priority: ref(rng.int(1, 4)),
        source: ref(rng.int(1, 4)),
        severity: rng.pick(['Low', 'Medium', 'High']),
        impact: rng.pick(['Low', 'Medium', 'High']),
        closedFlag: closed,
        approved: true,
        billingMethod: 'ActualRates',
        billTime: 'NoDefault',
        billExpenses: 'NoDefault',
        billProducts: 'NoDefault',
        actualHours: rng.int(0, 16) / 2,
        hasChildTicket: false,
        customFields: rng.chance(0.1) ? [{ id: udfId('Outage ID'), value: rng.int(100, 999) }] : undefined,
      },
      who(),
    );
    if (closed) {
      ticket.closedDate = new Date(ticket._lu).toISOString().replace(/\.\d{3}Z$/, 'Z');
      ticket.closedBy = ticket._ub;
    }
    const notes = rng.int(0, 3);
    for (let n = 0; n < notes; n++) {
      const note = l.add('ticketNotes', {
        ticketId: ticket.id,
        text: rng.pick(NOTE_TEXTS),
        detailDescriptionFlag: n === 0,
        internalAnalysisFlag: n !== 0 && rng.chance(0.5),
        resolutionFlag: false,
        issueFlag: false,
        member: ref(rng.pick(techs).id),
        customerUpdatedFlag: false,
        internalFlag: false,
        externalFlag: n === 0,
      });
      note._de = Math.min(note._de, ticket._lu);
    }
  }

  const cfgTypes = l.list('configurationTypes');
  for (let i = 0; i < sizes.configurations && companies.length > 0; i++) {
    const ci = rng.int(0, companies.length - 1);
    const type = rng.pick(cfgTypes);
    const prefix = String((companies[ci] as Row).identifier).slice(0, 6);
    l.add('configurations', {
      name: `${prefix}-${String(type.name).slice(0, 3).toUpperCase()}-${String(i + 1).padStart(4, '0')}`,
      type: ref(type.id),
      status: ref(rng.chance(0.9) ? 1 : 2),
      company: companyRefs[ci],
      contact: contactOf(ci),
      site: siteRefs[ci],
      serialNumber: `SN${String(rng.int(100000, 999999))}`,
      modelNumber: `M-${rng.int(100, 999)}`,
      ipAddress: `10.${ci % 256}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      osType: rng.pick(OS_TYPES),
      activeFlag: true,
      billFlag: false,
      needsRenewalFlag: false,
      warrantyExpirationDate: SEED_EPOCH + rng.int(-365, 1000) * 86_400_000,
    });
  }

  for (let i = 0; i < sizes.opportunities && companies.length > 0; i++) {
    const ci = rng.int(0, companies.length - 1);
    const contact = contactOf(ci);
    l.add(
      'opportunities',
      {
        name: `${rng.pick(['Managed services', 'Firewall refresh', 'M365 migration', 'Backup upgrade', 'Renewal'])} - ${(companies[ci] as Row).name}`,
        expectedCloseDate: SEED_EPOCH + rng.int(-60, 180) * 86_400_000,
        type: ref(rng.int(1, 3)),
        stage: ref(rng.int(1, 4)),
        status: ref(rng.chance(0.7) ? 1 : rng.int(2, 4)),
        primarySalesRep: ref(rng.pick(techs).id),
        locationId: 1,
        businessUnitId: 1,
        company: companyRefs[ci],
        contact,
        site: siteRefs[ci],
        totalSalesTax: 0,
        customFields: rng.chance(0.5) ? [{ id: udfId('Lead Score'), value: rng.int(1, 100) }] : undefined,
      },
      who(),
    );
  }
  const opportunities = l.list('opportunities');
  const tickets = l.list('tickets');

  for (let i = 0; i < sizes.activities && companies.length > 0; i++) {
    const ci = rng.int(0, companies.length - 1);
    const start = SEED_EPOCH + rng.int(-200, 30) * 86_400_000 + rng.int(8, 17) * 3_600_000;
    const opp = opportunities.length > 0 && rng.chance(0.4) ? rng.pick(opportunities) : undefined;
    l.add(
      'activities',
      {
        name: rng.pick(['Follow up call', 'Quarterly review', 'Send proposal', 'Onsite visit', 'Renewal reminder']),
        type: ref(rng.int(1, 4)),
        company: opp ? opp.company : companyRefs[ci],
        contact: opp ? opp.contact : contactOf(ci),
        status: ref(rng.chance(0.6) ? 1 : 2),
        opportunity: opp ? ref(opp.id) : undefined,
        ticket: !opp && tickets.length > 0 && rng.chance(0.2) ? ref(rng.pick(tickets).id) : undefined,
        dateStart: start,
        dateEnd: start + 3_600_000,
        assignedBy: ref(rng.pick(techs).id),
        assignTo: ref(rng.pick(techs).id),
        notifyFlag: false,
        closeFlag: false,
      },
      who(),
    );
  }

  for (let i = 0; i < sizes.timeEntries && tickets.length > 0; i++) {
    const t = rng.pick(tickets);
    const start = Math.min(t._lu, SEED_EPOCH) - rng.int(1, 60) * 3_600_000;
    const hours = rng.int(1, 8) / 4;
    l.add(
      'timeEntries',
      {
        company: t.company,
        chargeToId: t.id,
        chargeToType: 'ServiceTicket',
        member: t.owner ?? ref(rng.pick(techs).id),
        locationId: 1,
        businessUnitId: 1,
        workType: ref(rng.int(1, 3)),
        workRole: ref(rng.int(1, 2)),
        timeStart: start,
        timeEnd: start + hours * 3_600_000,
        actualHours: hours,
        hoursDeduct: 0,
        billableOption: 'Billable',
        notes: rng.pick(NOTE_TEXTS),
        addToDetailDescriptionFlag: false,
        addToInternalAnalysisFlag: false,
        addToResolutionFlag: false,
      },
      who(),
    );
  }
  // Last, so the random draws of everything above (and so every earlier seed's data set) stay as they were.
  references(l);
  l.flush(db);
}

/** The reference tables the CRM models point at (ratings, priorities, probabilities, campaigns, tax codes, …). */
function references(l: Loader): void {
  const named = (table: string, items: (string | [string, Record<string, unknown>])[]) => {
    for (const item of items) {
      const [name, extra] = typeof item === 'string' ? [item, {}] : item;
      l.add(table, { name, ...extra });
    }
  };
  named('opportunityRatings', [
    ['Hot', { sortOrder: 1 }],
    ['Warm', { sortOrder: 2 }],
    ['Cold', { sortOrder: 3 }],
  ]);
  named('opportunityPriorities', [
    ['High', { sortOrder: 1 }],
    ['Medium', { sortOrder: 2, defaultFlag: true }],
    ['Low', { sortOrder: 3 }],
  ]);
  named(
    'opportunityProbabilities',
    [10, 25, 50, 75, 90].map((p): [string, Record<string, unknown>] => [`${p}%`, { probability: p }]),
  );
  named('campaigns', ['Spring Newsletter', 'Trade Show 2025', 'Webinar Series']);
  named('taxCodes', [
    ['Taxable', { description: 'Standard rate', defaultFlag: true }],
    ['Non-Taxable', { description: 'Exempt' }],
  ]);
  named('billingTerms', [
    ['Net 30', { dueDays: 30, defaultFlag: true }],
    ['Net 15', { dueDays: 15 }],
    ['Due on Receipt', { dueDays: 0 }],
  ]);
  named('agreements', [
    ['Managed Services', { type: 'Managed Services', chargeFirmFlag: false }],
    ['Block Time', { type: 'Block Time', chargeFirmFlag: true }],
  ]);
  named('currencies', [
    [
      'US Dollar',
      {
        symbol: '$',
        currencyCode: 'USD',
        decimalSeparator: '.',
        numberOfDecimals: 2,
        thousandsSeparator: ',',
        negativeParenthesesFlag: false,
        displaySymbolFlag: true,
        currencyIdentifier: 'USD',
        displayIdFlag: false,
        rightAlign: false,
      },
    ],
  ]);
  named('invoiceTemplates', ['Standard Invoice', 'Agreement Invoice']);
  named('billingDeliveries', ['Email', 'Mail', 'Email and Mail']);
  named('pricingSchedules', [['Standard', { defaultFlag: true }]]);
  named('manufacturers', ['Dell', 'HP', 'Cisco', 'Lenovo']);
  named('systemLocations', ['Main Office', 'Remote']);
  named('systemDepartments', [
    ['Service', { identifier: 'SVC' }],
    ['Sales', { identifier: 'SLS' }],
  ]);
  named('documents', [['Contact photo', { fileName: 'photo.png' }]]);
  named('emailTemplates', ['Default Invoice Email']);
  named('marketDescriptions', ['Healthcare', 'Manufacturing', 'Professional Services']);
  named('sicCodes', ['7371 Computer Programming Services', '8011 Offices of Doctors']);
  named('ownershipTypes', ['Private', 'Public', 'Non-Profit']);
  named('entityTypes', ['Corporation', 'LLC', 'Sole Proprietor']);
  named('noteTypes', [['General', { defaultFlag: true }], 'Call', 'Meeting']);
  named('relationships', ['Customer', 'Vendor', 'Partner']);
  named('contactDepartments', ['IT', 'Finance', 'Operations']);
  named('timeZoneSetups', ['Eastern Standard Time', 'Pacific Standard Time']);
  named('calendars', ['Standard Calendar']);
  named('scheduleStatuses', ['Firm', 'Tentative', 'Done']);
  named('reminders', [
    ['15 minutes', { minutes: 15 }],
    ['1 hour', { minutes: 60 }],
  ]);
  named('serviceLocations', [['On-Site', { defaultFlag: true }], 'Remote', 'In-House']);
  named('slas', [['Standard SLA', { defaultFlag: true }], 'Premium SLA']);
  for (const board of l.list('boards')) {
    for (const name of ['Hardware', 'Software', 'Network']) {
      l.add('serviceSubTypes', { name, board: ref(board.id), inactiveFlag: false });
    }
    for (const name of ['Laptop', 'Email', 'VPN'])
      l.add('serviceItems', { name, board: ref(board.id), inactiveFlag: false });
    for (const name of ['Tier 1', 'Tier 2']) l.add('serviceTeams', { name, board: ref(board.id), inactiveFlag: false });
  }
}
