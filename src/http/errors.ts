// The one place errors are rendered: {requestId, message, providerMessage?} plus the stable code.
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type AppError, AppFailure, appError } from '../errors/index.ts';
import { UnknownKeyError } from '../security/envelope.ts';
import { newRequestId } from './requestLog.ts';

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  if (error.headers) reply.headers(error.headers);
  reply.header('Elements-Error', error.code);
  return reply.code(error.status).send({
    requestId: request.id,
    code: error.code,
    message: error.message,
    ...(error.providerMessage !== undefined ? { providerMessage: error.providerMessage } : {}),
    ...(error.field !== undefined ? { field: error.field } : {}),
  });
}

type AjvIssue = { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string };

/** Names the field and the problem for each schema violation, e.g. "body.tags must be array". */
export function describeValidation(context: string, issues: AjvIssue[]): { message: string; field: string } {
  const parts = issues.map((i) => {
    const path = [context, ...(i.instancePath ?? '').split('/').filter(Boolean)].join('.');
    if (i.keyword === 'required' && typeof i.params?.missingProperty === 'string') {
      return { field: `${path}.${i.params.missingProperty}`, text: `${path}.${i.params.missingProperty} is required` };
    }
    if (i.keyword === 'additionalProperties' && typeof i.params?.additionalProperty === 'string') {
      return {
        field: `${path}.${i.params.additionalProperty}`,
        text: `${path}.${i.params.additionalProperty} is not allowed`,
      };
    }
    return { field: path, text: `${path} ${i.message ?? 'is invalid'}` };
  });
  return { message: `Invalid request: ${parts.map((p) => p.text).join('; ')}`, field: parts[0]?.field ?? context };
}

function unknownKey(err: unknown): UnknownKeyError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UnknownKeyError) return e;
  }
  return undefined;
}

/** PostgreSQL's SQLSTATE class 22, "data exception" (22003 out of range, 22021 NUL byte, 22P02 bad syntax…). */
function isPostgresDataException(err: { code?: unknown }): boolean {
  return typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code) && 'severity' in err;
}

export function errorHandler(
  err: FastifyError & { validationContext?: string },
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (err instanceof AppFailure) return sendError(request, reply, err.error);
  if (err.validation) {
    const { message, field } = describeValidation(err.validationContext ?? 'body', err.validation as AjvIssue[]);
    return sendError(request, reply, appError('VALIDATION_FAILED', message, { field }));
  }
  if (
    err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    err instanceof SyntaxError
  ) {
    return sendError(request, reply, appError('MALFORMED_JSON', `The request body is not valid JSON: ${err.message}`));
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(request, reply, appError('PAYLOAD_TOO_LARGE', 'The request body is too large'));
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendError(
      request,
      reply,
      appError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type: send application/json`),
    );
  }
  if (isPostgresDataException(err)) {
    // The input held a value the column cannot take (out of range, bad encoding): the request's fault, not ours.
    request.log.warn({ err }, 'value refused by the database');
    return sendError(
      request,
      reply,
      appError('INVALID_PARAMETER', `A value in the request cannot be stored: ${err.message}`),
    );
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return sendError(request, reply, appError('BAD_REQUEST', err.message, { status: err.statusCode }));
  }
  const keyError = unknownKey(err);
  if (keyError) {
    // Another node rotated to a key this one lacks (its /readyz says so too): the operator must give it the key.
    request.log.error({ keyId: keyError.keyId }, 'sealed value under a master key this server does not have');
    return sendError(
      request,
      reply,
      appError('MASTER_KEY_UNAVAILABLE', `${keyError.message}: restart it with that key (see docs/security.md)`, {
        retryable: true,
        headers: { 'retry-after': '30' },
      }),
    );
  }
  request.log.error({ err }, 'unhandled error');
  return sendError(
    request,
    reply,
    appError('INTERNAL', 'Internal server error; the request id identifies it in the logs'),
  );
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (oversized request line and headers, malformed
 * framing, slow clients): the same JSON envelope as every other error, then the connection is closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let error: AppError;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    error = appError(
      'HEADERS_TOO_LARGE',
      `The request line and headers exceed ${maxHeaderSize / 1024} KB; shorten the URL (e.g. a long where IN list) or the headers`,
    );
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    error = appError('REQUEST_TIMEOUT', 'The request was not received in time');
  } else {
    error = appError('BAD_REQUEST', `Malformed HTTP request (${err.code ?? 'unparsable'})`);
  }
  const body = JSON.stringify({ requestId: newRequestId(), code: error.code, message: error.message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nElements-Error: ${error.code}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
