import { downstreamPolicyEnvShape, httpBaseUrl, serviceEnvWithDefaults } from '@cinemetrics/kit';
import { z } from 'zod';

export const movieEnvSchema = serviceEnvWithDefaults({ PORT: 8083, ADMIN_PORT: 8093 }).extend({
  METADATA_URL: httpBaseUrl.default('http://127.0.0.1:8081'),
  RATING_URL: httpBaseUrl.default('http://127.0.0.1:8082'),
  /**
   * The public API's budget per request (docs/resilience.md): metadata and rating are fetched within
   * it, retries included, so a hung rating service costs at most this much before the degraded answer.
   */
  REQUEST_DEADLINE_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  // Timeouts, retries, retry budget, breaker and pool of the downstream calls (DOWNSTREAM_*).
  ...downstreamPolicyEnvShape,
  /** Read-through cache of movie metadata: entries kept (0 turns the cache off) and for how long. */
  METADATA_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  METADATA_CACHE_TTL_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
});
export type MovieEnv = z.infer<typeof movieEnvSchema>;
