import type { Middleware } from 'koa';
import type { bodyParser } from '@koa/bodyparser';

type BodyParserOptions = NonNullable<Parameters<typeof bodyParser>[0]>;

/** @koa/bodyparser's own default: it passes every other method through untouched. */
const DEFAULT_PARSED_METHODS = ['POST', 'PUT', 'PATCH'];

/**
 * @koa/bodyparser's middleware, loaded and built on the first request with a method it parses: loading
 * it (co-body, qs and what they use) is a good part of a service's start-up, and a service may never
 * receive such a request. Requests with other methods pass through, as the parser itself would let them.
 */
export function bodyParserOnFirstUse(options: BodyParserOptions): Middleware {
  const parsedMethods = (options.parsedMethods ?? DEFAULT_PARSED_METHODS).map((method) => method.toUpperCase());
  let parse: Middleware | undefined;
  return (ctx, next) => {
    if (!parsedMethods.includes(ctx.method.toUpperCase())) return next();
    parse ??= (require('@koa/bodyparser') as typeof import('@koa/bodyparser')).bodyParser(options);
    return parse(ctx, next) as Promise<void>;
  };
}
