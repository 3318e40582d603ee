// Shared pieces of the bulk end-to-end tests: waiting for a job, a CSV reader written independently of the
// server's, and multipart uploads over real HTTP.
import { elementAuth } from '../helpers/server.ts';
import type { HubFixture } from './hubFixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: status objects are asserted field by field
export type Status = Record<string, any>;

export async function waitForJob(
  f: Pick<HubFixture, 'hub'>,
  id: number,
  until: (s: Status) => boolean = (s) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s.status),
  timeoutMs = 20_000,
): Promise<Status> {
  const end = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < end) {
    const res = await f.hub('GET', `/hubs/crm/bulk/${id}/status`);
    if (res.status !== 200) throw new Error(`status of job ${id}: ${res.status} ${res.text}`);
    last = res.body as Status;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not reach the state in ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export async function bulkUpload(
  f: Pick<HubFixture, 'server' | 'org' | 'token'>,
  object: string,
  file: { content: string | Buffer; type?: string; name?: string } | undefined,
  metaData?: unknown,
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  if (metaData !== undefined) form.append('metaData', JSON.stringify(metaData));
  if (file) {
    form.append(
      'file',
      new Blob([typeof file.content === 'string' ? file.content : new Uint8Array(file.content)], {
        ...(file.type !== undefined ? { type: file.type } : {}),
      }),
      file.name ?? 'upload',
    );
  }
  const res = await fetch(`${f.server.base}/hubs/crm/bulk/${object}`, {
    method: 'POST',
    headers: { authorization: elementAuth(f.org, f.token), ...headers },
    body: form,
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: test responses
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, headers: res.headers, body, text };
}
