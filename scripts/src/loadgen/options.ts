import { z } from 'zod';
import { integerOption, parseOptions } from '../cli-options.js';

export { UsageError } from '../cli-options.js';

export const MAX_RATE = 2_000;
export const MAX_DURATION_S = 24 * 3600;
/** Users that give ratings: each one is an account at auth, made and signed in on first use. */
export const LOAD_USERS = 20;

export const USAGE = `Usage: npm run loadgen -- [--rate R] [--duration S] [--movies N] [--hot-share F] [--base-port B]
                          [--auth-admin-url URL] [--admin-token-env VAR]

Sends realistic weighted traffic to the services started by npm start or npm run stack: read a
movie's details (movie service), browse the catalogue (metadata), read and give ratings (rating),
with hot and cold ids and a few unknown ones. Stops by itself after --duration and prints a summary.

  --rate R        requests per second, sent open-loop (1-${MAX_RATE}, default 5)
  --duration S    seconds to run (1-${MAX_DURATION_S}, default 60)
  --movies N      ids tt0000001… to pick from (default 50, the npm start demo data; 10000 after npm run seed)
  --hot-share F   share of reads that go to the hottest 10% of ids (0-1, default 0.8)
  --seed S        random seed, so two runs send the same sequence (default 1)
  --base-port B   the services' CINEMETRICS_PORT_BASE (default 8080: movie 8083, metadata 8081, rating 8082)
  --service-hosts reach each service at its own host name (http://movie:8083, …) instead of 127.0.0.1,
                  as on the docker compose network (auth too: http://auth:8084)
  --auth-admin-url URL  auth's admin port, where the load-user-N users are made
                  (default http://127.0.0.1:8094)
  --admin-token-env VAR  the variable holding auth's admin token (default ADMIN_TOKEN)

Ratings are given by users load-user-1…load-user-${LOAD_USERS}: made (or given a new password) through
auth's admin API with the admin token, then signed in with POST /tokens like anyone; their tokens are
renewed before they expire. Without an admin token it sends reads only and says so.

Every request carries W3C trace context and the baggage entry synthetic=true, so traces, logs and
dashboards can tell this traffic from real users'. With OTEL_EXPORTER_OTLP_ENDPOINT set (npm run stack
sets it), the generator's own client spans are exported as service "loadgen".`;

/** `--name N` from min to max, or the default. */
const wholeNumber = (name: string, min: number, max: number, fallback: number) => integerOption(name, min, max).default(fallback);

const optionsSchema = z.object({
  rate: wholeNumber('rate', 1, MAX_RATE, 5),
  duration: wholeNumber('duration', 1, MAX_DURATION_S, 60),
  movies: wholeNumber('movies', 1, 9_999_999, 50),
  seed: wholeNumber('seed', 0, 4_294_967_295, 1),
  'base-port': wholeNumber('base-port', 1, 65_535 - 14, 8080),
  'hot-share': z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, '--hot-share must be a number from 0 to 1')
    .transform(Number)
    .default(0.8),
  'service-hosts': z.boolean().default(false),
  'auth-admin-url': z
    .url({ protocol: /^https?$/, error: '--auth-admin-url must be an http or https URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://127.0.0.1:8094'),
  'admin-token-env': z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, '--admin-token-env must name an environment variable')
    .default('ADMIN_TOKEN'),
});

export interface LoadOptions {
  ratePerSecond: number;
  durationSeconds: number;
  movies: number;
  hotShare: number;
  seed: number;
  basePort: number;
  /** Each service at its own host name (compose) rather than all on 127.0.0.1. */
  serviceHosts: boolean;
  authAdminUrl: string;
  /** Where the admin token is read from; never a command-line value (visible to every user of the machine). */
  adminTokenEnv: string;
}

/** Parsed options, or undefined for --help. */
export function parseLoadOptions(argv: string[]): LoadOptions | undefined {
  const options = parseOptions(argv, optionsSchema, ['service-hosts']);
  if (options === undefined) return undefined;
  return {
    ratePerSecond: options.rate,
    durationSeconds: options.duration,
    movies: options.movies,
    hotShare: options['hot-share'],
    seed: options.seed,
    basePort: options['base-port'],
    serviceHosts: options['service-hosts'],
    authAdminUrl: options['auth-admin-url'],
    adminTokenEnv: options['admin-token-env'],
  };
}
