import type { IncomingMessage } from 'node:http';
import { authorize, clientIdError, type Principal } from './auth.ts';
import type { CallbackAction } from './callbacks.ts';
import { TABLES, tableDef } from './catalog/tables.ts';
import type { Row, StoredRef, TableDef } from './catalog/types.ts';
import { ConditionError } from './conditions/parse.ts';
import { isoDate } from './dates.ts';
import { ApiError, errors } from './http/errors.ts';
import { header, type ParsedQuery, parseJsonBody, readBody } from './http/request.ts';
import { CURRENT_VERSION } from './options.ts';
import { compileQuery, countQuery, type PageRequest, runQuery } from './query/engine.ts';
import { type FieldTree, parseFields, project, type RenderContext, renderRow } from './render.ts';
import type { SandboxState } from './state.ts';
import { Table } from './store/table.ts';
import {
  buildCreate,
  buildPatch,
  buildReplace,
  finishCommunicationItem,
  InvalidObjectError,
  type WriteContext,
  type WriteResult,
} from './write.ts';

export interface Reply {
  status: number;
  body?: unknown;
  /** The body already serialised (list pages); wins over `body`. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface ApiCall {
  state: SandboxState;
  req: IncomingMessage;
  method: string;
  query: ParsedQuery;
  principal: Principal;
  /** Requested model version as major*100+minor. */
  version: number;
  /** Absolute `…/{codebase}apis/3.0/` for hrefs. */
  apiBase: string;
  /** Absolute URL of the request without its query (for Link). */
  selfUrl: string;
  /** Render state of this response (reference cache), made on first use. */
  render?: RenderContext;
}

type Handler = (call: ApiCall, params: Record<string, string>) => Reply | Promise<Reply>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Route {
  segs: string[];
  template: string;
  methods: Partial<Record<Method, Handler>>;
}

const DIGITS = /^\d+$/;

// ---------------------------------------------------------------- helpers

function q(call: ApiCall, name: string): string | undefined {
  return call.query.values.get(name.toLowerCase());
}

function intParam(call: ApiCall, name: string): number | undefined {
  const raw = q(call, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw errors.badRequest(`The value '${raw}' is not valid for ${name}.`);
  return n;
}

function isForwardOnly(call: ApiCall): boolean {
  return (header(call.req, 'pagination-type') ?? '').trim().toLowerCase() === 'forward-only';
}

function paging(call: ApiCall, source: { page?: unknown; pageSize?: unknown; pageId?: unknown } = {}): PageRequest {
  const pick = (name: 'page' | 'pageSize' | 'pageId') => {
    const v = source[name];
    if (v !== undefined && v !== null) {
      const n = Number(v);
      if (!Number.isInteger(n)) throw errors.badRequest(`The value '${String(v)}' is not valid for ${name}.`);
      return n;
    }
    return intParam(call, name);
  };
  const page = Math.max(1, pick('page') ?? 1);
  const rawSize = pick('pageSize');
  // UNVERIFIED how CW treats pageSize > 1000 or < 1: clamped, as the digest suggests.
  const pageSize = rawSize === undefined || rawSize < 1 ? 25 : Math.min(1000, rawSize);
  return { page, pageSize, forwardOnly: isForwardOnly(call), pageId: Math.max(0, pick('pageId') ?? 0) };
}

function renderCtx(call: ApiCall): RenderContext {
  call.render ??= { db: call.state.db, apiBase: call.apiBase, refCache: new Map() };
  return call.render;
}

function fieldsTree(call: ApiCall, explicit?: unknown): FieldTree | undefined {
  const text = typeof explicit === 'string' ? explicit : q(call, 'fields');
  return text ? parseFields(text) : undefined;
}

function shape(call: ApiCall, def: TableDef, row: Row, tree = fieldsTree(call)): unknown {
  const out = renderRow(renderCtx(call), def, row);
  return tree ? project(out, tree) : out;
}

function writeContext(call: ApiCall): WriteContext {
  return { db: call.state.db, now: call.state.clock.now(), actor: call.principal.member, version: call.version };
}

async function jsonBody(call: ApiCall): Promise<unknown> {
  const buf = await readBody(call.req);
  const type = header(call.req, 'content-type') ?? '';
  if (buf.length > 0 && type && !/json/i.test(type)) throw errors.unsupportedMediaType();
  return parseJsonBody(buf);
}

function withConditionErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConditionError) throw errors.badConditions(e.message);
    throw e;
  }
}

