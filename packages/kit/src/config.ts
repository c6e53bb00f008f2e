import { isIP } from 'node:net';
import { z } from 'zod';
import { faultsEnvironmentSchema } from './faults/rules.js';
import { ConfigError, loadConfig } from '@cinemetrics/telemetry';

export { ConfigError, loadConfig };

const port = z.coerce.number().int().min(1).max(65535);

/** Only the server and the credentials: a service always uses its own database, named after it. */
function namesServerOnly(value: string): boolean {
  // Not a mysql URL at all: the URL rule reports that alone.
  if (!URL.canParse(value) || new URL(value).protocol !== 'mysql:') return true;
  const url = new URL(value);
  return (url.pathname === '' || url.pathname === '/') && url.search === '' && url.hash === '';
}

export const mysqlUrl = z
  .url({ protocol: /^mysql$/, error: 'must be a URL like mysql://user:password@host:3306' })
  .refine(namesServerOnly, {
    error: 'must name only the server (mysql://user:password@host:3306): no database path, query string or fragment, because each service creates and uses its own database, named after the service',
  })
  .optional();

/** An http(s) base URL; a trailing slash is dropped so paths can be appended as `${base}/path`. */
export const httpBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL like http://metadata:8081' })
  .refine((value) => {
    // Refinements run even after the URL check failed, so the value may not parse.
    const url = URL.parse(value);
    return url === null || (url.search === '' && url.hash === '' && url.username === '' && url.password === '');
  }, 'must not carry a query, fragment or credentials')
  .transform((value) => value.replace(/\/+$/, ''));

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** An address to bind: an IPv4 or IPv6 address, or a host name that resolves to one. */
export const bindHost = z
  .string()
  .refine((value) => isIP(value) !== 0 || HOST_NAME.test(value), {
    error: 'must be an IP address or a host name to bind, e.g. 127.0.0.1 (loopback only) or 0.0.0.0 (every interface)',
  });

/** The variables every service reads (design: Configuration). */
export const serviceEnvSchema = z.object({
  PORT: port,
  ADMIN_PORT: port,
  /**
   * Where the admin listener (metrics, profiling, faults, log level) binds: loopback by default, so
   * only the machine itself reaches it; a container that is scraped from outside sets 0.0.0.0.
   */
  ADMIN_HOST: bindHost.default('127.0.0.1'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  MYSQL_URL: mysqlUrl,
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  HTTP_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must be a size like 64kb or 1mb')
    .default('64kb'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /**
   * A request's time budget (docs/resilience.md): downstream calls made while serving it never wait
   * past it. A caller's `x-timeout-ms` header can only shorten it.
   */
  REQUEST_DEADLINE_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  /**
   * The shortest budget an `x-timeout-ms` can set (capped at REQUEST_DEADLINE_MS), except for service
   * clients (a verified token with role `service`), which may ask for less.
   */
  REQUEST_DEADLINE_FLOOR_MS: z.coerce.number().int().min(0).max(600_000).default(250),
  DEPLOYMENT_ENVIRONMENT: z.string().default('development'),
  /** The auth service: bearer tokens are verified against its `/.well-known/jwks.json` (docs/security.md). */
  AUTH_URL: httpBaseUrl.default('http://127.0.0.1:8084'),
  /** The `iss` and `aud` every accepted token must carry; the auth service issues tokens with the same values. */
  AUTH_ISSUER: z.string().min(1).max(256).default('cinemetrics-auth'),
  AUTH_AUDIENCE: z.string().min(1).max(256).default('cinemetrics'),
  /**
   * The service's client credentials at the auth service, for the calls it makes to other services
   * (client-credentials grant); without a secret those calls carry no token.
   */
  AUTH_CLIENT_ID: z.string().regex(/^[a-z][a-z0-9_-]{1,63}$/, 'must be 2-64 characters: lower-case letters, digits, _ - (a letter first)').optional(),
  AUTH_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Tolerated clock difference when checking a token's `exp`, `nbf` and `iat`. */
  AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** Inbound protection (docs/inbound-protection.md): requests per second per instance; 0 = no rate limit. */
  RATE_LIMIT_RPS: z.coerce.number().min(0).max(1_000_000).default(0),
  /** Token-bucket size: requests accepted at once; default one second's worth of RATE_LIMIT_RPS. */
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** Requests in flight before shedding with 503; 0 = no limit. */
  MAX_IN_FLIGHT: z.coerce.number().int().min(0).max(100_000).default(256),
  /** Shed with 503 while the event loop lags more than this on average; 0 = off. */
  EVENT_LOOP_DELAY_LIMIT_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Server timeouts of both listeners (docs/inbound-protection.md explains the defaults). */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(65_000),
  /** Fault rules applied from start-up, the JSON of `PUT /admin/faults` (docs/faults.md). */
  FAULTS: faultsEnvironmentSchema.optional(),
  /** Profiling (docs/profiling.md); unset means the documented defaults. */
  CPU_PROFILE_INTERVAL_US: z.coerce.number().int().min(100).max(100_000).optional(),
  HEAP_PROFILE_INTERVAL_BYTES: z.coerce.number().int().min(0).max(64 * 1024 * 1024).optional(),
  HEAP_SNAPSHOT_ENABLED: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});
export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

/** Ports default per service; the environment overrides them. */
export function serviceEnvWithDefaults(defaults: { PORT: number; ADMIN_PORT: number }) {
  return serviceEnvSchema.extend({
    PORT: port.default(defaults.PORT),
    ADMIN_PORT: port.default(defaults.ADMIN_PORT),
  });
}
