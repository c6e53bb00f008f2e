import type { Layer } from '../call.js';
import { currentRequestScope } from '../deadline.js';

/**
 * The headers a call carries besides credentials, the same for each of its attempts:
 * `accept: application/json`, the downstream's default headers (the call's own win, and the
 * credentials added below win over both), the request id of the request being served (unless the
 * call sets one), the idempotency key, and the JSON content type.
 */
export function defaultHeaders(configured: Readonly<Record<string, string>>): Layer {
  return (next) => (request) => {
    const headers: Record<string, string> = { accept: 'application/json', ...configured, ...request.headers };
    if (headers['x-request-id'] === undefined) {
      const requestId = currentRequestScope()?.requestId;
      if (requestId !== undefined) headers['x-request-id'] = requestId;
    }
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    if (request.jsonBody) headers['content-type'] ??= 'application/json';
    return next({ ...request, headers });
  };
}

/** Header names in lower case, as HTTP/1.1 treats them and undici sends them. */
export function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
