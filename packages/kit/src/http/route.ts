import Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { RouteAuth } from '../auth/middleware.js';

export type { RouteAuth };

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface RouteRequestSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** An `application/x-www-form-urlencoded` body instead of a JSON one (OAuth token requests). */
  form?: z.ZodType;
}

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
}

type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteInput<R extends RouteRequestSchemas> {
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  form: Parsed<R['form']>;
}

/**
 * One HTTP operation: the zod schemas that validate its input are the same ones the OpenAPI
 * document is generated from, so the description cannot drift from the behaviour.
 */
export interface Route<R extends RouteRequestSchemas = RouteRequestSchemas> {
  method: HttpMethod;
  /** Koa path template, e.g. `/metadata/:id`; it becomes the `http.route` label. */
  path: string;
  operationId: string;
  summary: string;
  tags?: string[];
  request?: R;
  /** Who may call. Absent: public — anyone; a bearer token, if sent, is still verified. */
  auth?: RouteAuth;
  /** Success and domain-specific responses; the kit adds the common error responses. */
  responses: Record<number, RouteResponse>;
  handler: (ctx: Context, input: RouteInput<R>) => Promise<void> | void;
}

/** Keeps the handler's input typed by its schemas while letting routes of any shape share one list. */
export function defineRoute<R extends RouteRequestSchemas>(route: Route<R>): Route {
  return route;
}

/**
 * Every router the kit builds: strict (`/metadata/` is not `/metadata`) and case-sensitive, as the
 * OpenAPI documents describe the paths, so one resource has one URL and one `http.route` label.
 */
export function strictRouter(options: { prefix?: string } = {}): Router {
  return new Router({ ...options, strict: true, sensitive: true });
}
