// The hub over a transformation: /hubs/{hub}/{name}[/{id}] where {name} is a common resource (or a vendor object
// with a transformation of its own name). One preHandler on the hub's wildcard routes: reads map vendor → common,
// writes map common → vendor and the answer forward again, and where/orderBy/fields are rewritten into vendor
// names first so that the existing CEQL → ConnectWise translation still pushes them down.
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type Addressed,
  countRecords,
  createRecord,
  deleteRecord,
  encodePageToken,
  explainRequest,
  getOne,
  listPage,
  planCreate,
  planUpdate,
  prepareCount,
  prepareGet,
  prepareList,
  replaceRecord,
  updateRecord,
} from '../../../engine/index.ts';
import { type AppError, AppFailure, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { type CompiledTransformation, isFilteredOut, type Mapped } from '../../../transform/index.ts';
import { transformationFor } from '../../../transformations/resolve.ts';
import { hubFailure, hubInstance } from '../hub/instance.ts';
import { addressedTarget } from '../hub/target.ts';

type Query = {
  where?: string;
  orderBy?: string;
  fields?: string;
  page?: number;
  pageSize?: number;
  nextPage?: string;
  includeTotalCount?: boolean;
  explain?: boolean;
};

/** A mapping failure of one record as the API error: which transformation, which record, which script line. */
export function mappingFailure(
  t: CompiledTransformation,
  error: Extract<Mapped, { ok: false }>['error'],
  index?: number,
): AppError {
  const where = index === undefined ? '' : ` on record ${index}`;
  const line = error.line !== undefined ? ` at line ${error.line}` : '';
  return appError(
    'TRANSFORMATION_FAILED',
    `Transformation ${t.name} failed${where}: ${error.code}${line}: ${error.message}`,
    {
      field: error.line !== undefined ? `script.body:${error.line}` : 'script.body',
    },
  );
}

/** Common-name where/orderBy/fields → vendor names; a field no vendor condition can express is a 400 naming it. */
function vendorQuery(t: CompiledTransformation, q: Query) {
  const parts = {
    ...(q.where !== undefined ? { where: q.where } : {}),
    ...(q.orderBy !== undefined ? { orderBy: q.orderBy } : {}),
    ...(q.fields !== undefined ? { fields: q.fields } : {}),
  };
  const translated = t.translateQuery(parts);
  if (!translated.ok) {
    throw new AppFailure(
      appError('QUERY_UNSUPPORTED', `${translated.error.field}: ${translated.error.message}`, {
        field: translated.error.field,
      }),
    );
  }
  return { common: parts, vendor: translated.value };
}

async function mapOne(t: CompiledTransformation, record: unknown): Promise<Record<string, unknown>> {
  const [mapped] = await t.toCommon([record]);
  if (!mapped) throw new AppFailure(appError('INTERNAL', 'the transformation returned no record'));
  if (!mapped.ok) throw new AppFailure(mappingFailure(t, mapped.error));
  return mapped.value;
}

function mapBack(t: CompiledTransformation, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppFailure(
      appError('VALIDATION_FAILED', `The body of a ${t.name} write is one JSON object`, { field: 'body' }),
    );
  }
  const mapped = t.toVendor(body as Record<string, unknown>);
  if (!mapped.ok) {
    throw new AppFailure(
      appError('VALIDATION_FAILED', `${t.name} → ${t.vendorName}: ${mapped.error.message}`, { field: 'body' }),
    );
  }
  return mapped.value;
}

const sendJson = (reply: FastifyReply, value: unknown) =>
  reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(value));

function explained(t: CompiledTransformation, request: unknown, extra: Record<string, unknown>) {
  return { transformation: { name: t.name, vendorName: t.vendorName, ...extra }, ...(request as object) };
}

