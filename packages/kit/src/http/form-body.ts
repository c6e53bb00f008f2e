import type { Middleware } from 'koa';
import { jsonBodyReader } from './json-body.js';

/**
 * Reads an `application/x-www-form-urlencoded` body (OAuth token requests) with the JSON reader's
 * rules: bounded by `limit` after decompression, 415 for another media type or content coding,
 * no body at all left undefined for the schema to report as `required`.
 */
export function formBodyReader(limit: string, method: string): Middleware {
  return jsonBodyReader(limit, method, 'form');
}
