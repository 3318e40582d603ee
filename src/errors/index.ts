// One closed catalogue of error codes and their HTTP status. Codes are stable: never reuse or rename one.
export const errorStatus = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  MISSING_PARAMETER: 400,
  INVALID_PARAMETER: 400,
  CREDENTIALS_REJECTED: 400,
  UPSTREAM_REFUSED: 400,
  QUERY_PARSE: 400,
  QUERY_UNSUPPORTED: 400,
  QUERY_TOO_LONG: 400,
  JSON_TOO_DEEP: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INSTANCE_DISABLED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  HEADERS_TOO_LARGE: 431,
  QUOTA_EXCEEDED: 507,
  IDEMPOTENCY_MISMATCH: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_ERROR: 502,
  TRANSFORMATION_FAILED: 502,
  MASTER_KEY_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** An expected failure as a value: a stable code, an HTTP status and a message a user can act on. */
export interface AppError {
  code: ErrorCode;
  status: number;
  message: string;
  /** The vendor's own words, verbatim, when the failure came from upstream. */
  providerMessage?: string;
  /** Where in the input the problem is (e.g. configuration.baseUrl). */
  field?: string;
  retryable?: boolean;
  /** HTTP headers to add to the reply (e.g. Retry-After). */
  headers?: Record<string, string>;
}

export function appError(
  code: ErrorCode,
  message: string,
  extra: Partial<Omit<AppError, 'code' | 'message'>> = {},
): AppError {
  return { code, status: extra.status ?? errorStatus[code], message, ...extra };
}

export type Result<T, E = AppError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E = AppError>(error: E): Result<never, E> => ({ ok: false, error });

/** Thrown only to carry an AppError through Fastify's handler to the one place that renders errors. */
export class AppFailure extends Error {
  constructor(public readonly error: AppError) {
    super(error.message);
    this.name = 'AppFailure';
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new AppFailure(result.error);
  return result.value;
}
