import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { StartError } from '../start-error.js';

export const DEFAULT_PORT_BASE = 8080;
export const DEFAULT_READY_TIMEOUT_MS = 60_000;

/** The demo data set loaded through the APIs: the first 50 movies of `npm run seed`'s default data. */
export const DEMO_DATASET = { seed: 1, movies: 50, ratings: 300, users: 8 } as const;

/** `auto`: load the demo data when the database is empty; `off`: never. */
export const SEED_MODES = ['auto', 'off'] as const;
export type SeedMode = (typeof SEED_MODES)[number];

export { StartError };

export interface StartConfig {
  portBase: number;
  /** Bounds the wait for every service to be ready and, separately, the demo data's retries. */
  readyTimeoutMs: number;
  seed: SeedMode;
}

export const USAGE = `Usage: npm start [-- --no-seed]

Runs metadata, rating, movie and auth from services/*/dist under a supervisor: a service that exits
is restarted with backoff while the others keep serving. Once they are healthy it loads ${DEMO_DATASET.movies} demo movies
and ${DEMO_DATASET.ratings} ratings through the APIs if the database is empty, and prints URLs to try. Ctrl+C stops everything.

Options:
  --no-seed    never load the demo data (same as CINEMETRICS_SEED=off)

Environment: MYSQL_URL (unset: in-memory stores), LOG_LEVEL, ADMIN_TOKEN, OTEL_*, ...
CINEMETRICS_SEED (auto or off, default auto),
CINEMETRICS_PORT_BASE (default ${DEFAULT_PORT_BASE}: API ports base+1..base+4, admin ports base+11..base+14),
CINEMETRICS_READY_TIMEOUT_MS (default ${DEFAULT_READY_TIMEOUT_MS}).`;

/** The options and CINEMETRICS_* variables of `npm start`; undefined when only the usage was asked for. */
export function parseStartConfig(argv: string[], env: NodeJS.ProcessEnv): StartConfig | undefined {
  const values = parseCommandOptions(argv, { 'no-seed': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE);
  if (values.help === true) return undefined;
  return startConfig(env, values['no-seed'] === true);
}

type ParsedValues<T extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values'];

/** A command's options, strictly: anything unknown or malformed is a StartError (exit 2) followed by `usage`. */
export function parseCommandOptions<T extends ParseArgsOptionsConfig>(argv: string[], options: T, usage: string): ParsedValues<T> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new StartError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`, 2);
  }
}

/** The CINEMETRICS_* settings every command that runs the services shares; `noSeed` is --no-seed. */
export function startConfig(env: NodeJS.ProcessEnv, noSeed: boolean): StartConfig {
  const seed = seedModeEnv(env);
  return {
    portBase: integerEnv(env, 'CINEMETRICS_PORT_BASE', DEFAULT_PORT_BASE, 1, 65_535 - 14),
    readyTimeoutMs: integerEnv(env, 'CINEMETRICS_READY_TIMEOUT_MS', DEFAULT_READY_TIMEOUT_MS, 1_000, 600_000),
    seed: noSeed ? 'off' : seed,
  };
}

function seedModeEnv(env: NodeJS.ProcessEnv): SeedMode {
  const raw = env['CINEMETRICS_SEED'];
  if (raw === undefined || raw === '') return 'auto';
  const mode = SEED_MODES.find((candidate) => candidate === raw);
  if (mode === undefined) throw new StartError(`CINEMETRICS_SEED must be one of ${SEED_MODES.join(', ')} (got ${JSON.stringify(raw)})`, 2);
  return mode;
}

export function integerEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new StartError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`, 2);
  }
  return value;
}
