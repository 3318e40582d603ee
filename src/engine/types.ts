// What the engine needs to run one hub request against one instance. It never reads the platform or HTTP
// layers: the caller hands it the instance (with its decrypted configuration) and these dependencies.
import type { ElementCatalog } from '../elements/index.ts';
import type { Store } from '../store/index.ts';
import type { UpstreamClient } from '../upstream/index.ts';

export interface EngineInstance {
  id: number;
  elementKey: string;
  config: Record<string, string | null>;
  traceLoggingEnabled?: boolean;
}

export interface EngineDeps {
  catalog: ElementCatalog;
  upstream: UpstreamClient;
  /** Needed for Idempotency-Key replay and trace logs; without it both are off. */
  store?: Store;
  /**
   * When the hub call began (`performance.now()`): all its vendor calls share one deadline counted from here.
   * Without it, each vendor call's deadline counts from its own start (pollers, bulk).
   */
  callStartedAt?: number;
  /**
   * Overall deadline in milliseconds (retries included) for these calls, instead of the hub deadline
   * (`conduit.hub.deadline.ms` of the instance, else CONDUIT_HUB_DEADLINE_MS): pollers and bulk set their own.
   */
  deadlineMs?: number;
}

/** Query options of a hub list call (Cloud Elements names). */
export interface ListQuery {
  where?: string;
  page?: number;
  pageSize?: number;
  orderBy?: string;
  fields?: string;
  /** A Cloud Elements `nextPage` token (base64 JSON `{"page":2,"pageSize":50}`); wins over `page`. */
  nextPage?: string;
}
