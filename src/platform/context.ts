import type { Config } from '../config/index.ts';
import type { ElementCatalog } from '../elements/index.ts';
import type { OutboundPolicy, SecretBox } from '../security/index.ts';
import type { Store } from '../store/index.ts';
import type { UpstreamClient } from '../upstream/index.ts';

/** What the platform services need; built once by the entry point. */
export interface PlatformDeps {
  store: Store;
  box: SecretBox;
  catalog: ElementCatalog;
  upstream: UpstreamClient;
  policy: OutboundPolicy;
  config: Config;
}
