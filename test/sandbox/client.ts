import { Agent, type Dispatcher, request } from 'undici';
import type { RunningSandbox } from '../../src/sandbox/index.ts';

/** Self-signed certificate: tests trust it explicitly. */
export const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: unknown;
}

export interface CwClient {
  base: string;
  call(
    method: Dispatcher.HttpMethod,
    path: string,
    opts?: { body?: unknown; headers?: Record<string, string | undefined>; raw?: boolean },
  ): Promise<Answer>;
}

export function basic(company: string, pub: string, priv: string): string {
  return `Basic ${Buffer.from(`${company}+${pub}:${priv}`).toString('base64')}`;
}

/** A minimal ConnectWise client over real sockets; `path` is relative to apis/3.0 unless it starts with `//`. */
export function cwClient(sb: RunningSandbox, protocol: 'http' | 'https'): CwClient {
  const root = protocol === 'https' ? (sb.httpsUrl as string) : sb.httpUrl;
  const base = `${root}/v4_6_release/apis/3.0`;
  const { company, publicKey, privateKey, clientId } = sb.credentials;
  return {
    base,
    async call(method, path, opts = {}) {
      const url = path.startsWith('//') ? `${root}${path.slice(1)}` : `${base}${path}`;
      const headers: Record<string, string> = {
        authorization: basic(company, publicKey, privateKey),
        clientId,
        accept: 'application/vnd.connectwise.com+json; version=2026.11, application/json',
      };
      for (const [k, v] of Object.entries(opts.headers ?? {})) {
        const existing = Object.keys(headers).find((h) => h.toLowerCase() === k.toLowerCase());
        if (existing) delete headers[existing];
        if (v !== undefined) headers[k] = v;
      }
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await request(url, {
        method,
        headers,
        body,
        dispatcher: protocol === 'https' ? insecureAgent : undefined,
      });
      const text = await res.body.text();
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: flat, text, json };
    },
  };
}

/** Encodes a query value the way careful clients do (`%` → %25, spaces → %20). */
export function enc(value: string): string {
  return encodeURIComponent(value);
}

export function linkRels(link: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (link ?? '').matchAll(/<([^>]*)>;\s*rel="([^"]+)"/g)) out[m[2] as string] = m[1] as string;
  return out;
}
