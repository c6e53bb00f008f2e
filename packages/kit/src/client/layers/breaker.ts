import type { Layer } from '../call.js';
import type { DownstreamBreaker } from '../breaker.js';

/**
 * Every attempt through the downstream's circuit breaker, so it sees one outcome per attempt sent
 * (a retried call is several). While open, an attempt fails at once with `circuit_open` and nothing
 * is sent; the breaker's own probe decides when trial calls may pass again.
 */
export function throughBreaker(breaker: DownstreamBreaker): Layer {
  return (next) => (request) => breaker.execute(() => next(request));
}
