import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.ts';

/**
 * Decodes a query component like ASP.NET does: `+` is a space, valid `%XX` escapes are decoded,
 * and a stray `%` (e.g. an unescaped `like "A%"`) is kept literally instead of failing.
 */
export function decodeComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    const bytes: number[] = [];
    for (let i = 0; i < spaced.length; i++) {
      const c = spaced[i] as string;
      const hex = spaced.slice(i + 1, i + 3);
      if (c === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else bytes.push(...Buffer.from(c, 'utf8'));
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

export interface ParsedQuery {
  /** Raw `name=value` pairs in order (for rebuilding Link URLs). */
  raw: { name: string; rawPair: string }[];
  /** Lower-cased name → decoded value (last one wins). */
  values: Map<string, string>;
}

export function parseQuery(search: string): ParsedQuery {
  const raw: ParsedQuery['raw'] = [];
  const values = new Map<string, string>();
  const text = search.startsWith('?') ? search.slice(1) : search;
  if (!text) return { raw, values };
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    raw.push({ name, rawPair: pair });
    values.set(name.toLowerCase(), value);
  }
  return { raw, values };
}

/** Header value by case-insensitive name (node lower-cases them already). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const MAX_BODY = 20 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, { code: 'ConnectWiseApi', message: 'The request body is too large.' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `undefined`. Malformed JSON is a 400 like CW's model binder gives. */
export function parseJsonBody(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new ApiError(400, {
      code: 'InvalidObject',
      message: `The request body is not valid JSON: ${(e as Error).message}`,
    });
  }
}
