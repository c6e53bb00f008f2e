import type { Context, Middleware } from 'koa';
import { bodyParserOnFirstUse } from './body-parser.js';
import { undecodableBody, unsupportedContentEncoding, unsupportedMediaType } from '../problem.js';

/** The content codings the body parser decompresses (RFC 9110 §8.4.1); anything else is a 415. */
export const SUPPORTED_CONTENT_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

/** Longest encoding name echoed back in a problem: the header is the client's, not ours. */
const MAX_ECHOED_ENCODING_LENGTH = 64;

function requestedEncoding(ctx: Context): string {
  return (ctx.get('content-encoding') || 'identity').trim().toLowerCase();
}

function isSupported(encoding: string): boolean {
  return (SUPPORTED_CONTENT_ENCODINGS as readonly string[]).includes(encoding);
}

/**
 * Decompression errors come from zlib without an HTTP status (client aborts, size and JSON errors
 * carry one, and the problem middleware names them): they mean the body is not what its
 * `Content-Encoding` says.
 */
function undecodable(error: unknown, encoding: string): boolean {
  return encoding !== 'identity' && error instanceof Error && (error as { status?: unknown }).status === undefined;
}

/** The media type each kind of body must declare. */
const MEDIA_TYPES = { json: 'application/json', form: 'application/x-www-form-urlencoded' } as const;
export type BodyKind = keyof typeof MEDIA_TYPES;

/**
 * Reads and parses a JSON body inside the matched route, so every refusal (415, 413, malformed or
 * undecodable body) is counted and logged under that route. The body is bounded by `limit` after
 * decompression. Any JSON value is accepted here — a number or a string where an object belongs is
 * the schema's to refuse, naming `body` and the rule — and an empty body becomes undefined, which
 * the schema reports as `required`. `kind: 'form'` reads an `application/x-www-form-urlencoded`
 * body the same way (form-body.ts).
 */
export function jsonBodyReader(limit: string, method: string, kind: BodyKind = 'json'): Middleware {
  const parse = bodyParserOnFirstUse({
    enableTypes: [kind],
    jsonLimit: limit,
    formLimit: limit,
    jsonStrict: false,
    encoding: 'utf-8',
    parsedMethods: [method.toUpperCase()],
  });
  return async function readBody(ctx, next) {
    const matches = ctx.request.is(MEDIA_TYPES[kind]);
    // null: the request has no body at all, which the schema reports as `required`.
    if (matches === null) {
      await next();
      return;
    }
    if (matches === false) throw unsupportedMediaType(MEDIA_TYPES[kind]);
    const encoding = requestedEncoding(ctx);
    if (!isSupported(encoding)) {
      throw unsupportedContentEncoding(encoding.slice(0, MAX_ECHOED_ENCODING_LENGTH), SUPPORTED_CONTENT_ENCODINGS);
    }
    // Content codings are case-insensitive; the decompressor only knows the lower-case names.
    if (ctx.req.headers['content-encoding'] !== undefined) ctx.req.headers['content-encoding'] = encoding;
    try {
      await parse(ctx, async () => {});
    } catch (error) {
      throw undecodable(error, encoding) ? undecodableBody(encoding) : error;
    }
    if (ctx.request.body === '') ctx.request.body = undefined;
    await next();
  };
}
