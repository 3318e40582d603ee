// Discovery: GET /hubs/{hub}/objects (names) and /objects/{name}/metadata (fields), from the element's models.
// Answers while the instance is disabled (it calls no vendor API).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { type ElementResource, resourceModel } from '../../../elements/index.ts';
import { AppFailure, appError } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { AnyObject, errorResponses } from '../../schemas.ts';
import { type HeliumObject, vdrObjectNames } from './addressing.ts';
import { hubInstance } from './instance.ts';

const nativeType: Record<string, string> = {
  string: 'string',
  number: 'integer',
  boolean: 'boolean',
  date: 'datetime',
};

export function objectMetadata(r: ElementResource) {
  const required = new Set(r.required ?? []);
  return {
    objectName: r.name,
    vendorName: r.vendorName,
    label: r.label,
    methods: r.methods,
    idField: r.idField,
    fields: Object.entries(r.fields).map(([path, type]) => ({
      vendorPath: path,
      path,
      type: type === 'date' ? 'date' : type,
      vendorNativeType: nativeType[type],
      required: required.has(path) || required.has(path.split('.')[0] ?? ''),
      filterable: true,
      ...(r.mappings?.[path] ? { mapping: r.mappings[path] } : {}),
    })),
    mappings: Object.entries(r.mappings ?? {}).map(([name, mapping]) => ({ name, ...mapping })),
    model: resourceModel(r),
    children: (r.children ?? []).map((c) => ({ name: c.name, methods: c.methods })),
  };
}

const HeliumEntry = Type.Object({
  name: Type.String(),
  vendorName: Type.String(),
  type: Type.Union([Type.Literal('vendor'), Type.Literal('ceCanonical'), Type.Literal('vdr')]),
});

/**
 * `Elements-Version: Helium` object list: each hub resource as `ceCanonical` (vendorName: the ConnectWise model),
 * each ConnectWise path behind one as `vendor` (reachable read-only as a pass-through), then the `vdr` entries.
 */
export function heliumObjects(resources: readonly ElementResource[], vdrs: readonly HeliumObject[]): HeliumObject[] {
  const canonical = resources.map((r) => ({ name: r.name, vendorName: r.vendorName, type: 'ceCanonical' as const }));
  const vendor = resources.map((r) => ({
    name: r.vendorPath.replace(/^\/+/, ''),
    vendorName: r.vendorName,
    type: 'vendor' as const,
  }));
  return [...canonical, ...vendor, ...vdrs];
}

export function objectsRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/hubs/:hub/objects',
      {
        config: { auth: 'element' },
        schema: {
          params: Type.Object({ hub: Type.String() }),
          headers: Type.Object({ 'elements-version': Type.Optional(Type.String({ maxLength: 50 })) }),
          response: { 200: Type.Union([Type.Array(HeliumEntry), Type.Array(Type.String())]), ...errorResponses },
        },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply, { allowDisabled: true });
        const resources = deps.catalog.find(call.instance.elementKey)?.resources ?? [];
        if (request.headers['elements-version']?.toLowerCase() !== 'helium') return resources.map((r) => r.name);
        return heliumObjects(resources, await vdrObjectNames(deps, call.instance.id));
      },
    );
    app.get(
      '/hubs/:hub/objects/:name/metadata',
      {
        config: { auth: 'element' },
        schema: {
          params: Type.Object({ hub: Type.String(), name: Type.String() }),
          response: { 200: AnyObject, ...errorResponses },
        },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply, { allowDisabled: true });
        const r = deps.catalog.find(call.instance.elementKey)?.resources.find((x) => x.name === request.params.name);
        if (!r) throw new AppFailure(appError('NOT_FOUND', `No object named ${request.params.name}`));
        return objectMetadata(r);
      },
    );
  };
}
