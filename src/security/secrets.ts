import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random secret for organizations, users and instance tokens (base64, 32 bytes of entropy). */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64');
}

/** Secrets are high-entropy random values, so a plain SHA-256 is a sufficient lookup hash. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
