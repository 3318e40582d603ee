export {
  createUpstreamClient,
  parseRetryAfter,
  type TraceEntry,
  type UpstreamClient,
  type UpstreamFailure,
  type UpstreamFailureCode,
  type UpstreamOptions,
  type UpstreamRequest,
  type UpstreamResponse,
  type UpstreamResult,
} from './client.ts';
export { createRateBudget, type RateBudget } from './rateBudget.ts';
