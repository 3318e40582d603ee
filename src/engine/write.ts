// Hub writes. ConnectWise answers 201/204 and replaces whole records on PUT; the hub answers 200 with the
// record (Cloud Elements), merges a partial PUT onto the current record, and turns PATCH objects into JSON-Patch.
import { createHash } from 'node:crypto';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
} from '../store/hub.ts';
import { type InstanceContext, instanceContext } from './context.ts';
import { getRaw } from './read.ts';
import { type Addressed, checkMethod, type Endpoint, type Operation } from './resolve.ts';
import { mergeForReplace, normalizeReferences, stripNulls, toJsonPatch } from './shape.ts';
import type { EngineDeps, EngineInstance } from './types.ts';
import { parseVendorJson, sendVendor } from './vendor.ts';

type Json = Record<string, unknown>;

export interface WritePlan {
  ctx: InstanceContext;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pathAndQuery: string;
  body?: unknown;
}

function objectBody(body: unknown): Result<Json> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return fail(appError('BAD_REQUEST', 'The request body must be a JSON object'));
  }
  return ok(body as Json);
}

function shaped(ctx: InstanceContext, value: unknown): Json {
  return (ctx.filterNulls ? stripNulls(value) : value) as Json;
}

function prepare(
  deps: EngineDeps,
  instance: EngineInstance,
  endpoint: Endpoint,
  op: Operation,
): Result<InstanceContext> {
  const allowed = checkMethod(endpoint, op);
  if (!allowed.ok) return allowed;
  return instanceContext(deps, instance);
}

/** Named functions the element's data refers to (`hook`); the registry in elements/ proves each name exists. */
const hooks: Record<
  string,
  (target: Addressed, body: Json) => Result<{ method: 'PATCH'; path: string; body: unknown }>
> = {
  /** POST /incidents/{id}/members: the member given by {id} or {identifier} becomes the ticket's owner. */
  assignTicketMember(target, body) {
    const member = (body.member && typeof body.member === 'object' ? body.member : body) as Json;
    const ref: Json = {};
    if (member.id !== undefined)
      ref.id = typeof member.id === 'string' && /^\d+$/.test(member.id) ? Number(member.id) : member.id;
    else if (typeof member.identifier === 'string') ref.identifier = member.identifier;
    else if (typeof member.name === 'string') ref.identifier = member.name;
    else
      return fail(
        appError('MISSING_PARAMETER', 'Give the member as {"id": …} or {"identifier": "…"}', { field: 'body.id' }),
      );
    return ok({
      method: 'PATCH',
      path: target.endpoint.vendorPath,
      body: [{ op: 'replace', path: 'owner', value: ref }],
    });
  },
};

export function hookNames(): string[] {
  return Object.keys(hooks);
}

/** The vendor call of a create (POST), without sending it (explain). */
export function planCreate(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  body: unknown,
): Result<WritePlan> {
  const ctx = prepare(deps, instance, target.endpoint, 'create');
  if (!ctx.ok) return ctx;
  const input = objectBody(body);
  if (!input.ok) return input;
  const hookName = target.endpoint.hook;
  if (hookName) {
    const hook = hooks[hookName];
    if (!hook) return fail(appError('INTERNAL', `element hook ${hookName} is missing`));
    const planned = hook(target, input.value);
    if (!planned.ok) return planned;
    return ok({
      ctx: ctx.value,
      method: planned.value.method,
      pathAndQuery: planned.value.path,
      body: planned.value.body,
    });
  }
  return ok({
    ctx: ctx.value,
    method: 'POST',
    pathAndQuery: target.endpoint.vendorPath,
    body: normalizeReferences(input.value),
  });
}

async function execute(deps: EngineDeps, instance: EngineInstance, plan: WritePlan): Promise<Result<Json>> {
  const sent = await sendVendor(deps, instance, plan.ctx, {
    method: plan.method,
    pathAndQuery: plan.pathAndQuery,
    ...(plan.body !== undefined ? { body: plan.body } : {}),
  });
  if (!sent.ok) return sent;
  const parsed = parseVendorJson(sent.value.body);
  if (!parsed.ok) return parsed;
  return ok(shaped(plan.ctx, parsed.value ?? {}));
}