async function handleMapped(
  deps: PlatformDeps,
  t: CompiledTransformation,
  rest: string[],
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const call = await hubInstance(deps, request, reply);
  const target: Addressed = addressedTarget(deps, call, [t.vendorName, ...rest].join('/'));
  if (target.endpoint.child) {
    throw new AppFailure(
      appError(
        'NOT_FOUND',
        `${t.name} maps ${t.vendorName} records only; address its children at /hubs/{hub}/${t.vendorName}/…`,
      ),
    );
  }
  const q = request.query as Query;
  const fail = (e: AppError) => hubFailure(deps, call, e);

  if (request.method === 'GET') {
    const { common, vendor } = vendorQuery(t, q);
    const read = vendor.where !== undefined ? { where: vendor.where } : {};
    if (target.id !== undefined) {
      if (q.explain) {
        const p = unwrap(prepareGet(call.engine, call.instance, target, vendor.fields));
        return sendJson(reply, explained(t, explainRequest(p.ctx, 'GET', p.pathAndQuery), { common, vendor }));
      }
      const record = await getOne(call.engine, call.instance, target, vendor.fields);
      if (!record.ok) return fail(record.error);
      return sendJson(reply, await mapOne(t, record.value));
    }
    if (target.count) {
      if (q.explain) {
        const p = unwrap(prepareCount(call.engine, call.instance, target, read));
        return sendJson(reply, explained(t, explainRequest(p.ctx, 'GET', p.pathAndQuery), { common, vendor }));
      }
      const counted = await countRecords(call.engine, call.instance, target, read);
      if (!counted.ok) return fail(counted.error);
      return sendJson(reply, counted.value);
    }
    const prepared = unwrap(
      prepareList(call.engine, call.instance, target, {
        ...vendor,
        ...(q.page !== undefined ? { page: q.page } : {}),
        ...(q.pageSize !== undefined ? { pageSize: q.pageSize } : {}),
        ...(q.nextPage ? { nextPage: q.nextPage } : {}),
      }),
    );
    if (q.explain) {
      return sendJson(
        reply,
        explained(t, explainRequest(prepared.ctx, 'GET', prepared.pathAndQuery), { common, vendor }),
      );
    }
    const total = q.includeTotalCount ? countRecords(call.engine, call.instance, target, read) : undefined;
    const page = await listPage(call.engine, call.instance, prepared);
    if (!page.ok) return fail(page.error);
    const json = page.value.json;
    const records = JSON.parse(typeof json === 'string' ? json : Buffer.concat(json).toString('utf8')) as unknown[];
    const mapped = await t.toCommon(records);
    const out: Record<string, unknown>[] = [];
    for (const [i, m] of mapped.entries()) {
      // Lists stay honest: one record that cannot be mapped fails the page, naming it (no silent gaps).
      if (!m.ok) throw new AppFailure(mappingFailure(t, m.error, i));
      // script.filterEmptyResponse: a record the script emptied is left out of the page.
      if (!isFilteredOut(m)) out.push(m.value);
    }
    if (total) {
      const counted = await total;
      if (!counted.ok) return fail(counted.error);
      reply.header('Elements-Total-Count', String(counted.value.count));
    }
    const { hasMore, window } = page.value;
    reply.header('Elements-Returned-Count', String(out.length));
    reply.header(
      'Elements-Next-Page-Token',
      hasMore ? encodePageToken({ page: window.page + 1, pageSize: window.pageSize }) : '',
    );
    return sendJson(reply, out);
  }

  if (target.count || target.endpoint.name === 'pass-through') {
    throw new AppFailure(appError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on /${t.name}/count`));
  }
  const needsId = request.method !== 'POST';
  if (needsId && target.id === undefined) {
    throw new AppFailure(appError('METHOD_NOT_ALLOWED', `${request.method} needs a record id: /${t.name}/{id}`));
  }
  if (!needsId && target.id !== undefined) {
    throw new AppFailure(appError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on a single record`));
  }
  if (request.method === 'DELETE') {
    const deleted = await deleteRecord(call.engine, call.instance, target);
    if (!deleted.ok) return fail(deleted.error);
    return reply.code(200).send('');
  }
  const body = mapBack(t, request.body);
  if (q.explain && (request.method === 'POST' || request.method === 'PATCH')) {
    const plan = unwrap(
      request.method === 'POST'
        ? planCreate(call.engine, call.instance, target, body)
        : planUpdate(call.engine, call.instance, target, body),
    );
    return sendJson(
      reply,
      explained(t, explainRequest(plan.ctx, plan.method, plan.pathAndQuery, plan.body), {
        common: request.body,
        vendor: body,
      }),
    );
  }
  let written: Awaited<ReturnType<typeof createRecord>>;
  if (request.method === 'POST') {
    const key = request.headers['idempotency-key'];
    if (Array.isArray(key) || (key !== undefined && (key.length === 0 || key.length > 255))) {
      throw new AppFailure(
        appError('INVALID_PARAMETER', 'Idempotency-Key must be one value of 1 to 255 characters', {
          field: 'Idempotency-Key',
        }),
      );
    }
    written = await createRecord(call.engine, call.instance, target, body, key);
  } else if (request.method === 'PUT') {
    written = await replaceRecord(call.engine, call.instance, target, body);
  } else {
    written = await updateRecord(call.engine, call.instance, target, body);
  }
  if (!written.ok) return fail(written.error);
  return sendJson(reply, await mapOne(t, written.value));
}

/**
 * preHandler of the hub's `/hubs/{hub}/*` routes: when the first segment names a transformation that applies to
 * the calling instance, answers the call through it; otherwise leaves the call to the hub untouched.
 */
export function transformedHubCalls(deps: PlatformDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.routeOptions.url?.endsWith('/hubs/:hub/*')) return;
    const instance = request.principal?.instance;
    if (!instance) return;
    const [head, ...rest] = ((request.params as { '*'?: string })['*'] ?? '').split('/');
    if (!head) return;
    let t: CompiledTransformation | undefined;
    try {
      t = await transformationFor(deps, instance.id, head);
    } catch (err) {
      throw new AppFailure(
        appError('TRANSFORMATION_FAILED', `Transformation ${head} cannot be compiled: ${(err as Error).message}`),
      );
    }
    if (!t) return;
    await handleMapped(deps, t, rest, request, reply);
    return reply;
  };
}
