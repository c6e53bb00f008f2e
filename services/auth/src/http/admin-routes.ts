import { parseInput, parseRequestParts, ProblemError, strictRouter, type AdminAccess, type Logger, type Route } from '@cinemetrics/kit';
import type { AuthController } from '../controller.js';
import type { KeyRing } from '../keys/key-ring.js';
import { z } from 'zod';
import { clientCredentialsSchema, clientId, newClientSchema, newUserSchema, userCredentialsSchema, username } from '../model.js';
import { ClientExistsError, UsernameTakenError } from '../repository/repository.js';

type Router = ReturnType<typeof strictRouter>;
type Context = Parameters<Route['handler']>[0];

function requestBody(ctx: Context): unknown {
  return (ctx.request as { body?: unknown }).body;
}

/** Parses the path parameters and the body together, so one problem names every bad field. */
function parseUpsert<P extends z.ZodType, B extends z.ZodType>(ctx: Context, params: P, body: B): { params: z.infer<P>; body: z.infer<B> } {
  return parseRequestParts<{ params: z.infer<P>; body: z.infer<B> }>([
    { key: 'params', schema: params, value: (ctx as { params?: unknown }).params, location: 'path' },
    { key: 'body', schema: body, value: requestBody(ctx), location: 'body' },
  ]);
}

/** 201 for a new user or client, 200 for a replaced one. */
function respondUpserted(ctx: Context, created: boolean, body: unknown): void {
  ctx.status = created ? 201 : 200;
  ctx.body = body;
}

/** The created value, or a 409 problem when creation failed with `taken`. */
async function orConflict<T>(creation: Promise<T>, taken: new (...args: never[]) => Error, detail: string): Promise<T> {
  try {
    return await creation;
  } catch (error) {
    throw error instanceof taken ? new ProblemError({ status: 409, detail }) : error;
  }
}

/**
 * `/admin/users`, `/admin/clients` and `/admin/signing-keys` on the admin port, behind the admin
 * guard: create users and service clients (POST), create or replace them (PUT: a password reset, a
 * secret rotation), rotate the signing key.
 */
export function authAdminRouter(options: { controller: AuthController; keys: KeyRing; access: AdminAccess; logger: Logger }): Router {
  const { controller, keys, logger } = options;
  const router = strictRouter();
  router.use(options.access);
  router.post('createUser', '/admin/users', async function createUser(ctx) {
    const input = parseInput(newUserSchema, requestBody(ctx), 'body');
    const user = await orConflict(controller.createUser(input), UsernameTakenError, 'The username is taken');
    logger.info({ user_id: user.id, roles: user.roles }, 'user created');
    ctx.status = 201;
    ctx.body = user;
  });
  router.post('createClient', '/admin/clients', async function createClient(ctx) {
    const input = parseInput(newClientSchema, requestBody(ctx), 'body');
    const client = await orConflict(controller.createClient(input), ClientExistsError, `The client id ${input.clientId} is taken`);
    logger.info({ client_id: client.clientId, roles: client.roles }, 'client created');
    ctx.status = 201;
    ctx.body = client;
  });
  router.put('upsertUser', '/admin/users/:username', async function upsertUser(ctx) {
    const { params, body } = parseUpsert(ctx, z.strictObject({ username }), userCredentialsSchema);
    const { user, created } = await controller.upsertUser({ username: params.username, ...body });
    logger.info({ user_id: user.id, roles: user.roles }, created ? 'user created' : 'user replaced');
    respondUpserted(ctx, created, user);
  });
  router.put('upsertClient', '/admin/clients/:clientId', async function upsertClient(ctx) {
    const { params, body } = parseUpsert(ctx, z.strictObject({ clientId }), clientCredentialsSchema);
    const { client, created } = await controller.upsertClient({ clientId: params.clientId, ...body });
    logger.info({ client_id: client.clientId, roles: client.roles }, created ? 'client created' : 'client replaced');
    respondUpserted(ctx, created, client);
  });
  router.post('rotateSigningKey', '/admin/signing-keys', async function rotateSigningKey(ctx) {
    const rotation = await keys.rotate();
    logger.warn({ kid: rotation.kid, retired_kids: rotation.retired }, 'signing key rotated');
    ctx.status = 201;
    ctx.body = { kid: rotation.kid, createdAt: rotation.createdAt, retired: rotation.retired };
  });
  return router;
}
