// The instance a hub call addresses (from the Element token), as the engine sees it: decrypted configuration
// cached per instance revision, so a hub page costs no database read or decryption in the steady state.
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EngineDeps, EngineInstance } from '../../../engine/index.ts';
import { chunksLength, isCredentialsRejected } from '../../../engine/index.ts';
import { type AppError, AppFailure, appError } from '../../../errors/index.ts';
import { forgetInstance, loadInstanceConfig, type PlatformDeps } from '../../../platform/index.ts';
import { type InstanceRecord, updateInstance } from '../../../store/index.ts';
import { principalOf } from '../../auth.ts';

const configs = new Map<number, { revision: string; config: Record<string, string | null> }>();

/** Drops cached configuration (instance saved, disabled or deleted). */
export function forgetHubInstance(id?: number): void {
  if (id === undefined) configs.clear();
  else configs.delete(id);
}

async function engineInstance(deps: PlatformDeps, record: InstanceRecord): Promise<EngineInstance> {
  const revision = record.updatedAt;
  let hit = configs.get(record.id);
  if (!hit || hit.revision !== revision) {
    hit = { revision, config: await loadInstanceConfig(deps, record.id) };
    configs.set(record.id, hit);
  }
  return {
    id: record.id,
    elementKey: record.elementKey,
    config: hit.config,
    traceLoggingEnabled: record.traceLoggingEnabled,
  };
}

export interface HubCall {
  record: InstanceRecord;
  instance: EngineInstance;
  engine: EngineDeps;
}

/** Element-token instance; a disabled one answers 403 unless `allowDisabled` (discovery). */
export async function hubInstance(
  deps: PlatformDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { allowDisabled?: boolean } = {},
): Promise<HubCall> {
  const record = principalOf(request).instance;
  if (!record)
    throw new AppFailure(appError('UNAUTHORIZED', 'Hub calls need Authorization: User <secret>, Element <token>'));
  reply.header('Elements-Element-Instance-Id', String(record.id));
  if (record.disabled && !options.allowDisabled) {
    throw new AppFailure(appError('INSTANCE_DISABLED', `Instance ${record.id} is disabled; enable it to call the hub`));
  }
  return {
    record,
    instance: await engineInstance(deps, record),
    // One deadline for the whole hub call, however many vendor calls it makes (CONDUIT_HUB_DEADLINE_MS).
    engine: { catalog: deps.catalog, upstream: deps.upstream, store: deps.store, callStartedAt: performance.now() },
  };
}

/** Renders an engine failure; a vendor 401 also marks the instance `valid:false`. */
export async function hubFailure(deps: PlatformDeps, call: HubCall, error: AppError): Promise<never> {
  if (isCredentialsRejected(error) && call.record.valid) {
    await updateInstance(deps.store.db, call.record.id, { valid: false });
    forgetInstance(call.record.tokenHash);
  }
  throw new AppFailure(error);
}

/**
 * Sends JSON the engine already produced, with no second serialisation: text, or the vendor's chunks written
 * straight to the socket (headers set so far on the reply go with them).
 */
export function sendRawJson(reply: FastifyReply, json: string | readonly Buffer[]) {
  reply.code(200).type('application/json; charset=utf-8');
  if (typeof json === 'string') return reply.send(json);
  reply.header('content-length', chunksLength(json));
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, reply.getHeaders() as OutgoingHttpHeaders);
  res.cork();
  for (const chunk of json) res.write(chunk);
  res.end();
  return reply;
}
