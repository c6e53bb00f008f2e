/**
 * What the fan-out benches run against: a private MariaDB seeded with the repository's data set (10,000
 * movies, 200,000 ratings by default), the auth service, optionally the native stack (collector, Jaeger,
 * Prometheus, VictoriaLogs on free loopback ports), and any number of service trios — metadata and rating
 * on that MariaDB with one or more movie processes in front of them. Every process is stopped through the
 * bench's lifetime.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  makeTempDir,
  REPOSITORY_ROOT,
  serviceMain,
  startAuth,
  startMariaDb,
  startProcess,
  TELEMETRY_PRELOAD,
  type MariaDb,
  type RunningProcess,
  type ServiceName,
} from '@cinemetrics/testing';
import { SERVICE_NODE_FLAGS } from '@cinemetrics/kit/node-flags';
import { freeStackPorts, startStack, type RunningStack } from '@cinemetrics/stack';
import { builtIn, preloadIn } from './checkout.js';
import type { BenchLifetime } from './lifetime.js';

export const SEEDED_MOVIES = 10_000;

/** tt0000001 … as the data set names its movies (scripts/src/dataset.ts). */
export function movieId(index: number): string {
  return `tt${String(index + 1).padStart(7, '0')}`;
}

/** The id sets the load draws from: a few hot ids, or ids spread over the whole data set. */
export type IdSet = 'hot' | 'cold';
export const HOT_IDS = 10;

export function idPicker(ids: IdSet, movies = SEEDED_MOVIES): () => string {
  const count = ids === 'hot' ? HOT_IDS : movies;
  return () => `/movies/${movieId(Math.floor(Math.random() * count))}`;
}

/** How a trio's services run their telemetry. */
export interface TelemetryConfig {
  name: string;
  preload: boolean;
  env: Record<string, string>;
}

