import { serviceEnvWithDefaults } from '@cinemetrics/kit';
import { z } from 'zod';

/** An http(s) base URL; a trailing slash is dropped so paths can be appended as `${base}/path`. */
const httpBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL like http://metadata:8081' })
  .refine((value) => {
    // Refinements run even after the URL check failed, so the value may not parse.
    const url = URL.parse(value);
    return url === null || (url.search === '' && url.hash === '' && url.username === '' && url.password === '');
  }, 'must not carry a query, fragment or credentials')
  .transform((value) => value.replace(/\/+$/, ''));

export const movieEnvSchema = serviceEnvWithDefaults({ PORT: 8083, ADMIN_PORT: 8093 }).extend({
  METADATA_URL: httpBaseUrl.default('http://127.0.0.1:8081'),
  RATING_URL: httpBaseUrl.default('http://127.0.0.1:8082'),
  /** Bound on one downstream call: connect, headers and body together. */
  DOWNSTREAM_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
});
export type MovieEnv = z.infer<typeof movieEnvSchema>;
