// Hub reads: list (one vendor call per hub page), get, count, and the explain view of the vendor request.
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { chunksInclude, chunksLength, firstByte } from './chunks.ts';
import { type InstanceContext, instanceContext } from './context.ts';
import { memoPerOwner } from './memo.ts';
import { linkHasNext, type PageWindow, pageWindow } from './paging.ts';
import { type ReadQuery, vendorQueryString } from './query.ts';
import { type Addressed, checkMethod, type Endpoint } from './resolve.ts';
import { stripNulls } from './shape.ts';
import { redactHeaders } from './trace.ts';
import type { EngineDeps, EngineInstance, ListQuery } from './types.ts';
import { parseVendorJson, sendVendor, vendorUrl } from './vendor.ts';

export interface PreparedList {
  ctx: InstanceContext;
  window: PageWindow;
  pathAndQuery: string;
}

type ListRequest = Result<{ window: PageWindow; pathAndQuery: string }>;
const listRequests = memoPerOwner<Endpoint, ListRequest>(1_000);

/** The vendor path and page window of a list; the same query on the same endpoint is translated once. */
function listRequest(ctx: InstanceContext, e: Endpoint, query: ListQuery): ListRequest {
  const { where, orderBy, fields, page, pageSize, nextPage } = query;
  const key = JSON.stringify([ctx.pageMax, where, orderBy, fields, page, pageSize, nextPage]);
  return listRequests(e, key, () => {
    const window = pageWindow(query, ctx.pageMax);
    if (!window.ok) return window;
    const qs = vendorQueryString(ctx.def, e.schema, query, {
      window: window.value,
      idField: e.idField,
      ...(e.parentFilter ? { parentFilter: e.parentFilter } : {}),
    });
    return qs.ok ? ok({ window: window.value, pathAndQuery: `${e.vendorPath}?${qs.value}` }) : qs;
  });
}

export function prepareList(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: ListQuery,
): Result<PreparedList> {
  const allowed = checkMethod(target.endpoint, 'list');
  if (!allowed.ok) return allowed;
  const context = instanceContext(deps, instance);
  if (!context.ok) return context;
  const ctx = context.value;
  const request = listRequest(ctx, target.endpoint, query);
  if (!request.ok) return request;
  return ok({ ctx, window: request.value.window, pathAndQuery: request.value.pathAndQuery });
}

/** The vendor request a hub call would send (`explain=true`), credentials redacted. */
export function explainRequest(ctx: InstanceContext, method: string, pathAndQuery: string, body?: unknown) {
  const url = vendorUrl(ctx, pathAndQuery);
  const parsed = new URL(url);
  return {
    method,
    url,
    path: parsed.pathname,
    query: Object.fromEntries(parsed.searchParams),
    headers: redactHeaders(body === undefined ? ctx.headers : ctx.writeHeaders),
    ...(body !== undefined ? { body } : {}),
  };
}

export interface ListPage {
  /**
   * The page as JSON, ready to send (nulls already filtered when the instance asks for it): text, or the vendor's
   * own chunks when the page needed no reshaping.
   */
  json: string | readonly Buffer[];
  count: number;
  hasMore: boolean;
  window: PageWindow;
  vendorRequest: string;
}

const NULL = Buffer.from('null');

function countTopLevel(records: unknown): Result<number> {
  return Array.isArray(records)
    ? ok(records.length)
    : fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
}

/**
 * One hub page = one vendor call. The JSON is re-serialised only when nulls must be removed and the vendor text
 * holds a null; a full page (the vendor links a next page) is counted without parsing it.
 */
export async function listPage(
  deps: EngineDeps,
  instance: EngineInstance,
  prepared: PreparedList,
): Promise<Result<ListPage>> {
  const { ctx, window, pathAndQuery } = prepared;
  const sent = await sendVendor(deps, instance, ctx, { method: 'GET', pathAndQuery });
  if (!sent.ok) return sent;
  const res = sent.value;
  const empty = chunksLength(res.chunks) === 0;
  const linkNext = linkHasNext(res.headers.link);
  const vendorRequest = `GET ${pathAndQuery}`;
  // The upstream client scanned the bytes (far cheaper than decoding them) and verified the page is whole; an
  // unscanned body (not labelled JSON) is parsed, so it is never forwarded unchecked.
  const scan = res.scan;
  const mustFilter = ctx.filterNulls && (scan ? scan.hasNull : chunksInclude(res.chunks, NULL));
  if (scan?.complete && !mustFilter && linkNext === true && firstByte(res.chunks) === 0x5b /* [ */) {
    return ok({ json: res.chunks, count: window.pageSize, hasMore: true, window, vendorRequest });
  }
  const parsed = parseVendorJson(empty ? '[]' : res.body);
  if (!parsed.ok) return parsed;
  const count = countTopLevel(parsed.value);
  if (!count.ok) return count;
  const hasMore = linkNext ?? count.value >= window.pageSize;
  const json = mustFilter ? JSON.stringify(stripNulls(parsed.value)) : empty ? '[]' : res.chunks;
  return ok({ json, count: count.value, hasMore, window, vendorRequest });
}

