import { z } from 'zod';
import type { Route, RouteAuth } from './route.js';
import { decimalIntegerBounds } from './validation.js';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  license?: { name: string; identifier: string };
}

type JsonSchema = Record<string, unknown>;

/**
 * A query integer arrives as a string but is described as what it is read as: an integer within its
 * bounds (with its default, which zod leaves out of input schemas of transforming pipes).
 */
function describeQueryIntegers(context: { zodSchema: z.core.$ZodTypes; jsonSchema: JsonSchema }): void {
  const def = context.zodSchema._zod.def;
  const bounds = decimalIntegerBounds.get(context.zodSchema);
  if (bounds) {
    for (const key of Object.keys(context.jsonSchema)) delete context.jsonSchema[key];
    Object.assign(context.jsonSchema, { type: 'integer', ...bounds });
  } else if (def.type === 'default' && decimalIntegerBounds.has(def.innerType)) {
    context.jsonSchema['default'] = def.defaultValue;
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: describeQueryIntegers,
  });
  return rest;
}

/** `/metadata/:id` → `/metadata/{id}` */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, propertySchema]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof propertySchema['description'] === 'string' ? { description: propertySchema['description'] } : {}),
    schema: propertySchema,
  }));
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemContent = { 'application/problem+json': { schema: problemRef } };

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'rule', 'message'],
        properties: { field: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** The document is served by the service it describes, so its paths are relative to where it was fetched. */
const servers = [{ url: '/', description: 'The service that served this document' }];

const bearerAuth = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'An access token from the auth service: `POST /tokens` (username and password, for people) or ' +
    '`POST /oauth/token` (OAuth 2.0 client credentials, for service clients), sent as `Authorization: Bearer <token>`.',
};

const publicOperation = { security: [] };
const protectedOperation = { security: [{ bearerAuth: [] }] };

function forbiddenDescription(auth: RouteAuth): string | undefined {
  const needs = [
    ...(auth.roles && auth.roles.length > 0 ? [`a token carrying one of the roles: ${auth.roles.join(', ')}`] : []),
    ...(auth.usersOnly ? ['a token issued to a person (POST /tokens), not to a service client'] : []),
  ];
  return needs.length > 0 ? `The token is valid, but the operation needs ${needs.join(', and ')}` : undefined;
}

function authErrors(auth: RouteAuth | undefined): Record<string, unknown> {
  if (!auth) return { '401': { description: 'A bearer token was sent and is not valid (public: no token is needed)', content: problemContent } };
  const forbidden = forbiddenDescription(auth);
  return {
    '401': { description: 'The bearer token is missing, not valid or expired', content: problemContent },
    ...(forbidden ? { '403': { description: forbidden, content: problemContent } } : {}),
  };
}

function commonErrors(route: Route): Record<string, unknown> {
  const errors: Record<string, unknown> = {};
  if (route.request) errors['400'] = { description: 'Invalid request: the problem names each field and rule', content: problemContent };
  Object.assign(errors, authErrors(route.auth));
  if (route.request?.body || route.request?.form) {
    const mediaType = route.request?.form ? 'a form (application/x-www-form-urlencoded)' : 'JSON';
    errors['413'] = { description: 'Request body too large (after decompression)', content: problemContent };
    errors['415'] = { description: `Request body is not ${mediaType}, or its Content-Encoding is not identity, gzip, deflate or br`, content: problemContent };
  }
  errors['500'] = { description: 'Unexpected error', content: problemContent };
  errors['503'] = { description: 'A dependency is unavailable', content: problemContent };
  return errors;
}

function operation(route: Route): Record<string, unknown> {
  const responses: Record<string, unknown> = commonErrors(route);
  for (const [status, response] of Object.entries(route.responses)) {
    const isProblem = Number(status) >= 400;
    responses[status] = {
      description: response.description,
      ...(response.schema
        ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } }
        : isProblem
          ? { content: problemContent }
          : {}),
    };
  }
  const params = [...parameters(route.request?.params, 'path'), ...parameters(route.request?.query, 'query')];
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.tags ? { tags: route.tags } : {}),
    ...(route.auth ? protectedOperation : publicOperation),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.request?.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.request.body, 'input') } } } }
      : {}),
    ...(route.request?.form
      ? { requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: jsonSchema(route.request.form, 'input') } } } }
      : {}),
    responses,
  };
}

const wellKnownPaths = {
  '/.well-known/alive': {
    get: { operationId: 'alive', summary: 'Liveness: the process serves', ...publicOperation, responses: { '200': { description: 'Alive' } } },
  },
  '/.well-known/health': {
    get: {
      operationId: 'health',
      summary: 'Readiness with the status of each dependency',
      ...publicOperation,
      responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency is down or the service is stopping' } },
    },
  },
  '/openapi.json': {
    get: { operationId: 'openapi', summary: 'This document', ...publicOperation, responses: { '200': { description: 'OpenAPI 3.1 document' } } },
  },
};

/** Builds the OpenAPI 3.1 document of a service from its route definitions. */
export function buildOpenApiDocument(info: OpenApiInfo, routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = { ...wellKnownPaths };
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info,
    servers,
    paths,
    // Only the components an operation refers to (every route's errors are problems; the kit's own
    // operations use neither).
    components: {
      ...(routes.length > 0 ? { schemas: { Problem: problemSchema } } : {}),
      ...(routes.some((route) => route.auth) ? { securitySchemes: { bearerAuth } } : {}),
    },
  };
}
