// Hub addressing (issue 14): Cloud Elements ignored the hub segment, so `/contacts`, `/hubs/crm/contacts` and
// `/hubs/anything/contacts` are one call. A bare path is routed to the hub only when the caller authenticates
// with an Element token and its first segment is not one of the platform's own route names below.
import type { PlatformDeps } from '../../../platform/index.ts';
import { findInstance } from '../../../store/index.ts';
import { commonResourceObjects } from '../../../transformations/docs.ts';

/**
 * Every first path segment under /elements/api-v2 that belongs to the platform (never to the hub), plus the root
 * routes. Fixed and documented (docs/hub.md): an object of the same name is reached as `/hubs/crm/<name>`.
 */
export const PLATFORM_ROUTE_NAMES: readonly string[] = Object.freeze([
  'accounts',
  'authentication',
  'bulk',
  'common-resources',
  'elements',
  'events',
  'formulas',
  'healthz',
  'hubs',
  'instance',
  'instances',
  'metrics',
  'organizations',
  'readyz',
  'sandbox',
  'transformations',
  'users',
  'vdrs',
]);

const PLATFORM = new Set(PLATFORM_ROUTE_NAMES);
/** `Element <token>` as one part of the Authorization header (`User …, Element …` or the three-part form). */
const ELEMENT_AUTH = /(?:^|,)\s*Element\s+\S/i;

/** The hub segment bare paths are given; any name would do (the segment is not authoritative). */
const DEFAULT_HUB = 'crm';

/**
 * The URL Fastify routes (its `rewriteUrl`): `<prefix>/<object>…` becomes `<prefix>/hubs/crm/<object>…` for an
 * Element-token caller when `<object>` is not a platform route name; every other URL is left as it is.
 */
export function hubAddressedUrl(prefix: string, url: string, authorization: string | string[] | undefined): string {
  if (typeof authorization !== 'string' || !ELEMENT_AUTH.test(authorization)) return url;
  if (!url.startsWith(`${prefix}/`)) return url;
  const rest = url.slice(prefix.length + 1);
  const first = rest.split(/[/?#]/, 1)[0] ?? '';
  if (first === '' || PLATFORM.has(first)) return url;
  return `${prefix}/hubs/${DEFAULT_HUB}/${rest}`;
}

/** One entry of `GET /objects` with `Elements-Version: Helium`. */
export interface HeliumObject {
  name: string;
  vendorName: string;
  type: 'vendor' | 'ceCanonical' | 'vdr';
}

/**
 * Hook for virtual data resources: the object names transformations define for this instance, listed by the
 * Helium `/objects` as `type: "vdr"`. Returns none until transformations exist.
 */
export async function vdrObjectNames(deps: PlatformDeps, instanceId: number): Promise<HeliumObject[]> {
  const instance = await findInstance(deps.store.db, instanceId);
  return instance ? commonResourceObjects(deps, instance) : [];
}