/** Lists records as objects (pollers, bulk): same vendor call as the hub's page. */
export async function listParsed(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: ListQuery,
): Promise<Result<{ records: Array<Record<string, unknown>>; hasMore: boolean; vendorRequest: string }>> {
  const prepared = prepareList(deps, instance, target, query);
  if (!prepared.ok) return prepared;
  const { ctx, window, pathAndQuery } = prepared.value;
  const sent = await sendVendor(deps, instance, ctx, { method: 'GET', pathAndQuery });
  if (!sent.ok) return sent;
  const parsed = parseVendorJson(sent.value.body.trim() === '' ? '[]' : sent.value.body);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value))
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a list call with something other than an array'));
  const records = (ctx.filterNulls ? stripNulls(parsed.value) : parsed.value) as Array<Record<string, unknown>>;
  const hasMore = linkHasNext(sent.value.headers.link) ?? records.length >= window.pageSize;
  return ok({ records, hasMore, vendorRequest: `GET ${pathAndQuery}` });
}

export function prepareCount(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: ReadQuery,
): Result<{ ctx: InstanceContext; pathAndQuery: string }> {
  const allowed = checkMethod(target.endpoint, target.endpoint.methods.has('count') ? 'count' : 'list');
  if (!allowed.ok) return allowed;
  const context = instanceContext(deps, instance);
  if (!context.ok) return context;
  const e = target.endpoint;
  const qs = vendorQueryString(
    context.value.def,
    e.schema,
    { ...(query.where ? { where: query.where } : {}) },
    {
      forCount: true,
      ...(e.parentFilter ? { parentFilter: e.parentFilter } : {}),
    },
  );
  if (!qs.ok) return qs;
  const suffix = context.value.def.paging.countSuffix;
  return ok({ ctx: context.value, pathAndQuery: `${e.vendorPath}${suffix}${qs.value ? `?${qs.value}` : ''}` });
}

/** `GET …/count` → `{count}` (ConnectWise's own count, same conditions as the list). */
export async function countRecords(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  query: ReadQuery,
): Promise<Result<{ count: number }>> {
  const prepared = prepareCount(deps, instance, target, query);
  if (!prepared.ok) return prepared;
  const sent = await sendVendor(deps, instance, prepared.value.ctx, {
    method: 'GET',
    pathAndQuery: prepared.value.pathAndQuery,
  });
  if (!sent.ok) return sent;
  const parsed = parseVendorJson(sent.value.body);
  if (!parsed.ok) return parsed;
  const count = (parsed.value as { count?: unknown } | undefined)?.count;
  if (typeof count !== 'number') return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered /count without a count'));
  return ok({ count });
}

export function prepareGet(deps: EngineDeps, instance: EngineInstance, target: Addressed, fields?: string) {
  const allowed = checkMethod(target.endpoint, 'get');
  if (!allowed.ok) return allowed;
  const context = instanceContext(deps, instance);
  if (!context.ok) return context;
  const e = target.endpoint;
  const qs = vendorQueryString(context.value.def, e.schema, fields ? { fields } : {}, {});
  if (!qs.ok) return qs;
  return ok({ ctx: context.value, pathAndQuery: `${e.vendorPath}/${target.id}${qs.value ? `?${qs.value}` : ''}` });
}

/** One record; a child that the vendor lists flatly (time entries of a ticket) must belong to the parent. */
export async function getOne(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  fields?: string,
): Promise<Result<Record<string, unknown>>> {
  const prepared = prepareGet(deps, instance, target, fields);
  if (!prepared.ok) return prepared;
  const { ctx, pathAndQuery } = prepared.value;
  const raw = await getRaw(deps, instance, ctx, pathAndQuery);
  if (!raw.ok) return raw;
  return ok((ctx.filterNulls ? stripNulls(raw.value) : raw.value) as Record<string, unknown>);
}

export async function getRaw(
  deps: EngineDeps,
  instance: EngineInstance,
  ctx: InstanceContext,
  pathAndQuery: string,
): Promise<Result<Record<string, unknown>>> {
  const sent = await sendVendor(deps, instance, ctx, { method: 'GET', pathAndQuery });
  if (!sent.ok) return sent;
  const parsed = parseVendorJson(sent.value.body);
  if (!parsed.ok) return parsed;
  if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    return fail(appError('UPSTREAM_ERROR', 'ConnectWise answered a read with something other than an object'));
  }
  return ok(parsed.value as Record<string, unknown>);
}