function withInvalidObject<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidObjectError) throw errors.invalidObject(e.resource, e.errors);
    throw e;
  }
}

/** Link header: absolute URLs that keep the caller's query and end in `page=N` (PYCW parses that). */
function navigableLink(call: ApiCall, page: number, pageSize: number, total: number): string {
  const last = Math.max(1, Math.ceil(total / pageSize));
  const kept = call.query.raw.filter((p) => !['page', 'fault'].includes(p.name.toLowerCase())).map((p) => p.rawPair);
  const url = (n: number) => `<${call.selfUrl}?${[...kept, `page=${n}`].join('&')}>`;
  const parts = [`${url(1)}; rel="first"`];
  if (page > 1) parts.push(`${url(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) parts.push(`${url(page + 1)}; rel="next"`);
  parts.push(`${url(last)}; rel="last"`);
  return parts.join(', ');
}

/** Forward-only Link: the next page's URL ending in `pageId=<last id>`; empty after the last page. */
function forwardLink(call: ApiCall, rows: Row[]): string {
  const lastRow = rows[rows.length - 1];
  if (!lastRow) return '';
  const kept = call.query.raw
    .filter((p) => !['page', 'pageid', 'fault'].includes(p.name.toLowerCase()))
    .map((p) => p.rawPair);
  return `<${call.selfUrl}?${[...kept, `pageId=${lastRow.id}`].join('&')}>; rel="next"`;
}

function memberIdOf(call: ApiCall, identifier: string): number | undefined {
  const hits = call.state.db.table('members').lookup('identifier', identifier);
  return hits ? [...hits][0]?.id : undefined;
}

function afterWrite(call: ApiCall, def: TableDef, action: CallbackAction, row: Row, result?: WriteResult): void {
  call.state.changed();
  if (!def.callbackType || result?.postOnly.skipCallback === true) return;
  call.state.callbacks.notify({
    type: def.callbackType,
    action,
    row,
    entity: renderRow(renderCtx(call), def, row),
    actorIdentifier: call.principal.member,
    actorMemberId: memberIdOf(call, call.principal.member),
  });
}

// ---------------------------------------------------------------- generic CRUD

function parentRows(call: ApiCall, def: TableDef, parentId: string | undefined): readonly Row[] | undefined {
  if (!def.parent || parentId === undefined) return undefined;
  const parentDef = tableDef(def.parent.table);
  const id = Number(parentId);
  if (!call.state.db.table(parentDef.key).get(id)) throw errors.notFound(parentDef.typeName, id);
  const set = call.state.db.table(def.key).lookup(def.parent.field, id);
  return set ? [...set].sort((a, b) => a.id - b.id) : [];
}

function belongs(def: TableDef, row: Row, parentId: string | undefined): boolean {
  if (!def.parent || parentId === undefined) return true;
  const v = row[def.parent.field];
  return (def.parent.kind === 'ref' ? (v as StoredRef | undefined)?.id : v) === Number(parentId);
}

function findRow(call: ApiCall, def: TableDef, params: Record<string, string>): Row {
  parentRows(call, def, params.parentId);
  const id = params.id as string;
  let row: Row | undefined;
  if (DIGITS.test(id)) row = call.state.db.table(def.key).get(Number(id));
  else if (def.key === 'members') {
    const hit = call.state.db.table('members').lookup('identifier', id);
    row = hit ? [...hit][0] : undefined;
  }
  if (!row || !belongs(def, row, params.parentId)) throw errors.notFound(def.typeName, id);
  return row;
}

function listRows(
  call: ApiCall,
  def: TableDef,
  table: Table,
  source: readonly Row[] | undefined,
  body?: Record<string, unknown>,
): Reply & { raw: Buffer } {
  const text = (name: string) => (body && typeof body[name] === 'string' ? (body[name] as string) : q(call, name));
  const page = paging(call, body ?? {});
  const params = {
    conditions: text('conditions'),
    childConditions: text('childConditions'),
    customFieldConditions: text('customFieldConditions'),
    orderBy: text('orderBy'),
  };
  if (page.forwardOnly && params.orderBy?.trim()) {
    throw errors.badRequest('orderBy is not supported with forward-only pagination (pagination-type: forward-only).');
  }
  const compiled = withConditionErrors(() => compileQuery(call.state.db, def, params));
  const result = runQuery(table, source, compiled, page);
  const tree = fieldsTree(call, body?.fields);
  const headers: Record<string, string> = {};
  if (!body) {
    headers.Link = page.forwardOnly
      ? forwardLink(call, result.rows)
      : navigableLink(call, page.page, page.pageSize, result.total ?? 0);
  }
  return { status: 200, raw: Buffer.from(JSON.stringify(result.rows.map((r) => shape(call, def, r, tree)))), headers };
}

/** A list page through the simulator's page cache (GET only; the key is the whole request URL). */
function cachedListRows(call: ApiCall, answer: () => Reply & { raw: Buffer }): Reply {
  const key = `${call.apiBase}\n${call.req.url}\n${header(call.req, 'pagination-type') ?? ''}`;
  return call.state.pages.get(call.state.db, key, answer);
}

function countRows(call: ApiCall, def: TableDef, table: Table, source: readonly Row[] | undefined): Reply {
  const compiled = withConditionErrors(() =>
    compileQuery(call.state.db, def, {
      conditions: q(call, 'conditions'),
      childConditions: q(call, 'childConditions'),
      customFieldConditions: q(call, 'customFieldConditions'),
    }),
  );
  return { status: 200, body: { count: countQuery(table, source, compiled) } };
}

function removeCascade(call: ApiCall, def: TableDef, id: number): void {
  for (const child of TABLES) {
    if (child.parent?.table !== def.key || child.virtual) continue;
    const t = call.state.db.table(child.key);
    for (const r of [...(t.lookup(child.parent.field, id) ?? [])]) t.remove(r.id);
  }
  if (def.key === 'tickets') call.state.db.ticketConfigurations.delete(id);
}

function crudRoutes(def: TableDef): Route[] {
  const base = def.path.split('/').map((s) => (s === '{parentId}' ? ':parentId' : s));
  const table = (call: ApiCall) => call.state.db.table(def.key);
  const routes: Route[] = [
    {
      segs: base,
      template: def.path,
      methods: {
        get: (call, p) =>
          cachedListRows(call, () => listRows(call, def, table(call), parentRows(call, def, p.parentId))),
        post: async (call, p) => {
          parentRows(call, def, p.parentId);
          const body = await jsonBody(call);
          const result = withInvalidObject(() =>
            buildCreate(writeContext(call), def, body, p.parentId === undefined ? undefined : Number(p.parentId)),
          );
          const t = table(call);
          const row: Row = { ...result.row, id: t.nextId };
          if (def.key === 'callbacks') row.memberId = memberIdOf(call, call.principal.member);
          t.insert(row);
          let saved: Row = row;
          if (def.key === 'companies') saved = createMainSite(call, row, result.siteName ?? 'Main');
          afterWrite(call, def, 'added', saved, result);
          return { status: 201, body: shape(call, def, saved) };
        },
      },
    },
    {
      segs: [...base, 'count'],
      template: `${def.path}/count`,
      methods: { get: (call, p) => countRows(call, def, table(call), parentRows(call, def, p.parentId)) },
    },
    {
      segs: [...base, def.key === 'members' ? ':member' : ':id'],
      template: `${def.path}/{id}`,
      methods: {
        get: (call, p) => ({
          status: 200,
          body: shape(call, def, findRow(call, def, { ...p, id: p.id ?? p.member ?? '' })),
        }),
        put: async (call, p) => {
          const existing = findRow(call, def, { ...p, id: p.id ?? p.member ?? '' });
          const body = await jsonBody(call);
          const result = withInvalidObject(() => buildReplace(writeContext(call), def, existing, body));
          table(call).replace(result.row);
          afterWrite(call, def, 'updated', result.row, result);
          return { status: 200, body: shape(call, def, result.row) };
        },
        patch: async (call, p) => {
          const existing = findRow(call, def, { ...p, id: p.id ?? p.member ?? '' });
          const body = await jsonBody(call);
          const result = withInvalidObject(() => buildPatch(writeContext(call), def, existing, body));
          table(call).replace(result.row);
          afterWrite(call, def, 'updated', result.row, result);
          return { status: 200, body: shape(call, def, result.row) };
        },
        delete: (call, p) => {
          const existing = findRow(call, def, { ...p, id: p.id ?? p.member ?? '' });
          table(call).remove(existing.id);
          removeCascade(call, def, existing.id);
          afterWrite(call, def, 'deleted', existing);
          return { status: 204 };
        },
      },
    },
  ];
  if (def.key === 'tickets') {
    routes.push({
      segs: [...base, 'search'],
      template: `${def.path}/search`,
      methods: {
        post: async (call) => {
          const body = (await jsonBody(call)) ?? {};
          if (typeof body !== 'object' || Array.isArray(body))
            throw errors.badRequest('The search body must be a JSON object.');
          return listRows(call, def, table(call), undefined, body as Record<string, unknown>);
        },
      },
    });
  }
  return routes;
}

/** CW creates a company's main site from the `site.name` given on POST and the company's address. */
function createMainSite(call: ApiCall, company: Row, name: string): Row {
  const sites = call.state.db.table('sites');
  const site: Row = {
    id: sites.nextId,
    _lu: company._lu,
    _de: company._de,
    _ub: company._ub,
    _eb: company._eb,
    name,
    company: { id: company.id },
    primaryAddressFlag: true,
    defaultBillingFlag: true,
    defaultShippingFlag: true,
    inactiveFlag: false,
  };
  for (const f of ['addressLine1', 'addressLine2', 'city', 'state', 'zip', 'phoneNumber']) {
    if (company[f] !== undefined) site[f] = company[f];
  }
  sites.insert(site);
  const next = { ...company, site: { id: site.id } };
  call.state.db.table('companies').replace(next);
  return next;
}

// ---------------------------------------------------------------- contact communications (stored inside contacts)

const COMM_DEF = tableDef('contactCommunications');

function communicationRows(contact: Row): Row[] {
  const items = (contact.communicationItems as Record<string, unknown>[] | undefined) ?? [];
  return items.map((item) => ({
    ...item,
    id: item.id as number,
    contactId: contact.id,
    _lu: contact._lu,
    _de: contact._de,
    _ub: contact._ub,
    _eb: contact._eb,
  }));
}

function contactOf(call: ApiCall, parentId: string): Row {
  const contact = call.state.db.table('contacts').get(Number(parentId));
  if (!contact) throw errors.notFound('Contact', parentId);
  return contact;
}

function commTable(rows: Row[]): Table {
  const t = new Table(COMM_DEF);
  t.bulkLoad(rows);
  return t;
}

function saveItems(
  call: ApiCall,
  contact: Row,
  items: Record<string, unknown>[],
  changed: Record<string, unknown>,
): Row {
  if (changed.defaultFlag === true) {
    for (const item of items) {
      if (item !== changed && item.communicationType === changed.communicationType && item.defaultFlag === true) {
        Object.assign(item, { defaultFlag: false });
      }
    }
  }
  const now = call.state.clock.now();
  const next: Row = {
    ...contact,
    communicationItems: items,
    _lu: Math.max(Math.floor(now / 1000) * 1000, contact._lu + 1000),
    _ub: call.principal.member,
  };
  call.state.db.table('contacts').replace(next);
  afterWrite(call, tableDef('contacts'), 'updated', next);
  return next;
}

function communicationRoutes(): Route[] {
  const base = ['company', 'contacts', ':parentId', 'communications'];
  const findItem = (call: ApiCall, p: Record<string, string>) => {
    const contact = contactOf(call, p.parentId as string);
    const row = communicationRows(contact).find((r) => r.id === Number(p.id));
    if (!row) throw errors.notFound(COMM_DEF.typeName, p.id as string);
    return { contact, row };
  };
  const finishItem = (call: ApiCall, row: Row) => finishCommunicationItem(call.state.db, toItemRaw(row));
  const respond = (call: ApiCall, contact: Row, id: number, status: number): Reply => {
    const row = communicationRows(contact).find((r) => r.id === id) as Row;
    return { status, body: shape(call, COMM_DEF, row) };
  };
  return [
    {
      segs: base,
      template: COMM_DEF.path,
      methods: {
        get: (call, p) => {
          const rows = communicationRows(contactOf(call, p.parentId as string));
          return listRows(call, COMM_DEF, commTable(rows), rows);
        },
        post: async (call, p) => {
          const contact = contactOf(call, p.parentId as string);
          const body = await jsonBody(call);
          const result = withInvalidObject(() => buildCreate(writeContext(call), COMM_DEF, body, contact.id));
          const item = finishItem(call, { ...result.row, id: call.state.db.nextCommunicationId++ });
          const items = [
            ...((contact.communicationItems as Record<string, unknown>[] | undefined) ?? []).map((i) => ({ ...i })),
            item,
          ];
          const saved = saveItems(call, contact, items, item);
          return respond(call, saved, item.id as number, 201);
        },
      },
    },
    {
      segs: [...base, 'count'],
      template: `${COMM_DEF.path}/count`,
      methods: {
        get: (call, p) => {
          const rows = communicationRows(contactOf(call, p.parentId as string));
          return countRows(call, COMM_DEF, commTable(rows), rows);
        },
      },
    },
    {
      segs: [...base, ':id'],
      template: `${COMM_DEF.path}/{id}`,
      methods: {
        get: (call, p) => ({ status: 200, body: shape(call, COMM_DEF, findItem(call, p).row) }),
        put: async (call, p) => replaceItem(call, p, (ctx, row, body) => buildReplace(ctx, COMM_DEF, row, body)),
        patch: async (call, p) => replaceItem(call, p, (ctx, row, body) => buildPatch(ctx, COMM_DEF, row, body)),
        delete: (call, p) => {
          const { contact, row } = findItem(call, p);
          const items = ((contact.communicationItems as Record<string, unknown>[]) ?? []).filter(
            (i) => i.id !== row.id,
          );
          saveItems(call, contact, items, {});
          return { status: 204 };
        },
      },
    },
  ];

  async function replaceItem(
    call: ApiCall,
    p: Record<string, string>,
    build: (ctx: WriteContext, row: Row, body: unknown) => WriteResult,
  ): Promise<Reply> {
    const { contact, row } = findItem(call, p);
    const body = await jsonBody(call);
    const result = withInvalidObject(() => build(writeContext(call), row, body));
    const item = finishItem(call, result.row);
    const items = ((contact.communicationItems as Record<string, unknown>[]) ?? []).map((i) =>
      i.id === row.id ? item : { ...i },
    );
    const saved = saveItems(call, contact, items, item);
    return respond(call, saved, row.id, 200);
  }
}

function toItemRaw(row: Row): Record<string, unknown> {
  const item: Record<string, unknown> = { id: row.id };
  for (const k of ['type', 'value', 'extension', 'defaultFlag', 'communicationType', 'mobileGuid']) {
    if (row[k] !== undefined) item[k] = row[k];
  }
  return item;
}

// ---------------------------------------------------------------- ticket ↔ configuration associations

function ticketConfigurationRoutes(): Route[] {
  const base = ['service', 'tickets', ':parentId', 'configurations'];
  const cfgDef = tableDef('configurations');
  const linked = (call: ApiCall, parentId: string) => {
    const id = Number(parentId);
    if (!call.state.db.table('tickets').get(id)) throw errors.notFound('Ticket', parentId);
    const cfgs = call.state.db.table('configurations');
    return (call.state.db.ticketConfigurations.get(id) ?? [])
      .map((c) => cfgs.get(c))
      .filter((r): r is Row => r !== undefined)
      .sort((a, b) => a.id - b.id);
  };
  return [
    {
      segs: base,
      template: 'service/tickets/{parentId}/configurations',
      methods: {
        get: (call, p) =>
          listRows(call, cfgDef, call.state.db.table('configurations'), linked(call, p.parentId as string)),
        post: async (call, p) => {
          linked(call, p.parentId as string);
          const body = (await jsonBody(call)) as { id?: unknown } | undefined;
          const cfg = call.state.db.table('configurations').get(Number(body?.id));
          if (!cfg) {
            throw errors.invalidObject('configurationReference', [
              {
                code: 'NotFound',
                message: `Configuration ${String(body?.id)} not found`,
                resource: 'configurationReference',
                field: 'id',
              },
            ]);
          }
          const list = call.state.db.ticketConfigurations.get(Number(p.parentId)) ?? [];
          if (!list.includes(cfg.id)) list.push(cfg.id);
          call.state.db.ticketConfigurations.set(Number(p.parentId), list);
          call.state.changed();
          return { status: 201, body: shape(call, cfgDef, cfg) };
        },
      },
    },
    {
      segs: [...base, 'count'],
      template: 'service/tickets/{parentId}/configurations/count',
      methods: { get: (call, p) => ({ status: 200, body: { count: linked(call, p.parentId as string).length } }) },
    },
    {
      segs: [...base, ':id'],
      template: 'service/tickets/{parentId}/configurations/{id}',
      methods: {
        get: (call, p) => {
          const row = linked(call, p.parentId as string).find((r) => r.id === Number(p.id));
          if (!row) throw errors.notFound('Configuration', p.id as string);
          return { status: 200, body: shape(call, cfgDef, row) };
        },
        delete: (call, p) => {
          const list = call.state.db.ticketConfigurations.get(Number(p.parentId)) ?? [];
          if (!list.includes(Number(p.id))) throw errors.notFound('Configuration', p.id as string);
          call.state.db.ticketConfigurations.set(
            Number(p.parentId),
            list.filter((x) => x !== Number(p.id)),
          );
          call.state.changed();
          return { status: 204 };
        },
      },
    },
  ];
}

// ---------------------------------------------------------------- system

function systemRoutes(): Route[] {
  return [
    {
      segs: ['system', 'info'],
      template: 'system/info',
      methods: {
        get: () => ({
          status: 200,
          body: {
            version: `v${CURRENT_VERSION.major}.${CURRENT_VERSION.minor}.${CURRENT_VERSION.build}`,
            isCloud: false,
            serverTimeZone: 'Eastern Standard Time',
            licenseBits: [
              { name: 'CRM', activeFlag: true },
              { name: 'Service', activeFlag: true },
              { name: 'Sales', activeFlag: true },
              { name: 'Time', activeFlag: true },
            ],
            cloudRegion: 'NA',
            maxWorkFlowRecordsAllowed: 5000,
          },
        }),
      },
    },
    {
      segs: ['system', 'members', ':member', 'tokens'],
      template: 'system/members/{memberIdentifier}/tokens',
      methods: {
        post: async (call, p) => {
          const body = ((await jsonBody(call)) ?? {}) as { memberIdentifier?: unknown };
          const ident =
            typeof body.memberIdentifier === 'string' && body.memberIdentifier
              ? body.memberIdentifier
              : (p.member as string);
          const hit = call.state.db.table('members').lookup('identifier', ident);
          const member = hit ? [...hit][0] : undefined;
          if (!member) throw errors.notFound('Member', ident);
          const userType = (header(call.req, 'x-cw-usertype') ?? 'member').toLowerCase();
          if (userType !== 'member' && userType !== 'integrator') {
            throw errors.badRequest(`x-cw-usertype '${userType}' is not valid; use member or integrator.`);
          }
          const token = call.state.keys.issueToken(
            String(member.identifier),
            'admin',
            call.state.config.tokenTtlSeconds,
          );
          return {
            status: 201,
            body: { publicKey: token.publicKey, privateKey: token.privateKey, expiration: isoDate(token.expires) },
          };
        },
      },
    },
  ];
}

// ---------------------------------------------------------------- router

export const ROUTES: Route[] = [
  ...systemRoutes(),
  ...communicationRoutes(),
  ...ticketConfigurationRoutes(),
  ...TABLES.filter((t) => !t.virtual).flatMap(crudRoutes),
];

function matchRoute(segs: string[]): { route: Route; params: Record<string, string> } | undefined {
  let best: { route: Route; params: Record<string, string>; score: number } | undefined;
  for (const route of ROUTES) {
    if (route.segs.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let score = 0;
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      const want = route.segs[i] as string;
      const got = segs[i] as string;
      if (want.startsWith(':')) {
        if (want !== ':member' && !DIGITS.test(got)) ok = false;
        params[want.slice(1)] = got;
      } else if (want.toLowerCase() === got.toLowerCase()) score++;
      else ok = false;
    }
    if (ok && (!best || score > best.score)) best = { route, params, score };
  }
  return best;
}

/** Route template for stats, e.g. `GET /company/contacts/{id}`. */
export function routeTemplate(method: string, resourcePath: string): string {
  const segs = resourcePath.split('/').filter(Boolean);
  const m = matchRoute(segs);
  return `${method} /${m ? m.route.template : segs.join('/')}`;
}

export interface ApiRequest {
  state: SandboxState;
  req: IncomingMessage;
  /** Path after `apis/3.0/`. */
  resourcePath: string;
  query: ParsedQuery;
  apiBase: string;
  selfUrl: string;
}

/** Parses `Accept: application/vnd.connectwise.com+json; version=2022.1[, …]`; absent ⇒ latest. */
export function requestedVersion(accept: string | undefined): number {
  const latest = CURRENT_VERSION.major * 100 + CURRENT_VERSION.minor;
  const m = /version\s*=\s*"?(\d{4})\.(\d{1,2})/i.exec(accept ?? '');
  if (!m) return latest;
  return Math.min(latest, Number(m[1]) * 100 + Number(m[2]));
}

/** Handles one apis/3.0 call after faults: clientId, auth, routing, permissions. */
export async function handleApi(r: ApiRequest): Promise<Reply> {
  const { state, req } = r;
  const method = (req.method ?? 'GET').toUpperCase();
  const config = state.config;
  if (config.clientIdRequired) {
    const clientId = header(req, 'clientid');
    if (!clientId) {
      throw clientIdError(
        config.clientIdErrorStatus,
        "A clientId header is required. Register an integration at developer.connectwise.com and send its id in the 'clientId' header.",
      );
    }
    if (config.clientIds !== 'any' && !config.clientIds.has(clientId.toLowerCase())) {
      throw clientIdError(config.clientIdErrorStatus, `The clientId '${clientId}' is not registered for this site.`);
    }
  }
  const principal = state.keys.authenticate(header(req, 'authorization'));
  const segs = r.resourcePath.split('/').filter(Boolean);
  const match = matchRoute(segs);
  if (!match) throw errors.endpointMissing();
  const handler = match.route.methods[method.toLowerCase() as Method];
  if (!handler)
    throw errors.methodNotAllowed(
      method,
      Object.keys(match.route.methods).map((m) => m.toUpperCase()),
    );
  authorize(principal, method, segs.join('/'));
  const call: ApiCall = {
    state,
    req,
    method,
    query: r.query,
    principal,
    version: requestedVersion(header(req, 'accept')),
    apiBase: r.apiBase,
    selfUrl: r.selfUrl,
  };
  try {
    return await handler(call, match.params);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof InvalidObjectError) throw errors.invalidObject(e.resource, e.errors);
    if (e instanceof ConditionError) throw errors.badConditions(e.message);
    throw e;
  }
}
