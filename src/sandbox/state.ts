import type { KeyStore } from './auth.ts';
import type { CallbackDispatcher } from './callbacks.ts';
import type { Clock } from './clock.ts';
import type { DataSizes } from './data/generate.ts';
import type { Faults } from './faults.ts';
import type { PageCache } from './pageCache.ts';
import type { RequestStats } from './stats.ts';
import type { Database } from './store/database.ts';

export interface SandboxConfig {
  company: string;
  clientIds: ReadonlySet<string> | 'any';
  clientIdRequired: boolean;
  clientIdErrorStatus: number;
  tokenTtlSeconds: number;
  serverName: string;
  seed: number;
  sizes: DataSizes;
  signingKey: string;
  persistFile?: string;
}

/** Everything one running simulator holds; handlers receive it explicitly. */
export interface SandboxState {
  readonly config: SandboxConfig;
  db: Database;
  readonly keys: KeyStore;
  readonly faults: Faults;
  readonly stats: RequestStats;
  /** Answered list pages (see pageCache.ts). */
  readonly pages: PageCache;
  callbacks: CallbackDispatcher;
  readonly clock: Clock;
  /** Regenerates data (optionally with another seed / sizes), clears stats, faults, tokens and deliveries. */
  reset(change?: { seed?: number; sizes?: Partial<DataSizes> }): void;
  /** Notes a change for the optional persistence file. */
  changed(): void;
  /** Base URL of the HTTP listener (for key_url / FromUrl). */
  baseUrl(): string;
}
