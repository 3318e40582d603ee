// Cloud Elements Authorization header: "User <secret>, Organization <secret>[, Element <token>]", parts in any order.
export interface AuthParts {
  user?: string;
  organization?: string;
  element?: string;
}

export type AuthHeaderResult = { ok: true; parts: AuthParts } | { ok: false; message: string };

const KINDS: Record<string, keyof AuthParts> = { user: 'user', organization: 'organization', element: 'element' };

export function parseAuthHeader(header: string | undefined): AuthHeaderResult {
  if (!header || header.trim() === '') return { ok: false, message: 'Authorization header is missing' };
  const parts: AuthParts = {};
  for (const piece of header.split(',')) {
    const trimmed = piece.trim();
    if (trimmed === '') continue;
    const space = trimmed.indexOf(' ');
    const kind = KINDS[(space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase()];
    const value = space < 0 ? '' : trimmed.slice(space + 1).trim();
    if (!kind)
      return {
        ok: false,
        message: `Authorization header part "${trimmed.split(' ')[0]}" is not User, Organization or Element`,
      };
    if (value === '') return { ok: false, message: `Authorization header part ${kind} has no value` };
    if (parts[kind] !== undefined) return { ok: false, message: `Authorization header repeats ${kind}` };
    parts[kind] = value;
  }
  return { ok: true, parts };
}
