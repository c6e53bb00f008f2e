import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { CallContext } from '../controller.js';
import { GatewayUnavailableError } from './errors.js';

export interface DownstreamOptions {
  /** Service name, used in errors and logs (`metadata`, `rating`). */
  peer: string;
  /** Scheme, host, port and optional path prefix, without a trailing slash. */
  baseUrl: string;
  dispatcher: Dispatcher;
  /** Bound on a whole call: connect, headers and body. */
  timeoutMs: number;
}

/** Bodies above this size are refused rather than buffered: no record of ours comes close. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * One connection pool per downstream origin, shared by every gateway. Idle connections stay open for
 * reuse a little less long than the services' own keep-alive (5 s), so the pool never writes to a
 * socket the server is closing. Every phase of a call is bounded by `timeoutMs`.
 */
export function createDownstreamAgent(timeoutMs: number): Agent {
  return new Agent({
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 4_000,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    maxResponseSize: MAX_RESPONSE_BYTES,
  });
}

/** A short description of a transport failure, fit for a log field (never the whole stack). */
export function describeFailure(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  if (error.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return `no answer within ${timeoutMs} ms`;
  }
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

export type JsonAnswer<T> = { status: 'ok'; value: T } | { status: 'not_found' };

/**
 * GET `path` and parse a 200 answer with `schema`. 404 is reported as `not_found`; anything else that
 * is not a usable answer throws GatewayUnavailableError. The body is always consumed or discarded so
 * the connection goes back to the pool.
 */
export async function getJson<S extends z.ZodType>(
  options: DownstreamOptions,
  path: string,
  schema: S,
  context: CallContext,
): Promise<JsonAnswer<z.infer<S>>> {
  const { peer, timeoutMs } = options;
  let text: string;
  let statusCode: number;
  try {
    const response = await request(`${options.baseUrl}${path}`, {
      method: 'GET',
      dispatcher: options.dispatcher,
      headers: { accept: 'application/json', ...(context.requestId ? { 'x-request-id': context.requestId } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    statusCode = response.statusCode;
    if (statusCode !== 200) {
      await response.body.dump();
      if (statusCode === 404) return { status: 'not_found' };
      throw new GatewayUnavailableError(peer, `status ${statusCode}`);
    }
    text = await response.body.text();
  } catch (error) {
    if (error instanceof GatewayUnavailableError) throw error;
    throw new GatewayUnavailableError(peer, describeFailure(error, timeoutMs), { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GatewayUnavailableError(peer, 'response body is not JSON', { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'unknown';
    throw new GatewayUnavailableError(peer, `response body breaks the contract (${where})`, { cause: parsed.error });
  }
  return { status: 'ok', value: parsed.data };
}

/** Liveness of a downstream: `GET /.well-known/alive` answers 200 within `timeoutMs`. */
export async function checkAlive(options: DownstreamOptions, timeoutMs: number): Promise<void> {
  let statusCode: number;
  try {
    const response = await request(`${options.baseUrl}/.well-known/alive`, {
      method: 'GET',
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
    });
    statusCode = response.statusCode;
    await response.body.dump();
  } catch (error) {
    throw new GatewayUnavailableError(options.peer, describeFailure(error, timeoutMs), { cause: error });
  }
  if (statusCode !== 200) throw new GatewayUnavailableError(options.peer, `status ${statusCode}`);
}
