// POST /hubs/{hub}/bulk/query: q in the query string, a JSON body {"query"}, a form field, or a multipart field;
// a body-less POST works (Cloud Elements clients send one). → {id, status: "CREATED"}.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { submitExport } from '../../../bulk/index.ts';
import { AppFailure, appError, unwrap } from '../../../errors/index.ts';
import type { PlatformDeps } from '../../../platform/index.ts';
import { hubInstance } from '../hub/instance.ts';
import { callbackUrlOf } from './context.ts';
import { bulkErrors, Created, HubParam } from './schemas.ts';

const QueryString = Type.Object(
  { q: Type.Optional(Type.String({ maxLength: 20_000 })), from: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: true },
);

const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

async function bodyQuery(request: FastifyRequest): Promise<{ q?: string; from?: string }> {
  if (request.isMultipart()) {
    const out: { q?: string; from?: string } = {};
    for await (const part of request.parts({ limits: { fieldSize: 64 * 1024, files: 0 } })) {
      if (part.type !== 'field') continue;
      if (part.fieldname === 'query' || part.fieldname === 'q') out.q = text(part.value);
      if (part.fieldname === 'from') out.from = text(part.value);
    }
    return out;
  }
  const b = request.body as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object') return {};
  return { q: text(b.query) ?? text(b.q), from: text(b.from) };
}

export function submitQueryRoute(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/hubs/:hub/bulk/query',
      {
        config: { auth: 'element' },
        schema: {
          params: HubParam,
          querystring: QueryString,
          // Absent (body-less POST), {"query"|"q", "from"} as JSON or form fields, or multipart fields: read below.
          body: Type.Unknown(),
          response: { 200: Created, ...bulkErrors },
        },
      },
      async (request, reply) => {
        const call = await hubInstance(deps, request, reply);
        const fromBody = await bodyQuery(request);
        const q = text(request.query.q) ?? fromBody.q;
        if (!q) {
          throw new AppFailure(
            appError('MISSING_PARAMETER', 'Give the query: ?q=select * from contacts [where …], or {"query": "…"}', {
              field: 'q',
            }),
          );
        }
        const from = text(request.query.from) ?? fromBody.from;
        const callbackUrl = callbackUrlOf(request);
        const job = unwrap(
          await submitExport(
            deps,
            { organizationId: call.record.organizationId, instance: call.instance, engine: call.engine },
            { q, ...(from !== undefined ? { from } : {}), ...(callbackUrl ? { callbackUrl } : {}) },
          ),
        );
        return { id: job.id, status: job.status };
      },
    );
  };
}
