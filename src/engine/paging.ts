// Cloud Elements paging over ConnectWise's navigable paging (cloud-elements-api.md §2.6): page/pageSize or a
// nextPage token (base64 JSON `{"page":2,"pageSize":50}`), page size clamped to `pagination.max`.
import { appError, fail, ok, type Result } from '../errors/index.ts';

export interface PageWindow {
  page: number;
  pageSize: number;
}

const tokens = new Map<string, string>();

/** The `Elements-Next-Page-Token` of a window (remembered: clients walk the same few windows). */
export function encodePageToken(window: PageWindow): string {
  const key = `${window.page}:${window.pageSize}`;
  let token = tokens.get(key);
  if (token === undefined) {
    token = Buffer.from(JSON.stringify({ page: window.page, pageSize: window.pageSize }), 'utf8').toString('base64');
    if (tokens.size >= 10_000) tokens.clear();
    tokens.set(key, token);
  }
  return token;
}

/**
 * The `Elements-Next-Page-Token` to send after a page, or undefined on the last page: then the header is left out
 * altogether (Cloud Elements' clients test for its presence; an empty value would loop them).
 */
export function nextPageToken(hasMore: boolean, window: PageWindow): string | undefined {
  return hasMore ? encodePageToken({ page: window.page + 1, pageSize: window.pageSize }) : undefined;
}

function decodePageToken(token: string): Result<PageWindow> {
  const bad = fail(
    appError('INVALID_PARAMETER', 'nextPage is not a page token returned by this API', { field: 'nextPage' }),
  );
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { page?: unknown; pageSize?: unknown };
    if (!Number.isSafeInteger(parsed?.page) || (parsed.page as number) < 1) return bad;
    const pageSize = Number.isSafeInteger(parsed.pageSize) ? (parsed.pageSize as number) : 0;
    return ok({ page: parsed.page as number, pageSize });
  } catch {
    return bad;
  }
}

export function pageWindow(
  query: { page?: number; pageSize?: number; nextPage?: string },
  pageMax: number,
): Result<PageWindow> {
  let page = query.page ?? 1;
  let pageSize = query.pageSize ?? 0;
  if (query.nextPage) {
    const token = decodePageToken(query.nextPage);
    if (!token.ok) return token;
    page = token.value.page;
    if (!query.pageSize) pageSize = token.value.pageSize;
  }
  if (!Number.isFinite(page) || !Number.isFinite(pageSize)) {
    return fail(appError('INVALID_PARAMETER', 'page and pageSize must be numbers', { field: 'page' }));
  }
  page = Math.max(1, Math.floor(page));
  pageSize = pageSize <= 0 ? pageMax : Math.min(pageMax, Math.floor(pageSize));
  return ok({ page, pageSize });
}

/** ConnectWise answers `Link: <…&page=N>; rel="next"` while more pages exist (connectwise-manage-api.md §4). */
export function linkHasNext(link: string | undefined): boolean | undefined {
  if (link === undefined) return undefined;
  return /rel="?next"?/i.test(link);
}
