import type { DataSizes } from './data/generate.ts';

export type Role = 'admin' | 'readonly' | 'crm';
export const ROLES: readonly Role[] = ['admin', 'readonly', 'crm'];

export interface ApiKeyOption {
  publicKey: string;
  privateKey: string;
  /** Member identifier the keys act as (default: APIMember). */
  member?: string;
  /** admin: everything; readonly: GET only; crm: no system/* except system/info. */
  role?: Role;
}

export interface FaultSettings {
  /** Requests allowed per window on apis/3.0 (0 = unlimited). */
  rateLimit: number;
  rateWindowSeconds: number;
  /** Added to every apis/3.0 response. */
  latencyMs: number;
  /** Shares in [0,1] of apis/3.0 requests answered with a 500 / a CW timeout / a truncated JSON body. */
  errorRate: number;
  timeoutRate: number;
  truncateRate: number;
  /** How long a simulated timeout holds the request before answering 500. */
  timeoutDelayMs: number;
  /** Shifts the simulator's clock (lastUpdated, token expiry, Retry-After windows). */
  clockOffsetSeconds: number;
}

export const DEFAULT_FAULTS: FaultSettings = {
  rateLimit: 0,
  rateWindowSeconds: 60,
  latencyMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  truncateRate: 0,
  timeoutDelayMs: 0,
  clockOffsetSeconds: 0,
};

export interface SandboxOptions extends Partial<DataSizes> {
  /** default 127.0.0.1 */
  host?: string;
  /** HTTP port; 0 = ephemeral; default 0 here, 8090 for the CLI. */
  port?: number;
  /** HTTPS port; 0 = ephemeral, null = no HTTPS (default here; the CLI defaults to 8443). */
  httpsPort?: number | null;
  /** PEM certificate and key for HTTPS; a self-signed pair is generated when absent. */
  tlsCert?: string;
  tlsKey?: string;
  company?: string;
  publicKey?: string;
  privateKey?: string;
  /** Further key pairs, e.g. narrower API members. */
  apiKeys?: ApiKeyOption[];
  /** Compare the login company case-insensitively (default strict). */
  companyCaseInsensitive?: boolean;
  clientIds?: string[] | 'any';
  /** false = older-instance mode: no clientId needed. */
  clientIdRequired?: boolean;
  /** Status of the missing/unknown clientId answer (default 400). */
  clientIdErrorStatus?: number;
  seed?: number;
  /** No console output. */
  quiet?: boolean;
  /** Load from / save to this JSON file. */
  persistFile?: string;
  /** Lifetime of impersonation tokens (default 14400 s). */
  tokenTtlSeconds?: number;
  /** Callback delivery: retry delays after 404/409/419/429 (default [2000, 4000]), timeout (5000), disable after (3 days). */
  callbackRetryDelaysMs?: number[];
  callbackTimeoutMs?: number;
  callbackDisableAfterMs?: number;
  /** `cw` (default): append the record id / action to the URL; `none`: post to the URL as registered. */
  callbackUrlMode?: 'cw' | 'none';
  /** Initial fault settings (also changeable at /_sandbox/faults). */
  faults?: Partial<FaultSettings>;
  /** Value of the x-server-name header. */
  serverName?: string;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  cliPort: 8090,
  cliHttpsPort: 8443,
  company: 'conduit',
  publicKey: 'sandbox-public-key',
  privateKey: 'sandbox-private-key',
  clientId: '6b1a1c1e-0000-4000-8000-000000000001',
  seed: 1,
  tokenTtlSeconds: 4 * 3600,
} as const;

/** Release the simulator claims to be (system/info, companyinfo, api-current-version). */
export const CURRENT_VERSION = { major: 2026, minor: 11, build: 10542 } as const;
