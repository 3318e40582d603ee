// Hostile request bodies at the edge (client data, untrusted): a body above CONDUIT_BODY_LIMIT_MB answers a
// readable 413 (the rest is read and discarded first: replying mid-upload resets the connection before the client
// reads the answer), and a JSON body nested deeper than MAX_JSON_DEPTH answers 400 before anything recurses over it.
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type AppError, AppFailure, appError } from '../errors/index.ts';

/** Deepest JSON nesting a request body may have (arrays and objects); ConnectWise records nest 3 or 4 levels. */
export const MAX_JSON_DEPTH = 64;

/** An oversized body is read and discarded up to this many bytes so the client sees the 413; beyond, the socket closes. */
export const MAX_DISCARD_BYTES = 256 * 1024 * 1024;

const MB = 1024 * 1024;

function tooLarge(limitBytes: number, received?: number): AppError {
  const mb = limitBytes / MB;
  const size = received === undefined ? '' : ` (${received} bytes)`;
  return appError(
    'PAYLOAD_TOO_LARGE',
    `The request body${size} is larger than the limit of ${mb} MB (${limitBytes} bytes, CONDUIT_BODY_LIMIT_MB)`,
    { field: 'body' },
  );
}

/**
 * The nesting depth where the text first goes deeper than `max`, or 0 when it never does. One pass, no recursion;
 * brackets inside strings do not count.
 */
export function jsonDepthBeyond(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return 0;
}

/** True when the JSON text holds a `\u0000` escape (a NUL in a string); `\\u0000` is a backslash, not a NUL. */
export function hasNulEscape(text: string): boolean {
  for (let at = text.indexOf('\\u0000'); at >= 0; at = text.indexOf('\\u0000', at + 1)) {
    let backslashes = 1;
    while (at - backslashes >= 0 && text.charCodeAt(at - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 1) return true;
  }
  return false;
}

/** Reads and drops the rest of a request body; resolves when it ended, or after `cap` bytes (then closes it). */
function discard(stream: Readable, cap: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      stream.removeListener('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer | string) => {
      seen += chunk.length;
      if (seen > cap) {
        stream.destroy?.();
        finish();
      }
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', finish);
    stream.once('close', finish);
    stream.resume();
  });
}

/**
 * Passes a body of unannounced length (chunked) through up to the limit; past it, discards the rest and fails at
 * the end, so Fastify answers 413 only once the client has finished sending.
 */
class LimitedBody extends Transform {
  private received = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly onOverflow: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received <= this.limitBytes) callback(null, chunk);
    else if (this.received <= this.limitBytes + MAX_DISCARD_BYTES) callback();
    else {
      this.onOverflow();
      callback(new AppFailure(tooLarge(this.limitBytes, this.received)));
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.received > this.limitBytes ? new AppFailure(tooLarge(this.limitBytes, this.received)) : null);
  }
}

/**
 * Registers the size limit (every route and content type; a route's own `bodyLimit` wins; multipart uploads stream
 * their parts under the limits of their own parser) and the JSON parser with the depth limit.
 */
export function registerBodyLimits(app: FastifyInstance, defaultLimitBytes: number): void {
  // Callback style: most requests carry no body, and they should not pay for a promise.
  app.addHook('preParsing', (request, reply, payload, done) => {
    const declared = Number(request.headers['content-length']);
    const chunked = request.headers['transfer-encoding'] !== undefined;
    if (!(declared > 0) && !chunked) return done(null, payload);
    const type = request.headers['content-type'];
    if (type?.startsWith('multipart/') && request.server.hasContentTypeParser(type.split(';')[0]!.trim())) {
      return done(null, payload);
    }
    const limitBytes = request.routeOptions.bodyLimit ?? defaultLimitBytes;
    if (declared > limitBytes) {
      reply.header('connection', 'close');
      const failure = new AppFailure(tooLarge(limitBytes, declared));
      if (declared > limitBytes + MAX_DISCARD_BYTES) return done(failure);
      discard(payload, MAX_DISCARD_BYTES).then(() => done(failure));
      return;
    }
    // Fastify reads no body of a GET or HEAD; only bodies it will read need counting as they stream.
    if (!chunked || request.method === 'GET' || request.method === 'HEAD') return done(null, payload);
    const limited = new LimitedBody(limitBytes, () => reply.header('connection', 'close'));
    payload.on('error', (err) => limited.destroy(err));
    done(null, payload.pipe(limited));
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const depth = jsonDepthBeyond(text, MAX_JSON_DEPTH);
    if (depth > 0) {
      return done(
        new AppFailure(
          appError(
            'JSON_TOO_DEEP',
            `The request body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays; flatten it`,
            { field: 'body' },
          ),
        ),
        undefined,
      );
    }
    if (hasNulEscape(text)) {
      return done(
        new AppFailure(
          appError('INVALID_PARAMETER', 'The request body contains a NUL character (\\u0000), which cannot be stored', {
            field: 'body',
          }),
        ),
        undefined,
      );
    }
    parseJson(request, text, done);
  });
}
