/**
 * `npm start [-- --no-seed]`: runs the four services locally from their compiled mains, waits until
 * each answers GET /.well-known/health with 200, loads a small demo data set through the public APIs
 * and prints URLs to try. Ctrl+C (SIGINT), SIGTERM or SIGHUP stops every service (SIGTERM, SIGKILL
 * after 10 s) and exits 0; a service that dies on its own stops the others and exits 1.
 *
 * Each service runs as `node --require @cinemetrics/kit/register services/<name>/dist/src/main.js`
 * (the telemetry preload, as in production) with this script's Node (process.execPath).
 *
 * Ports: API 8081-8084 and admin 8091-8094 (metadata, rating, movie, auth). CINEMETRICS_PORT_BASE=B
 * moves all eight to B+1..B+4 and B+11..B+14 (the default B is 8080), e.g. for tests or a second copy.
 *
 * Environment passed to the services: MYSQL_URL (unset: each service uses its in-memory store),
 * MYSQL_POOL_SIZE, LOG_LEVEL, ADMIN_TOKEN, DEPLOYMENT_ENVIRONMENT, every OTEL_* variable (with
 * OTEL_SERVICE_NAME set per service), PATH, HOME, locale/TZ, NODE_OPTIONS; plus PORT, ADMIN_PORT and
 * METADATA_URL / RATING_URL / AUTH_URL pointing at the sibling services. Nothing else is inherited.
 * CINEMETRICS_READY_TIMEOUT_MS bounds the wait for readiness (default 60000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Dataset, RECORD_TYPE, type Movie, type Rating } from './dataset.js';

export const DEFAULT_PORT_BASE = 8080;
const STOP_TIMEOUT_MS = 10_000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 200;
const HTTP_TIMEOUT_MS = 5_000;
const SEED_CONCURRENCY = 8;
const REPO_ROOT = path.resolve(__dirname, '../../..');

/** The demo data set loaded through the APIs: the first 50 movies of `npm run seed`'s default data. */
export const DEMO_DATASET = { seed: 1, movies: 50, ratings: 300, users: 8 } as const;

