import { randomBytes } from 'node:crypto';

/** An unguessable URL-safe token (callback URL secret). */
export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}
