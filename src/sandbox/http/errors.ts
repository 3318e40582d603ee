/**
 * Every error body the simulator sends, in one place. Shapes and texts follow the digest
 * (shared/docs/connectwise-manage-api.md §5); where ConnectWise's exact text is unknown the
 * choice is marked UNVERIFIED in README.md.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(
      typeof body === 'object' && body && 'message' in body
        ? String((body as { message: unknown }).message)
        : `HTTP ${status}`,
    );
  }
}

export const errors = {
  endpointMissing: () => new ApiError(404, { code: 'ConnectWiseApi', message: 'The endpoint does not exist.' }),
  notFound: (typeName: string, id: number | string) =>
    new ApiError(404, { code: 'NotFound', message: `${typeName} ${id} not found` }),
  methodNotAllowed: (method: string, allow: string[]) =>
    new ApiError(
      405,
      { code: 'ConnectWiseApi', message: `The requested resource does not support http method '${method}'.` },
      { Allow: allow.join(', ') },
    ),
  badConditions: (message: string) => new ApiError(400, { code: 'InvalidObject', message }),
  badRequest: (message: string) => new ApiError(400, { code: 'InvalidObject', message }),
  invalidObject: (resource: string, items: unknown[]) =>
    new ApiError(400, { code: 'InvalidObject', message: `${resource} object is invalid`, errors: items }),
  unauthorized: (message = 'Incorrect public/private key') => new ApiError(401, { code: 'Unauthorized', message }),
  security: () =>
    new ApiError(403, { code: 'Security', message: 'You do not have security permission to perform this action.' }),
  rateLimited: (seconds: number) =>
    new ApiError(
      429,
      { error: 'ConnectWiseAPI', message: `Too many requests. Please try again in ${seconds} seconds.` },
      { 'Retry-After': String(seconds) },
    ),
  timeout: () => new ApiError(500, { code: 'ConnectWiseApi', message: 'A timeout has occured. Please try again.' }),
  serverError: () =>
    new ApiError(500, { code: 'ConnectWiseApi', message: 'An error has occurred. Please contact your administrator.' }),
  unsupportedMediaType: () =>
    new ApiError(415, { code: 'ConnectWiseApi', message: 'The request entity must be sent as application/json.' }),
};
