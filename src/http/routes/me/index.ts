// The signed-in user and organization (Bearer session, or User + Organization).
//
//   GET /users/me           {id, emailAddress, firstName, lastName, organizationId, passwordSignIn, …}
//   GET /organizations/me   {id, name, createdDate, active}
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppFailure, appError } from '../../../errors/index.ts';
import { organizationView, type PlatformDeps, userView } from '../../../platform/index.ts';
import { findOrganizationById } from '../../../store/index.ts';
import { principalOf } from '../../auth.ts';
import { errorResponses } from '../../schemas.ts';

const UserObject = Type.Object(
  {
    id: Type.Integer(),
    emailAddress: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    organizationId: Type.Integer(),
    passwordSignIn: Type.Boolean(),
  },
  { additionalProperties: true },
);

const OrganizationObject = Type.Object(
  { id: Type.Integer(), name: Type.String(), createdDate: Type.String() },
  { additionalProperties: true },
);

export function meRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/users/me',
      { schema: { response: { 200: UserObject, ...errorResponses } }, config: { auth: 'session' } },
      async (request) => userView(deps.store, principalOf(request).user),
    );

    app.get(
      '/organizations/me',
      { schema: { response: { 200: OrganizationObject, ...errorResponses } }, config: { auth: 'session' } },
      async (request) => {
        const p = principalOf(request);
        const org = p.organization ?? (await findOrganizationById(deps.store.db, p.organizationId));
        if (!org) throw new AppFailure(appError('NOT_FOUND', `Organization ${p.organizationId} not found`));
        return organizationView(org);
      },
    );
  };
}