const requestHash = (body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

/**
 * POST. With an Idempotency-Key the first request claims the key and stores its answer; a retry with the same
 * body gets that answer without a second vendor POST, a different body gets 422.
 */
export async function createRecord(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  body: unknown,
  idempotencyKey?: string,
): Promise<Result<Json>> {
  const plan = planCreate(deps, instance, target, body);
  if (!plan.ok) return plan;
  if (!idempotencyKey || !deps.store) return execute(deps, instance, plan.value);
  const db = deps.store.db;
  const key = `${target.endpoint.name}:${target.endpoint.parentId ?? ''}:${idempotencyKey}`;
  const hash = requestHash(body);
  if (!(await claimIdempotencyKey(db, instance.id, key, hash))) {
    const existing = await findIdempotencyKey(db, instance.id, key);
    if (existing && existing.requestHash !== hash) {
      return fail(
        appError('IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was used with a different request body', {
          field: 'Idempotency-Key',
        }),
      );
    }
    if (existing?.state === 'done' && existing.responseBody !== null)
      return ok(JSON.parse(existing.responseBody) as Json);
    return fail(
      appError('CONFLICT', 'A request with this Idempotency-Key is still in progress; retry shortly', {
        retryable: true,
      }),
    );
  }
  const result = await execute(deps, instance, plan.value);
  if (result.ok) await completeIdempotencyKey(db, instance.id, key, JSON.stringify(result.value));
  else await releaseIdempotencyKey(db, instance.id, key);
  return result;
}

/** PUT: read the current record, lay the body over it, write the whole record (ConnectWise PUT replaces). */
export async function replaceRecord(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  body: unknown,
): Promise<Result<Json>> {
  if (target.endpoint.methods.has('attach') && !target.endpoint.methods.has('replace'))
    return attach(deps, instance, target, body);
  const ctx = prepare(deps, instance, target.endpoint, 'replace');
  if (!ctx.ok) return ctx;
  const input = objectBody(body);
  if (!input.ok) return input;
  const path = `${target.endpoint.vendorPath}/${target.id}`;
  const current = await getRaw(deps, instance, ctx.value, path);
  if (!current.ok) return current;
  return execute(deps, instance, {
    ctx: ctx.value,
    method: 'PUT',
    pathAndQuery: path,
    body: mergeForReplace(current.value, input.value),
  });
}

/** PUT /incidents/{id}/configurations[/{configId}] with {id}: attaches a configuration to the ticket. */
async function attach(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  body: unknown,
): Promise<Result<Json>> {
  const ctx = prepare(deps, instance, target.endpoint, 'attach');
  if (!ctx.ok) return ctx;
  const given = body && typeof body === 'object' && !Array.isArray(body) ? (body as Json).id : undefined;
  const id = target.id ?? (typeof given === 'number' || typeof given === 'string' ? String(given) : undefined);
  if (!id || !/^\d+$/.test(id))
    return fail(appError('MISSING_PARAMETER', 'Give the configuration as {"id": …}', { field: 'body.id' }));
  return execute(deps, instance, {
    ctx: ctx.value,
    method: 'POST',
    pathAndQuery: target.endpoint.vendorPath,
    body: { id: Number(id) },
  });
}

export function planUpdate(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  body: unknown,
): Result<WritePlan> {
  const ctx = prepare(deps, instance, target.endpoint, 'update');
  if (!ctx.ok) return ctx;
  const patch = toJsonPatch(body);
  if (typeof patch === 'string') return fail(appError('BAD_REQUEST', `Invalid PATCH body: ${patch}`));
  if (patch.length === 0) return fail(appError('BAD_REQUEST', 'The PATCH body changes nothing'));
  return ok({
    ctx: ctx.value,
    method: 'PATCH',
    pathAndQuery: `${target.endpoint.vendorPath}/${target.id}`,
    body: patch,
  });
}

/** PATCH: the Cloud Elements partial object becomes a ConnectWise JSON-Patch array. */
export async function updateRecord(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
  body: unknown,
): Promise<Result<Json>> {
  const plan = planUpdate(deps, instance, target, body);
  if (!plan.ok) return plan;
  return execute(deps, instance, plan.value);
}

export async function deleteRecord(
  deps: EngineDeps,
  instance: EngineInstance,
  target: Addressed,
): Promise<Result<void>> {
  const ctx = prepare(deps, instance, target.endpoint, 'delete');
  if (!ctx.ok) return ctx;
  const sent = await sendVendor(deps, instance, ctx.value, {
    method: 'DELETE',
    pathAndQuery: `${target.endpoint.vendorPath}/${target.id}`,
  });
  return sent.ok ? ok(undefined) : sent;
}
