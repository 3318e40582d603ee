import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import { ApiError, errors } from './http/errors.ts';
import type { Role } from './options.ts';

export interface Principal {
  member: string;
  role: Role;
  /** `token` for impersonation key pairs. */
  kind: 'key' | 'token';
}

interface KeyEntry {
  privateKey: string;
  member: string;
  role: Role;
  expires?: number;
}

/** API member key pairs and impersonation tokens of one simulated site. */
export class KeyStore {
  private readonly keys = new Map<string, KeyEntry>();

  constructor(
    readonly company: string,
    private readonly companyCaseInsensitive: boolean,
    private readonly clock: Clock,
  ) {}

  addKey(publicKey: string, privateKey: string, member: string, role: Role): void {
    this.keys.set(publicKey, { privateKey, member, role });
  }

  /** Drops impersonation tokens (reset). */
  clearTokens(): void {
    for (const [k, v] of this.keys) if (v.expires !== undefined) this.keys.delete(k);
  }

  issueToken(
    member: string,
    role: Role,
    ttlSeconds: number,
  ): { publicKey: string; privateKey: string; expires: number } {
    const publicKey = randomBytes(12).toString('base64url');
    const privateKey = randomBytes(12).toString('base64url');
    const expires = this.clock.now() + ttlSeconds * 1000;
    this.keys.set(publicKey, { privateKey, member, role, expires });
    return { publicKey, privateKey, expires };
  }

  /** Checks `Authorization: Basic base64(company+public:private)`; throws a 401 ApiError. */
  authenticate(authorization: string | undefined): Principal {
    if (!authorization || !/^basic\s+/i.test(authorization)) {
      throw errors.unauthorized('Authorization is required: send Basic base64(company+publicKey:privateKey).');
    }
    let decoded: string;
    try {
      decoded = Buffer.from(authorization.replace(/^basic\s+/i, '').trim(), 'base64').toString('utf8');
    } catch {
      throw errors.unauthorized();
    }
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    const plus = user.indexOf('+');
    const company = plus < 0 ? '' : user.slice(0, plus);
    const publicKey = plus < 0 ? user : user.slice(plus + 1);
    const sameCompany = this.companyCaseInsensitive
      ? company.toLowerCase() === this.company.toLowerCase()
      : company === this.company;
    const entry = this.keys.get(publicKey);
    if (!sameCompany || !entry || entry.privateKey !== password) throw errors.unauthorized();
    if (entry.expires !== undefined && entry.expires <= this.clock.now()) {
      throw errors.unauthorized('The impersonation token has expired.');
    }
    return { member: entry.member, role: entry.role, kind: entry.expires === undefined ? 'key' : 'token' };
  }
}

/** Security-role scoping: 403 {"code":"Security"} when the role does not cover the call. */
export function authorize(principal: Principal, method: string, resourcePath: string): void {
  const path = resourcePath.toLowerCase();
  if (principal.role === 'admin') return;
  if (principal.role === 'readonly' && method !== 'GET') throw errors.security();
  if (principal.role === 'crm' && path.startsWith('system/') && path !== 'system/info') throw errors.security();
}

export function clientIdError(status: number, message: string): ApiError {
  return new ApiError(status, { code: 'InvalidClientId', message });
}
