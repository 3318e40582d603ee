export {
  API_PREFIX,
  type AppOptions,
  buildApp,
  EXPOSED_HEADERS,
  REDACT_PATHS,
  type RouteInfo,
  type RoutePlugin,
  routesOf,
} from './app.ts';
export { addressedInstance, principalOf } from './auth.ts';
export { describeValidation, sendError } from './errors.ts';
export { redactUrl, serializeRequest } from './requestLog.ts';
export { AnyObject, ErrorBody, errorResponses, IdParam } from './schemas.ts';
