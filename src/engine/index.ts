// The hub engine: executes one hub request against one instance, from the element definition alone.
import { type AppError, appError, fail, type Result } from '../errors/index.ts';
import { instanceContext } from './context.ts';
import { getOne, listParsed } from './read.ts';
import { resolveHubTarget } from './resolve.ts';
import type { EngineDeps, EngineInstance } from './types.ts';

export { chunksLength } from './chunks.ts';
export { type InstanceContext, instanceContext, querySchemaOf } from './context.ts';
export { encodePageToken, nextPageToken, type PageWindow } from './paging.ts';
export { translateCached } from './query.ts';
export {
  countRecords,
  explainRequest,
  getOne,
  type ListPage,
  listPage,
  prepareCount,
  prepareGet,
  prepareList,
} from './read.ts';
export {
  type Addressed,
  checkMethod,
  type Endpoint,
  type Operation,
  resolveHubTarget,
} from './resolve.ts';
export { stripNulls, toJsonPatch } from './shape.ts';
export { redactHeaders } from './trace.ts';
export type { EngineDeps, EngineInstance, ListQuery } from './types.ts';
export { isCredentialsRejected, mapVendorError } from './vendor.ts';
export {
  createRecord,
  deleteRecord,
  hookNames,
  planCreate,
  planUpdate,
  replaceRecord,
  updateRecord,
  type WritePlan,
} from './write.ts';

function addressResource(deps: EngineDeps, instance: EngineInstance, resource: string, id?: string | number) {
  const ctx = instanceContext(deps, instance);
  if (!ctx.ok) return ctx;
  return resolveHubTarget(ctx.value.def, id === undefined ? resource : `${resource}/${id}`);
}

/** One page of a hub resource (`contacts`, `incidents/12/comments`), filtered by CEQL `where`. */
export async function listRecords(
  deps: EngineDeps,
  instance: EngineInstance,
  resource: string,
  query: { where?: string; page?: number; pageSize?: number; orderBy?: string; fields?: string },
): Promise<Result<{ records: Array<Record<string, unknown>>; hasMore: boolean; vendorRequest: string }, AppError>> {
  const target = addressResource(deps, instance, resource);
  if (!target.ok) return target;
  if (target.value.id !== undefined || target.value.count) {
    return fail(appError('BAD_REQUEST', `${resource} is not a collection`));
  }
  return listParsed(deps, instance, target.value, query);
}

/** One record of a hub resource by id. */
export async function getRecord(
  deps: EngineDeps,
  instance: EngineInstance,
  resource: string,
  id: string | number,
): Promise<Result<Record<string, unknown>, AppError>> {
  const target = addressResource(deps, instance, resource, id);
  if (!target.ok) return target;
  return getOne(deps, instance, target.value);
}
