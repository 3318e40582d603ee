// Sign-in by password (Cloud Elements' POST /authentication) and getting the secrets back with the session.
//
//   POST   /authentication           {username, password} → {token, tokenType, expiresAt} (no Authorization)
//   DELETE /authentication           ends the Bearer session
//   GET    /authentication/secrets   {userSecret, organizationSecret} (Bearer session, or User + Organization)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { unwrap } from '../../../errors/index.ts';
import { endSession, type PlatformDeps, secretsOf, signIn } from '../../../platform/index.ts';
import { bearerToken, principalOf } from '../../auth.ts';
import { errorResponses } from '../../schemas.ts';

const SignInBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 320, description: "the user's e-mail" }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});

const SessionObject = Type.Object({
  token: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresAt: Type.String(),
});

export function authenticationRoutes(deps: PlatformDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/authentication',
      { schema: { body: SignInBody, response: { 200: SessionObject, ...errorResponses } }, config: { auth: 'none' } },
      async (request) => {
        const session = unwrap(await signIn(deps.store, deps.config, { ...request.body, address: request.ip }));
        return { token: session.token, tokenType: 'Bearer' as const, expiresAt: session.expiresAt };
      },
    );

    app.delete(
      '/authentication',
      {
        schema: { response: { 200: Type.Object({ signedOut: Type.Boolean() }), ...errorResponses } },
        config: { auth: 'session' },
      },
      async (request) => {
        const token = bearerToken(request.headers.authorization);
        if (token) await endSession(deps.store, token);
        return { signedOut: token !== undefined };
      },
    );

    app.get(
      '/authentication/secrets',
      {
        schema: {
          response: {
            200: Type.Object({ userSecret: Type.String(), organizationSecret: Type.String() }),
            ...errorResponses,
          },
        },
        config: { auth: 'session' },
      },
      async (request, reply) => {
        reply.header('Cache-Control', 'no-store');
        return unwrap(await secretsOf(deps.store, deps.box, principalOf(request).user));
      },
    );
  };
}
