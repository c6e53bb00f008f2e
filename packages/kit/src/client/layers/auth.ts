import { trace } from '@opentelemetry/api';
import type { CallState, Layer } from '../call.js';
import type { AuthProvider } from '../auth.js';

/**
 * Credentials on every attempt, from the downstream's auth provider (API key, basic, forwarded bearer,
 * OAuth client credentials). A 401 makes a provider that can (OAuth) get fresh credentials and
 * repeat the attempt, once per call: a second 401 is the answer.
 */
export function authenticate(auth: AuthProvider): Layer {
  const refreshedCalls = new WeakSet<CallState>();
  return (next) => async (request) => {
    const send = async () => {
      const used = await auth.headers(request.call.signal);
      const withCredentials = Object.keys(used).length === 0 ? request : { ...request, headers: { ...request.headers, ...used } };
      return { used, response: await next(withCredentials) };
    };
    const { used, response } = await send();
    if (response.status !== 401 || refreshedCalls.has(request.call) || request.call.signal.aborted) return response;
    refreshedCalls.add(request.call);
    if (!(await auth.refreshAfterUnauthorized(used, request.call.signal))) return response;
    trace.getActiveSpan()?.addEvent('credentials refreshed after 401');
    return (await send()).response;
  };
}
