// A vendor response as received: status, headers and the body's chunks, joined or decoded only when asked.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

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
  #bytes: Buffer | undefined;
  #text: string | undefined;

  constructor(
    readonly status: number,
    headers: IncomingHttpHeaders,
    received: Buffer[],
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

/**
 * Collects one response through undici's handler interface: status, headers and the body's chunks as the socket
 * delivers them — no body stream, which costs more per request than the hub's own work on a page.
 */
class Collector implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];

  constructor(
    private readonly started: number,
    private readonly done: (response: UpstreamResponse) => void,
    private readonly failed: (error: Error) => void,
  ) {}

  /** Its presence tells undici this handler speaks the controller interface. */
  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    // 1xx informational answers come first and carry no body: the final answer replaces them.
    this.#status = status;
    this.#headers = headers;
    this.#chunks = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.done(new ReceivedResponse(this.#status, this.#headers, this.#chunks, performance.now() - this.started));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.failed(error);
  }
}

/** Sends one request and reads its whole response; network failures reject with undici's errors. */
export function receive(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): Promise<UpstreamResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new Collector(started, resolve, reject));
  });
}
