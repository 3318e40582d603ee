// Hub path → vendor endpoint, from the element definition only (resources, children, pass-through).
import type { QuerySchema } from '../ceql/index.ts';
import type { ChildResource, ElementDefinition, ElementResource } from '../elements/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { querySchemaOf } from './context.ts';
import { memoPerOwner } from './memo.ts';

export type Operation = 'list' | 'get' | 'count' | 'create' | 'replace' | 'update' | 'delete' | 'attach';

export interface Endpoint {
  /** The hub name, e.g. `contacts` or `incidents/comments`; `pass-through` for unnamed objects. */
  name: string;
  /** Vendor collection path with the parent id filled in, e.g. `/service/tickets/12/notes`. */
  vendorPath: string;
  schema: QuerySchema;
  methods: ReadonlySet<string>;
  idField: string;
  /** Extra vendor condition binding a flat vendor list to the parent (time entries of a ticket). */
  parentFilter?: string;
  hook?: string;
  resource?: ElementResource;
  child?: ChildResource;
  parentId?: string;
}

export interface Addressed {
  endpoint: Endpoint;
  /** Record id within the endpoint, when the path names one. */
  id?: string;
  count: boolean;
}

const ID = /^\d{1,15}$/;
const SEGMENT = /^[A-Za-z][A-Za-z0-9_-]*$/;

const endpointCache = new WeakMap<object, Endpoint>();

function resourceEndpoint(r: ElementResource): Endpoint {
  let e = endpointCache.get(r);
  if (!e) {
    e = {
      name: r.name,
      vendorPath: r.vendorPath,
      schema: querySchemaOf(r),
      methods: new Set(r.methods),
      idField: r.idField,
      resource: r,
    };
    endpointCache.set(r, e);
  }
  return e;
}

function childEndpoint(r: ElementResource, c: ChildResource, parentId: string): Endpoint {
  return {
    name: `${r.name}/${c.name}`,
    vendorPath: c.vendorPath.replaceAll('{id}', parentId),
    schema: querySchemaOf(c),
    methods: new Set(c.methods),
    idField: c.idField ?? 'id',
    ...(c.parentFilter ? { parentFilter: c.parentFilter.replaceAll('{id}', parentId) } : {}),
    ...(c.hook ? { hook: c.hook } : {}),
    resource: r,
    child: c,
    parentId,
  };
}

const notFound = (path: string) => fail(appError('NOT_FOUND', `No hub resource at /${path}`));
const badId = (id: string) =>
  fail(appError('INVALID_PARAMETER', `The id ${JSON.stringify(id)} is not a ConnectWise record id`));

/** Resolves the segments after `/hubs/{hub}/`. Names the element does not declare become a read-only pass-through. */
function resolveHubPath(def: ElementDefinition, segments: string[]): Result<Addressed> {
  const path = segments.join('/');
  const [head, second, third, fourth, ...rest] = segments;
  if (!head) return notFound(path);
  const resource = def.resources.find((r) => r.name === head);
  if (!resource) return passThrough(segments);
  const endpoint = resourceEndpoint(resource);
  if (second === undefined) return ok({ endpoint, count: false });
  if (second === 'count' && third === undefined) return ok({ endpoint, count: true });
  if (!ID.test(second)) return badId(second);
  if (third === undefined) return ok({ endpoint, id: second, count: false });
  const child = resource.children?.find((c) => c.name === third);
  if (!child || rest.length > 0) return notFound(path);
  const childPoint = childEndpoint(resource, child, second);
  if (fourth === undefined) return ok({ endpoint: childPoint, count: false });
  if (fourth === 'count') return ok({ endpoint: childPoint, count: true });
  if (!ID.test(fourth)) return badId(fourth);
  return ok({ endpoint: childPoint, id: fourth, count: false });
}

const resolved = memoPerOwner<ElementDefinition, Result<Addressed>>(2_000);

/** `resolveHubPath` of a `/`-joined path, remembered per definition (clients repeat the same few paths). */
export function resolveHubTarget(def: ElementDefinition, path: string): Result<Addressed> {
  return resolved(def, path, () => resolveHubPath(def, path.split('/').filter(Boolean)));
}

const PASS_METHODS: ReadonlySet<string> = new Set(['list', 'get', 'count']);

/**
 * `/{area}/{object}[/{id}[/{child}[/{childId}]]]` (the ConnectWise path, e.g. `system/members/5`). Only GET is
 * passed through; the path is checked segment by segment so nothing but a plain vendor path reaches the vendor.
 */
function passThrough(segments: string[]): Result<Addressed> {
  const path = segments.join('/');
  if (segments.length < 1 || segments.length > 6) return notFound(path);
  for (const s of segments) if (!SEGMENT.test(s) && !ID.test(s)) return notFound(path);
  if (ID.test(segments[0] ?? '')) return notFound(path);
  const last = segments[segments.length - 1] ?? '';
  const count = last === 'count';
  const collection = count ? segments.slice(0, -1) : segments;
  const tail = collection[collection.length - 1] ?? '';
  const id = !count && ID.test(tail) ? tail : undefined;
  const base = id ? collection.slice(0, -1) : collection;
  return ok({
    endpoint: {
      name: 'pass-through',
      vendorPath: `/${base.join('/')}`,
      schema: querySchemaOf(undefined),
      methods: PASS_METHODS,
      idField: 'id',
    },
    ...(id ? { id } : {}),
    count,
  });
}

/** Refuses an operation the element does not offer at this path, as Cloud Elements did. */
export function checkMethod(endpoint: Endpoint, op: Operation): Result<void> {
  if (endpoint.methods.has(op)) return ok(undefined);
  return fail(
    appError('METHOD_NOT_ALLOWED', `This API is not currently supported for this element (${op} ${endpoint.name})`),
  );
}
