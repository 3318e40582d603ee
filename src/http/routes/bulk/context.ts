// The job a bulk route addresses, only within the caller's organization (another organization's job is a 404).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type BulkJob, bulkDb, findOwnJob } from '../../../bulk/index.ts';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { type HubCall, hubInstance } from '../hub/instance.ts';

export async function ownJob(
  deps: PlatformDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: number,
): Promise<{ call: HubCall; job: BulkJob }> {
  const call = await hubInstance(deps, request, reply, { allowDisabled: true });
  const job = await findOwnJob(bulkDb(deps.store.db), call.record.organizationId, id);
  if (!job) throw new AppFailure(appError('NOT_FOUND', `No bulk job ${id}`));
  return { call, job };
}

export function callbackUrlOf(request: FastifyRequest): string | undefined {
  const v = request.headers['elements-async-callback-url'];
  const url = Array.isArray(v) ? v[0] : v;
  return url?.trim() ? url.trim() : undefined;
}
