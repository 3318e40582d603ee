// A vendor response as received: status, headers and the body's chunks, joined or decoded only when asked.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { JsonScan } from './completeness.ts';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  /**
   * The body as received, chunk by chunk (a UTF-8 BOM removed): a page that needs no reshaping is sent on without
   * being joined or decoded.
   */
  chunks: readonly Buffer[];
  /** The body joined, on first use. */
  readonly bytes: Buffer;
  /** The body decoded as UTF-8, on first use. */
  readonly body: string;
  durationMs: number;
  attempts: number;
  /** Body bytes as they came off the socket (before the BOM was removed), to compare with Content-Length. */
  readonly receivedBytes: number;
  /** Completeness and `null` scan of a 2xx JSON body, made by the client before the response is handed on. */
  scan?: JsonScan;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function withoutBom(received: Buffer[]): Buffer[] {
  // A first chunk too short to hold the BOM is joined with the rest (tiny bodies only).
  const chunks = received.length > 1 && (received[0] as Buffer).length < 3 ? [Buffer.concat(received)] : received;
  const first = chunks[0];
  if (!first || first.length < 3 || first[0] !== 0xef || !first.subarray(0, 3).equals(BOM)) return chunks;
  chunks[0] = first.subarray(3);
  return chunks;
}

/** Header names lower-cased (undici already does), repeated headers joined with `, `. */
function flattenHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

class ReceivedResponse implements UpstreamResponse {
  readonly headers: Record<string, string>;
  readonly chunks: readonly Buffer[];
  attempts = 1;
  scan?: JsonScan;
  #bytes: Buffer | undefined;
  #text: string | undefined;

  constructor(
    readonly status: number,
    headers: IncomingHttpHeaders,
    received: Buffer[],
    readonly receivedBytes: number,
    readonly durationMs: number,
  ) {
    this.headers = flattenHeaders(headers);
    this.chunks = withoutBom(received);
  }

  get bytes(): Buffer {
    this.#bytes ??= this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    return this.#bytes;
  }

  get body(): string {
    this.#text ??= this.bytes.toString('utf8');
    return this.#text;
  }
}

/** The caller's deadline passed before the whole answer arrived (the request is aborted). */
export class DeadlinePassed extends Error {
  constructor() {
    super('the deadline passed before the answer arrived');
    this.name = 'DeadlinePassed';
  }
}

/** The connection failed after the answer began: the body is cut off (a timeout is not this: it stays a timeout). */
export class BodyCutOff extends Error {
  constructor(
    readonly receivedBytes: number,
    readonly announcedBytes: number | undefined,
    cause: Error,
  ) {
    super(`the connection failed mid-body: ${cause.message}`, { cause });
    this.name = 'BodyCutOff';
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Collects one response through undici's handler interface: status, headers and the body's chunks as the socket
 * delivers them — no body stream, which costs more per request than the hub's own work on a page.
 */
class Collector implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #received = 0;
  #controller: Dispatcher.DispatchController | undefined;
  #cancelled: Error | undefined;
  #settled = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly started: number,
    private readonly done: (response: UpstreamResponse) => void,
    private readonly failed: (error: Error) => void,
  ) {}

  /** Gives up at `ms` from now: the request is aborted (or never sent, if it still waits for a connection). */
  cancelAfter(ms: number): void {
    this.#timer = setTimeout(() => {
      const error = new DeadlinePassed();
      this.#cancelled = error;
      this.#fail(error);
      this.#controller?.abort(error);
    }, ms);
  }

  /** Its presence tells undici this handler speaks the controller interface. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#cancelled) controller.abort(this.#cancelled);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    // 1xx informational answers come first and carry no body: the final answer replaces them.
    this.#status = status;
    this.#headers = headers;
    this.#chunks = [];
    this.#received = 0;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#received += chunk.length;
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    const duration = performance.now() - this.started;
    this.done(new ReceivedResponse(this.#status, this.#headers, this.#chunks, this.#received, duration));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const code = (error as { code?: string }).code ?? '';
    if (this.#status >= 200 && !(error instanceof DeadlinePassed) && !TIMEOUT_CODES.has(code)) {
      const announced = this.#headers['content-length'];
      const expected = typeof announced === 'string' ? Number(announced) : undefined;
      this.#fail(new BodyCutOff(this.#received, Number.isFinite(expected) ? expected : undefined, error));
      return;
    }
    this.#fail(error);
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.failed(error);
  }
}

/**
 * Sends one request and reads its whole response; network failures reject with undici's errors, and a response
 * not complete `cancelAfterMs` from now rejects with DeadlinePassed.
 */
export function receive(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  cancelAfterMs?: number,
): Promise<UpstreamResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const collector = new Collector(started, resolve, reject);
    if (cancelAfterMs !== undefined && Number.isFinite(cancelAfterMs)) collector.cancelAfter(cancelAfterMs);
    dispatcher.dispatch(options, collector);
  });
}