/** Telemetry off, all on at 100 % and at 10 % parent-based sampling, exporting to `endpoint`. */
export function telemetryConfigs(endpoint: string): TelemetryConfig[] {
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
  return [
    { name: 'off', preload: false, env: { OTEL_SDK_DISABLED: 'true' } },
    { name: 'all on 100%', preload: true, env: on },
    { name: 'all on 10%', preload: true, env: { ...on, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  ];
}

export interface BenchService {
  process: RunningProcess;
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
}

export interface Trio {
  name: string;
  metadata: BenchService;
  rating: BenchService;
  /** Movie processes by label, all in front of the same metadata and rating. */
  movies: Record<string, BenchService>;
  /** The processes whose CPU a request through `movie` costs. */
  pids(movie: string): number[];
}

export interface FanoutWorld {
  mariadb: MariaDb;
  stack: RunningStack | undefined;
  /** The collector's OTLP/HTTP endpoint, when the stack runs. */
  collectorUrl: string;
  startTrio(name: string, telemetry: TelemetryConfig, movies: Record<string, Record<string, string>>, extra?: Omit<StartExtra, 'ports'>): Promise<Trio>;
  startService(service: ServiceName, telemetry: TelemetryConfig, env: Record<string, string>, extra?: StartExtra): Promise<BenchService>;
  /** What movie needs to call these two, with its client credentials. */
  movieEnv(metadata: BenchService, rating: BenchService): Record<string, string>;
}

export interface StartExtra {
  /** Node options before the telemetry preload (e.g. another --require). */
  nodeArgs?: string[];
  /** Extra environment for this process alone. */
  env?: Record<string, string>;
  /** Listen on these (a restart on the ports it had), not on fresh ones. */
  ports?: { port: number; adminPort: number };
  /** Run the service and the telemetry preload of this built checkout instead of this one's. */
  checkout?: string;
}

export interface WorldOptions {
  stack: boolean;
  movies?: number;
  ratings?: number;
}

const execFileAsync = promisify(execFile);

async function seed(mariadb: MariaDb, movies: number, ratings: number): Promise<void> {
  const script = path.join(REPOSITORY_ROOT, 'scripts', 'dist', 'src', 'seed.js');
  process.stderr.write(`seeding ${movies} movies and ${ratings} ratings…\n`);
  await execFileAsync(process.execPath, [script, '--movies', String(movies), '--ratings', String(ratings)], {
    env: { ...process.env, MYSQL_URL: mariadb.url },
    timeout: 300_000,
  });
}

export async function startFanoutWorld(lifetime: BenchLifetime, options: WorldOptions): Promise<FanoutWorld> {
  const mariadb = await startMariaDb();
  lifetime.onStop(() => mariadb.dispose());
  await seed(mariadb, options.movies ?? SEEDED_MOVIES, options.ratings ?? 200_000);

  let stack: RunningStack | undefined;
  if (options.stack) {
    const dataDir = await makeTempDir('cinemetrics-bench-stack-');
    lifetime.onStop(() => dataDir.remove());
    stack = await startStack({ ports: await freeStackPorts(), dataDir: dataDir.path, serviceTargets: [], output: () => undefined });
    const started = stack;
    // The backends run in their own process groups: killed here too should the bench die before its stop.
    process.on('exit', () => started.backends.forEach((backend) => backend.child.kill('SIGKILL')));
    lifetime.onStop(() => started.stop());
  }

  const auth = await startAuth({ env: { MYSQL_URL: mariadb.url, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' } });
  lifetime.onStop(() => auth.service.stop());
  const movieClient = await auth.identities.client('movie', ['service']);
  // Stopped together, before auth, the stack and MariaDB: one by one, shutdowns that flush telemetry add up.
  const services = new Set<RunningProcess>();
  lifetime.onStop(() => Promise.all([...services].map((service) => service.stop())));

  const startService = async (service: ServiceName, telemetry: TelemetryConfig, env: Record<string, string>, extra: StartExtra = {}): Promise<BenchService> => {
    const port = extra.ports?.port ?? (await freePort());
    const adminPort = extra.ports?.adminPort ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const { checkout } = extra;
    const main = checkout === undefined ? serviceMain(service) : builtIn(checkout, serviceMain(service));
    const preload = telemetry.preload ? ['--require', checkout === undefined ? TELEMETRY_PRELOAD : preloadIn(checkout)] : [];
    const running = await startProcess({
      name: `${service} (${telemetry.name})`,
      // As users run them (docker/entrypoint.sh, npm start); a later --node-args option wins over the same flag.
      args: [...SERVICE_NODE_FLAGS, ...(extra.nodeArgs ?? []), ...preload, main],
      env: {
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        MYSQL_URL: mariadb.url,
        ...auth.env,
        ...telemetry.env,
        ...env,
        ...extra.env,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      },
      readyUrl: `${url}/.well-known/health`,
      // Read and dropped, as a container runtime's log pipe would: parsing them here would slow the load.
      stdout: 'drain',
    });
    services.add(running);
    return { process: running, url, adminUrl: `http://127.0.0.1:${adminPort}`, port, adminPort };
  };

  const movieEnv = (metadata: BenchService, rating: BenchService): Record<string, string> => ({
    METADATA_URL: metadata.url,
    RATING_URL: rating.url,
    AUTH_CLIENT_SECRET: movieClient.secret,
  });

  const startTrio = async (name: string, telemetry: TelemetryConfig, movies: Record<string, Record<string, string>>, extra: Omit<StartExtra, 'ports'> = {}): Promise<Trio> => {
    const [metadata, rating] = await Promise.all([startService('metadata', telemetry, {}, extra), startService('rating', telemetry, {}, extra)]);
    const started: Record<string, BenchService> = {};
    for (const [label, env] of Object.entries(movies)) {
      started[label] = await startService('movie', telemetry, { ...movieEnv(metadata, rating), ...env }, extra);
    }
    return {
      name,
      metadata,
      rating,
      movies: started,
      pids: (movie) => [metadata.process.pid, rating.process.pid, (started[movie] as BenchService).process.pid],
    };
  };

  return { mariadb, stack, collectorUrl: stack?.urls.collectorOtlpHttp ?? '', startTrio, startService, movieEnv };
}
