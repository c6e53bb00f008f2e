import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { buildOpenApiDocument, openApiPath } from '../src/http/openapi.js';
import { defineRoute, type RouteAuth } from '../src/http/route.js';

const route = defineRoute({
  method: 'put',
  path: '/things/:kind/:id',
  operationId: 'putThing',
  summary: 'Put a thing',
  request: {
    params: z.object({ kind: z.string(), id: z.string().describe('Thing id') }),
    query: z.object({ dryRun: z.coerce.boolean().optional() }),
    body: z.strictObject({ value: z.int().min(1).max(5) }),
  },
  responses: { 200: { description: 'Replaced', schema: z.object({ value: z.int() }) }, 404: { description: 'No such thing' } },
  handler: () => undefined,
});

test('koa templates become OpenAPI templates', () => {
  assert.equal(openApiPath('/ratings/:recordType/:recordId'), '/ratings/{recordType}/{recordId}');
});

test('the document describes parameters, body, responses and common errors from the zod schemas', () => {
  const document = buildOpenApiDocument({ title: 't', version: '1' }, [route]) as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  assert.equal(document.openapi, '3.1.0');
  const operation = document.paths['/things/{kind}/{id}']?.['put'];
  assert.ok(operation);
  const parameters = operation['parameters'] as Array<{ name: string; in: string; required: boolean; description?: string }>;
  assert.deepEqual(
    parameters.map(({ name, in: where, required }) => ({ name, where, required })),
    [
      { name: 'kind', where: 'path', required: true },
      { name: 'id', where: 'path', required: true },
      { name: 'dryRun', where: 'query', required: false },
    ],
  );
  assert.equal(parameters[1]?.description, 'Thing id');
  const body = operation['requestBody'] as { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> };
  assert.deepEqual(body.content['application/json']?.schema.properties['value'], { type: 'integer', minimum: 1, maximum: 5 });
  assert.equal(body.content['application/json']?.schema.additionalProperties, false);
  const responses = operation['responses'] as Record<string, { content?: Record<string, unknown> }>;
  assert.deepEqual(Object.keys(responses).sort(), ['200', '400', '401', '404', '413', '415', '500', '503']);
  assert.ok(responses['404']?.content?.['application/problem+json']);
  assert.ok(document.paths['/.well-known/health']?.['get']);
});

type Document = {
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, { security?: unknown; responses: Record<string, { description: string; content?: Record<string, unknown> }> }>>;
  components: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, Record<string, unknown>> };
};

function guarded(operationId: string, auth: RouteAuth | undefined) {
  return defineRoute({
    method: 'get',
    path: `/${operationId}`,
    operationId,
    summary: operationId,
    ...(auth ? { auth } : {}),
    responses: { 200: { description: 'OK' } },
    handler: () => undefined,
  });
}

const guardedRoutes = [
  guarded('open', undefined),
  guarded('anyToken', {}),
  guarded('adminOnly', { roles: ['admin'] }),
  guarded('peopleOnly', { usersOnly: true }),
];

test('the document is served by its service: one relative server, "/"', () => {
  const document = buildOpenApiDocument({ title: 't', version: '1' }, [route]) as Document;
  assert.deepEqual(document.servers.map((server) => server.url), ['/']);
});

test('who may call: bearerAuth on operations with auth, explicitly public (security: []) on the others', () => {
  const document = buildOpenApiDocument({ title: 't', version: '1' }, guardedRoutes) as Document;
  const operation = (path: string) => document.paths[path]?.['get'];
  const bearer = [{ bearerAuth: [] }];
  assert.deepEqual(operation('/open')?.security, []);
  assert.deepEqual(operation('/anyToken')?.security, bearer);
  assert.deepEqual(operation('/adminOnly')?.security, bearer);
  assert.deepEqual(operation('/peopleOnly')?.security, bearer);
  for (const wellKnown of ['/.well-known/alive', '/.well-known/health', '/openapi.json']) {
    assert.deepEqual(operation(wellKnown)?.security, [], wellKnown);
  }
  const scheme = document.components.securitySchemes?.['bearerAuth'];
  assert.deepEqual({ type: scheme?.['type'], scheme: scheme?.['scheme'], bearerFormat: scheme?.['bearerFormat'] }, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  assert.match(String(scheme?.['description']), /POST \/tokens.*POST \/oauth\/token/);
});

test('401 is a problem on every route; 403 only where a role or a person is required, naming the need', () => {
  const document = buildOpenApiDocument({ title: 't', version: '1' }, guardedRoutes) as Document;
  const responses = (path: string) => document.paths[path]?.['get']?.responses ?? {};
  for (const path of ['/open', '/anyToken', '/adminOnly', '/peopleOnly']) {
    assert.ok(responses(path)['401']?.content?.['application/problem+json'], `${path} documents 401`);
  }
  assert.equal(responses('/open')['403'], undefined);
  assert.equal(responses('/anyToken')['403'], undefined);
  assert.match(responses('/adminOnly')['403']?.description ?? '', /roles: admin/);
  assert.match(responses('/peopleOnly')['403']?.description ?? '', /issued to a person/);
  assert.ok(responses('/peopleOnly')['403']?.content?.['application/problem+json']);
});

test('components hold only what an operation refers to', () => {
  const publicOnly = buildOpenApiDocument({ title: 't', version: '1' }, [guarded('open', undefined)]) as Document;
  assert.equal(publicOnly.components.securitySchemes, undefined);
  assert.ok(publicOnly.components.schemas?.['Problem']);
  const wellKnownOnly = buildOpenApiDocument({ title: 't', version: '1' }, []) as Document;
  assert.deepEqual(wellKnownOnly.components, {});
});

test('a form body is described as application/x-www-form-urlencoded, with its 413 and 415', () => {
  const formRoute = defineRoute({
    method: 'post',
    path: '/token',
    operationId: 'token',
    summary: 'Token',
    request: { form: z.object({ grant_type: z.string() }) },
    responses: { 200: { description: 'Token' } },
    handler: () => undefined,
  });
  const document = buildOpenApiDocument({ title: 't', version: '1' }, [formRoute]) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const operation = document.paths['/token']?.['post'];
  const body = operation?.['requestBody'] as { content: Record<string, { schema: { required: string[] } }> };
  assert.deepEqual(Object.keys(body.content), ['application/x-www-form-urlencoded']);
  assert.deepEqual(body.content['application/x-www-form-urlencoded']?.schema.required, ['grant_type']);
  const responses = operation?.['responses'] as Record<string, { description: string }>;
  assert.match(responses['415']?.description ?? '', /form/);
  assert.ok(responses['413']);
});
