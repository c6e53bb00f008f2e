import { defineRoute, type Route } from '@cinemetrics/kit';
import { z } from 'zod';
import type { AuthController } from '../controller.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { SignInLimiter } from '../signin-limiter.js';
import type { TokenIssuer, TokenResponse } from '../tokens.js';
import { clientCredentials } from './client-credentials.js';
import { invalidCredentials, oauthError } from './problems.js';

export interface AuthRoutesOptions {
  controller: AuthController;
  issuer: TokenIssuer;
  limiter: SignInLimiter;
  keys: KeyRing;
  /** AUTH_ISSUER and AUTH_URL, for the discovery document. */
  issuerName: string;
  publicUrl: string;
}

type Context = Parameters<Route['handler']>[0];

const tokenResponse = z.object({
  access_token: z.string().describe('A JWT access token (RFC 9068), signed with EdDSA'),
  token_type: z.literal('Bearer'),
  expires_in: z.int().describe('Seconds until the token expires'),
});

const signInBody = z.strictObject({
  // Not the account-creation rules: any name is checked (and counted) the same way, known or not.
  username: z.string().trim().toLowerCase().min(1).max(256).describe('Sign-in name, case-insensitive'),
  password: z.string().min(1).max(1024),
});

/** RFC 6749 §3.2: parameters the server does not know are ignored. */
const tokenRequestForm = z.looseObject({
  grant_type: z.string().max(64).optional().describe('client_credentials'),
  client_id: z.string().max(256).optional().describe('With client_secret_post; or use HTTP Basic'),
  client_secret: z.string().max(1024).optional(),
  scope: z.string().max(1024).optional().describe('Ignored: roles come from the client registration'),
});

const jwks = z.object({
  keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
});

function sendToken(ctx: Context, token: TokenResponse): void {
  // RFC 6749 §5.1: responses carrying tokens are never cached.
  ctx.set('cache-control', 'no-store');
  ctx.set('pragma', 'no-cache');
  ctx.body = token;
}

export function authRoutes(options: AuthRoutesOptions): Route[] {
  const { controller, issuer, limiter, keys } = options;
  return [
    defineRoute({
      method: 'post',
      path: '/tokens',
      operationId: 'signIn',
      summary: 'Sign in with a username and password: an access token for the user',
      tags: ['tokens'],
      request: { body: signInBody },
      responses: {
        200: { description: 'Signed in', schema: tokenResponse },
        401: { description: 'Wrong username or password (the same answer for both)' },
        429: { description: 'Too many failed sign-ins for this account or from this address; see retry-after' },
      },
      handler: async (ctx, { body }) => {
        const user = await limiter.attempt(`user:${body.username}`, ctx.ip, () => controller.authenticateUser(body.username, body.password));
        if (!user) throw invalidCredentials();
        sendToken(ctx, await issuer.issue({ kind: 'user', userId: user.id, roles: user.roles }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/token',
      operationId: 'clientCredentialsToken',
      summary: 'OAuth 2.0 client credentials grant: an access token for a service client',
      tags: ['tokens'],
      request: { form: tokenRequestForm },
      responses: {
        200: { description: 'A token for the client', schema: tokenResponse },
        401: { description: 'invalid_client: unknown client, wrong secret or no client authentication' },
        429: { description: 'Too many failed attempts for this client or from this address; see retry-after' },
      },
      handler: async (ctx, { form }) => {
        if (form.grant_type === undefined) throw oauthError('invalid_request', 'grant_type is required');
        if (form.grant_type !== 'client_credentials') {
          throw oauthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
        }
        const credentials = clientCredentials(ctx.get('authorization'), form);
        const client = await limiter.attempt(`client:${credentials.clientId}`, ctx.ip, () =>
          controller.authenticateClient(credentials.clientId, credentials.secret),
        );
        if (!client) throw oauthError('invalid_client', 'The client could not be authenticated');
        sendToken(ctx, await issuer.issue({ kind: 'client', clientId: client.clientId, roles: client.roles }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/.well-known/jwks.json',
      operationId: 'jwks',
      summary: 'The public keys that verify access tokens (current and recently retired)',
      tags: ['discovery'],
      responses: { 200: { description: 'JSON Web Key Set', schema: jwks } },
      handler: async (ctx) => {
        ctx.set('cache-control', 'public, max-age=60');
        ctx.body = await keys.jwks();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/.well-known/openid-configuration',
      operationId: 'discovery',
      summary: 'Authorization server metadata: issuer, JWKS and token endpoint',
      tags: ['discovery'],
      responses: { 200: { description: 'Server metadata (RFC 8414 members)' } },
      handler: (ctx) => {
        ctx.set('cache-control', 'public, max-age=300');
        ctx.body = {
          issuer: options.issuerName,
          jwks_uri: `${options.publicUrl}/.well-known/jwks.json`,
          token_endpoint: `${options.publicUrl}/oauth/token`,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        };
      },
    }),
  ];
}
