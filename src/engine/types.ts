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