export const SERVICE_NAMES = ['metadata', 'rating', 'movie', 'auth'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServicePorts {
  name: ServiceName;
  port: number;
  adminPort: number;
}

/** metadata, rating, movie, auth on base+1..base+4, their admin listeners on base+11..base+14. */
export function servicePorts(base: number): ServicePorts[] {
  return SERVICE_NAMES.map((name, i) => ({ name, port: base + 1 + i, adminPort: base + 11 + i }));
}

const COLOURS: Record<ServiceName | 'start', string> = {
  metadata: '\x1b[36m',
  rating: '\x1b[35m',
  movie: '\x1b[32m',
  auth: '\x1b[33m',
  start: '\x1b[1m',
};
const RESET = '\x1b[0m';

class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface StartConfig {
  portBase: number;
  readyTimeoutMs: number;
  seed: boolean;
}

const USAGE = `Usage: npm start [-- --no-seed]

Runs metadata, rating, movie and auth from services/*/dist (build first: npm run build),
waits until they are healthy, loads ${DEMO_DATASET.movies} demo movies and ${DEMO_DATASET.ratings} ratings through the APIs
(skipped with --no-seed) and prints URLs to try. Ctrl+C stops everything.

Environment: MYSQL_URL (unset: in-memory stores), LOG_LEVEL, ADMIN_TOKEN, OTEL_*,
CINEMETRICS_PORT_BASE (default ${DEFAULT_PORT_BASE}: API ports base+1..base+4, admin ports base+11..base+14),
CINEMETRICS_READY_TIMEOUT_MS (default ${DEFAULT_READY_TIMEOUT_MS}).`;

function parseConfig(argv: string[], env: NodeJS.ProcessEnv): StartConfig | undefined {
  let values: { 'no-seed'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { 'no-seed': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new StartError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, 2);
  }
  if (values.help === true) return undefined;
  return {
    portBase: integerEnv(env, 'CINEMETRICS_PORT_BASE', DEFAULT_PORT_BASE, 1, 65_535 - 14),
    readyTimeoutMs: integerEnv(env, 'CINEMETRICS_READY_TIMEOUT_MS', DEFAULT_READY_TIMEOUT_MS, 1_000, 600_000),
    seed: values['no-seed'] !== true,
  };
}

function integerEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new StartError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`, 2);
  }
  return value;
}

/** Variables handed to every service when set; see PASSED_PREFIXES for the families passed by prefix. */
const PASSED_THROUGH = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'MYSQL_URL',
  'MYSQL_POOL_SIZE',
  'LOG_LEVEL',
  'ADMIN_TOKEN',
  'DEPLOYMENT_ENVIRONMENT',
  'LOG_FORMAT',
  'SHUTDOWN_TIMEOUT_MS',
  'REQUEST_DEADLINE_MS',
  'MAX_IN_FLIGHT',
  'EVENT_LOOP_DELAY_LIMIT_MS',
  'FAULTS',
  'CPU_PROFILE_INTERVAL_US',
  'HEAP_PROFILE_INTERVAL_BYTES',
  'HEAP_SNAPSHOT_ENABLED',
];

/** Families of kit settings (timeouts, rate limits, downstream policies, caches) passed by prefix. */
const PASSED_PREFIXES = ['OTEL_', 'HTTP_', 'RATE_LIMIT_', 'DOWNSTREAM_', 'METADATA_', 'RATING_'];

export function serviceEnv(service: ServicePorts, all: ServicePorts[], env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && (PASSED_THROUGH.includes(key) || PASSED_PREFIXES.some((prefix) => key.startsWith(prefix)))) result[key] = value;
  }
  const url = (name: ServiceName): string => `http://127.0.0.1:${all.find((s) => s.name === name)?.port ?? 0}`;
  return {
    ...result,
    PORT: String(service.port),
    ADMIN_PORT: String(service.adminPort),
    OTEL_SERVICE_NAME: service.name,
    METADATA_URL: url('metadata'),
    RATING_URL: url('rating'),
    AUTH_URL: url('auth'),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const useColour = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
const TAG_WIDTH = Math.max(...[...SERVICE_NAMES, 'start'].map((name) => name.length)) + 2;

function tag(name: ServiceName | 'start'): string {
  const text = `[${name}]`;
  const padding = ' '.repeat(TAG_WIDTH - text.length + 1);
  return useColour ? `${COLOURS[name]}${text}${RESET}${padding}` : `${text}${padding}`;
}

function say(message: string): void {
  for (const line of message.split('\n')) process.stdout.write(`${tag('start')}${line}\n`);
}

function complain(message: string): void {
  for (const line of message.split('\n')) process.stderr.write(`${tag('start')}${line}\n`);
}

function prefixLines(stream: Readable | null, name: ServiceName, into: Writable): void {
  if (stream === null) return;
  const prefix = tag(name);
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => into.write(`${prefix}${line}\n`));
}

// ---------------------------------------------------------------------------------------------
// Children

interface Child {
  ports: ServicePorts;
  process: ChildProcess;
  /** Resolves with a description of how the process ended. */
  exited: Promise<string>;
  running: boolean;
}

function describeStatus(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
}

/** The kit's telemetry preload, which every service starts with (`node --require … main.js`), as in production. */
function telemetryPreload(): string {
  return require.resolve('@cinemetrics/kit/register');
}

function mainOf(name: ServiceName): string {
  return path.join(REPO_ROOT, 'services', name, 'dist', 'src', 'main.js');
}

function spawnService(ports: ServicePorts, all: ServicePorts[], env: NodeJS.ProcessEnv): Child {
  // Own process group: a terminal's Ctrl+C reaches only this script, which then stops the services
  // with one SIGTERM each (a service takes a second signal as "exit now").
  const proc = spawn(process.execPath, ['--require', telemetryPreload(), mainOf(ports.name)], {
    cwd: REPO_ROOT,
    env: serviceEnv(ports, all, env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child: Child = {
    ports,
    process: proc,
    running: true,
    exited: new Promise((resolve) => {
      proc.once('error', (error) => {
        child.running = false;
        resolve(`could not be started (${error.message})`);
      });
      proc.once('exit', (code, signal) => {
        child.running = false;
        resolve(describeStatus(code, signal));
      });
    }),
  };
  prefixLines(proc.stdout, ports.name, process.stdout);
  prefixLines(proc.stderr, ports.name, process.stderr);
  return child;
}

/** SIGTERM to each running service, SIGKILL to whatever is left after STOP_TIMEOUT_MS. */
async function stopAll(children: Child[], urgent: Promise<void>): Promise<void> {
  for (const child of children) if (child.running) child.process.kill('SIGTERM');
  const allExited = Promise.all(children.map((child) => child.exited));
  const timeout = new AbortController();
  const outcome = await Promise.race([
    allExited.then(() => 'exited' as const),
    urgent.then(() => 'urgent' as const),
    delay(STOP_TIMEOUT_MS, 'timeout' as const, { signal: timeout.signal }).catch(() => 'exited' as const),
  ]);
  timeout.abort();
  if (outcome !== 'exited') {
    for (const child of children) {
      if (!child.running) continue;
      complain(`${child.ports.name} ${outcome === 'timeout' ? `did not stop within ${STOP_TIMEOUT_MS / 1000} s` : 'is being killed'}; sending SIGKILL`);
      child.process.kill('SIGKILL');
    }
  }
  await allExited;
}

// ---------------------------------------------------------------------------------------------
// Steps

function assertBuilt(): void {
  let preload: string;
  try {
    preload = telemetryPreload();
  } catch {
    preload = path.join(REPO_ROOT, 'packages', 'kit', 'dist', 'src', 'telemetry', 'register.js');
  }
  const missing = [preload, ...SERVICE_NAMES.map(mainOf)].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new StartError(`Compiled files are missing: ${missing.map((f) => path.relative(REPO_ROOT, f)).join(', ')}. Build first: npm run build`);
  }
}

function portInUse(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    // No host: all interfaces, exactly as the services bind.
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

async function assertPortsFree(all: ServicePorts[]): Promise<void> {
  const problems: string[] = [];
  for (const service of all) {
    for (const [port, role] of [
      [service.port, 'API'],
      [service.adminPort, 'admin'],
    ] as const) {
      const error = await portInUse(port);
      if (error === 'EADDRINUSE') problems.push(`port ${port} (${service.name} ${role}) is already in use`);
      else if (error !== undefined) problems.push(`port ${port} (${service.name} ${role}) cannot be used: ${error}`);
    }
  }
  if (problems.length > 0) {
    throw new StartError(
      `${problems.join('\n')}\nStop whatever holds ${problems.length === 1 ? 'it' : 'them'} (an earlier npm start?) ` +
        `or move every port with CINEMETRICS_PORT_BASE (e.g. CINEMETRICS_PORT_BASE=18080 → 18081-18084, 18091-18094).`,
    );
  }
}

/** '' when GET url answered 200, otherwise what it answered. */
async function probe(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    const body = await response.text();
    return response.status === 200 ? '' : `status ${response.status} ${body.slice(0, 300)}`;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
    return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/** Resolves when every service is ready; rejects naming the first one that exits or never gets ready. */
async function waitUntilReady(children: Child[], timeoutMs: number, aborted: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    children.map(async (child) => {
      const url = `http://127.0.0.1:${child.ports.port}/.well-known/health`;
      let last = 'no answer yet';
      while (!aborted()) {
        if (!child.running) {
          throw new StartError(`${child.ports.name} ${await child.exited} before it was ready (its output is above)`);
        }
        last = await probe(url);
        if (last === '') {
          say(`${child.ports.name} is ready`);
          return;
        }
        if (Date.now() > deadline) {
          throw new StartError(`${child.ports.name} was not ready within ${timeoutMs / 1000} s: GET ${url} gave ${last}`);
        }
        await delay(READY_POLL_MS);
      }
    }),
  );
}

async function send(method: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new StartError(`${method} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return response.status;
}

async function forEachConcurrently<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Loads the demo data set through the public APIs: PUT /metadata/{id}, PUT /ratings/movie/{id}. */
async function seedOverHttp(all: ServicePorts[]): Promise<Movie> {
  const base = (name: ServiceName): string => `http://127.0.0.1:${all.find((s) => s.name === name)?.port ?? 0}`;
  const dataset = new Dataset(DEMO_DATASET);
  const started = performance.now();
  await forEachConcurrently(dataset.movies(), SEED_CONCURRENCY, async ({ id, ...fields }: Movie) => {
    await send('PUT', `${base('metadata')}/metadata/${encodeURIComponent(id)}`, fields);
  });
  await forEachConcurrently(dataset.ratings(), SEED_CONCURRENCY, async (rating: Rating) => {
    await send('PUT', `${base('rating')}/ratings/${RECORD_TYPE}/${encodeURIComponent(rating.recordId)}`, { value: rating.value }, {
      'x-user-id': rating.userId,
    });
  });
  say(
    `loaded ${dataset.movieCount} movies and ${dataset.ratingCount} ratings by ${dataset.userCount} users through the APIs ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return dataset.movie(0);
}

async function sample(all: ServicePorts[], movie: Movie): Promise<string> {
  const port = all.find((s) => s.name === 'movie')?.port ?? 0;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/movies/${movie.id}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    const body = (await response.json()) as { rating?: { average?: number; count?: number } | null };
    if (response.status !== 200) return `GET /movies/${movie.id} answered ${response.status}`;
    const rating = body.rating ? `${(body.rating.average ?? 0).toFixed(2)} from ${body.rating.count} ratings` : 'no ratings yet';
    return `${movie.id} "${movie.title}" (${movie.year}): ${rating}`;
  } catch (error) {
    return `GET /movies/${movie.id} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function banner(all: ServicePorts[], env: NodeJS.ProcessEnv, movieId: string, seeded: boolean): string {
  const port = (name: ServiceName, admin = false): number => {
    const service = all.find((s) => s.name === name);
    return (admin ? service?.adminPort : service?.port) ?? 0;
  };
  const store = env['MYSQL_URL']
    ? `MySQL at ${new URL(env['MYSQL_URL']).host} (databases metadata, rating, auth)`
    : 'in-memory stores (MYSQL_URL is not set: data is lost when this stops)';
  const id = seeded ? movieId : '<id>';
  return [
    `Cinemetrics is running: ${store}`,
    '',
    `  movie     curl localhost:${port('movie')}/movies/${id}`,
    `  metadata  curl 'localhost:${port('metadata')}/metadata?limit=5'`,
    `            curl localhost:${port('metadata')}/metadata/${id}`,
    `  rating    curl localhost:${port('rating')}/ratings/movie/${id}`,
    `            curl -X PUT localhost:${port('rating')}/ratings/movie/${id} -H 'x-user-id: me' -H 'content-type: application/json' -d '{"value":5}'`,
    `  OpenAPI   ${all.map((s) => `curl localhost:${s.port}/openapi.json`).join('  |  ')}`,
    `  health    curl localhost:${port('movie')}/.well-known/health   (alive: /.well-known/alive)`,
    `  metrics   curl localhost:${port('movie', true)}/metrics   (admin ports ${all.map((s) => s.adminPort).join(', ')})`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: StartConfig | undefined;
  try {
    config = parseConfig(argv, env);
    if (config === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    assertBuilt();
    await assertPortsFree(servicePorts(config.portBase));
  } catch (error) {
    if (error instanceof StartError) {
      complain(error.message);
      return error.exitCode;
    }
    throw error;
  }

  const all = servicePorts(config.portBase);
  const children: Child[] = [];
  let stopping: 'signal' | 'failure' | undefined;
  let resolveStopRequested: (why: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => {
    resolveStopRequested = resolve;
  });
  let resolveUrgent: () => void = () => undefined;
  const urgent = new Promise<void>((resolve) => {
    resolveUrgent = resolve;
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      resolveUrgent();
      return;
    }
    stopping = 'signal';
    if (process.stdout.isTTY === true) process.stdout.write('\n'); // past the ^C the terminal echoed
    say(`${signal}: stopping the services (again to kill them at once)`);
    resolveStopRequested(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  // Last resort if this script itself crashes: never leave services behind.
  const killLeftovers = (): void => {
    for (const child of children) if (child.running) child.process.kill('SIGKILL');
  };
  process.on('exit', killLeftovers);

  say(`starting ${all.map((s) => `${s.name} (:${s.port}, admin :${s.adminPort})`).join(', ')}`);
  for (const ports of all) {
    const child = spawnService(ports, all, env);
    children.push(child);
    say(`${ports.name} started, pid ${child.process.pid ?? '?'}`);
    void child.exited.then((how) => {
      if (stopping !== undefined) return;
      stopping = 'failure';
      complain(`${ports.name} ${how} unexpectedly; stopping the others`);
      resolveStopRequested(`${ports.name} ${how}`);
    });
  }

  let exitCode = 0;
  const startUp = (async (): Promise<void> => {
    await waitUntilReady(children, config.readyTimeoutMs, () => stopping !== undefined);
    if (stopping !== undefined) return;
    const first = config.seed ? await seedOverHttp(all) : new Dataset(DEMO_DATASET).movie(0);
    if (stopping !== undefined) return;
    if (config.seed) say(`sample: ${await sample(all, first)}`);
    say(banner(all, env, first.id, config.seed));
  })();

  const failed = await Promise.race([
    startUp.then(
      () => stopRequested,
      (error: unknown) => error,
    ),
    stopRequested,
  ]);
  if (typeof failed !== 'string') {
    // Start-up failed (a service never got ready, seeding failed...).
    complain(failed instanceof Error ? failed.message : String(failed));
    stopping ??= 'failure';
  }
  if (stopping === 'failure') exitCode = 1;
  await stopAll(children, urgent);
  for (const child of children) {
    const how = await child.exited;
    if (how !== 'exited with code 0') say(`${child.ports.name} ${how}`);
  }
  say(exitCode === 0 ? 'all services stopped' : 'all services stopped after a failure');
  for (const signal of signals) process.off(signal, onSignal);
  process.off('exit', killLeftovers);
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      complain(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
