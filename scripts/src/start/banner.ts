import { Dataset } from '../dataset.js';
import { DEMO_DATASET } from './config.js';
import { identityBannerLines, type IdentityBannerPorts } from '../identity/banner.js';
import type { BroughtUp } from './bring-up.js';
import { describeSeedOutcome } from './demo-seed.js';
import type { ServiceName, ServicePorts } from './services.js';

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
