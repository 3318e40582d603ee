// A vendor response as received: status, headers and the body's chunks, joined or decoded only when asked.
import type { IncomingHttpHeaders } from 'node:http';

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

export function upstreamResponse(
  status: number,
  headers: IncomingHttpHeaders,
  received: Buffer[],
  durationMs: number,
): UpstreamResponse {
  return new ReceivedResponse(status, headers, received, durationMs);
}

/** The body's chunks as the socket delivered them. */
export function readChunks(body: NodeJS.ReadableStream): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('end', () => resolve(chunks));
    body.on('error', reject);
  });
}
