import { Dataset, type Movie } from '../dataset.js';
import { DEMO_DATASET } from './config.js';
import { identityBannerLines, type IdentityBannerPorts } from '../identity/banner.js';
import type { BroughtUp } from './bring-up.js';
import { describeSeedOutcome } from './demo-seed.js';
import type { ServiceName, ServicePorts } from './services.js';

const SAMPLE_TIMEOUT_MS = 5_000;

/** One line showing the movie service combining metadata and rating for the first demo movie. */
export async function sampleLine(all: ServicePorts[]): Promise<string> {
  const movie: Movie = new Dataset(DEMO_DATASET).movie(0);
  const port = all.find((s) => s.name === 'movie')?.port ?? 0;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/movies/${movie.id}`, { signal: AbortSignal.timeout(SAMPLE_TIMEOUT_MS) });
    const body = (await response.json()) as { rating?: { average?: number; count?: number } | null };
    if (response.status !== 200) return `GET /movies/${movie.id} answered ${response.status}`;
    const rating = body.rating ? `${(body.rating.average ?? 0).toFixed(2)} from ${body.rating.count} ratings` : 'no ratings yet';
    return `${movie.id} "${movie.title}" (${movie.year}): ${rating}`;
  } catch (error) {
    return `GET /movies/${movie.id} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function storeDescription(env: NodeJS.ProcessEnv): string {
  const url = env['MYSQL_URL'];
  if (!url) return 'in-memory stores (MYSQL_URL is not set: data is lost when this stops)';
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    host = '(MYSQL_URL is not a URL: the services say why)';
  }
  return `MySQL at ${host} (databases metadata, rating, auth)`;
}

/** The "ready" text: where the data lives, what happened to the demo data, and URLs to try. */
export function banner(all: ServicePorts[], env: NodeJS.ProcessEnv, { seed, accounts }: BroughtUp): string {
  const port = (name: ServiceName, admin = false): number => {
    const service = all.find((s) => s.name === name);
    return (admin ? service?.adminPort : service?.port) ?? 0;
  };
  const id = seed.kind === 'loaded' ? new Dataset(DEMO_DATASET).movie(0).id : '<id>';
  return [
    `Cinemetrics is running: ${storeDescription(env)}`,
    `Demo data: ${describeSeedOutcome(seed)}`,
    '',
    `  movie     curl localhost:${port('movie')}/movies/${id}`,
    `  metadata  curl 'localhost:${port('metadata')}/metadata?limit=5'`,
    `            curl localhost:${port('metadata')}/metadata/${id}`,
    `  rating    curl localhost:${port('rating')}/ratings/movie/${id}`,
    `  OpenAPI   ${all.map((s) => `curl localhost:${s.port}/openapi.json`).join('  |  ')}`,
    `  health    curl localhost:${port('movie')}/.well-known/health   (alive: /.well-known/alive)`,
    `  metrics   curl localhost:${port('movie', true)}/metrics   (admin ports ${all.map((s) => s.adminPort).join(', ')})`,
    '',
    ...identityBannerLines(accounts, identityPorts(all), id),
    '',
    'A service that exits is restarted with backoff while the others keep serving.',
    'Press Ctrl+C to stop.',
  ].join('\n');
}

/** The ports the account lines of a banner mention. */
export function identityPorts(all: ServicePorts[]): IdentityBannerPorts {
  const find = (name: ServiceName): ServicePorts | undefined => all.find((s) => s.name === name);
  return { auth: find('auth')?.port ?? 0, authAdmin: find('auth')?.adminPort ?? 0, metadata: find('metadata')?.port ?? 0, rating: find('rating')?.port ?? 0 };
}
