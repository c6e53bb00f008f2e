/**
 * `npm run seed [-- --movies N --ratings N --seed S --batch N]`: loads a deterministic data set
 * (see dataset.ts) straight into MySQL/MariaDB — movies into `metadata.movies`, ratings into
 * `rating.ratings` — after applying the two services' own migrations with the kit.
 *
 * Rows go in as multi-row parameterized INSERT … ON DUPLICATE KEY UPDATE statements, one transaction
 * per batch, two batches in flight: running it again with the same options leaves the tables exactly
 * as they were. Rows that are not part of the data set (written through the APIs, or by a run with
 * larger counts) are left alone. Progress goes to stderr, the summary to stdout.
 *
 * Environment: MYSQL_URL (required, mysql://user:password@host:3306), LOG_LEVEL (kit log lines on
 * stderr; default warn). Exit codes: 0 done, 2 bad options or configuration, 1 anything else.
 */
import '@cinemetrics/kit/node-version';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, createLogger, Database, loadConfig, migrate, mysqlUrl, type Logger } from '@cinemetrics/kit';
import type { PoolConnection } from 'mysql2/promise';
import { z } from 'zod';
import { integerOption, parseOptions, UsageError } from './cli-options.js';
import { Dataset, datasetProblems, inBatches, MAX_MOVIES, MAX_RATINGS, type Movie, type Rating } from './dataset.js';

export const MAX_BATCH = 10_000;
/** Batches in flight at once: one being written by the server while the next is generated and sent. */
const CONCURRENCY = 2;
const DEADLOCK_RETRIES = 5;
const REPO_ROOT = path.resolve(__dirname, '../../..');

export const USAGE = `Usage: npm run seed -- [--movies N] [--ratings N] [--seed S] [--batch N]

Loads a deterministic data set into the metadata and rating databases at MYSQL_URL
(mysql://user:password@host:3306), applying both services' migrations first. Idempotent.

  --movies N   movies to load, 1-${MAX_MOVIES} (default 10000)
  --ratings N  ratings to load, 0-${MAX_RATINGS} (default 200000)
  --seed S     data set seed, 0-4294967295 (default 1); same seed, same data
  --batch N    rows per INSERT statement and transaction, 1-${MAX_BATCH} (default 2000)
  --help       show this help`;

export { UsageError } from './cli-options.js';

export interface SeedOptions {
  movies: number;
  ratings: number;
  seed: number;
  batch: number;
}

const optionsSchema = z.object({
  movies: integerOption('movies', 1, MAX_MOVIES).default(10_000),
  ratings: integerOption('ratings', 0, MAX_RATINGS).default(200_000),
  seed: integerOption('seed', 0, 0xffffffff).default(1),
  batch: integerOption('batch', 1, MAX_BATCH).default(2_000),
});

/** Parses argv (without node and the script); returns undefined for --help. */
export function parseSeedOptions(argv: string[]): SeedOptions | undefined {
  const options = parseOptions(argv, optionsSchema);
  if (options === undefined) return undefined;
  const problems = datasetProblems(options);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return options;
}

const envSchema = z.object({
  MYSQL_URL: mysqlUrl.unwrap(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export interface SeedResult {
  movies: number;
  ratings: number;
  users: number;
  seconds: number;
}

/** Applies the migrations and loads the data set; `report` receives progress lines. */
export async function seed(
  options: SeedOptions,
  mysqlUrlValue: string,
  logger: Logger,
  report: (line: string, final: boolean) => void,
): Promise<SeedResult> {
  const started = performance.now();
  const dataset = new Dataset({ seed: options.seed, movies: options.movies, ratings: options.ratings });
  const metadataDb = await openAndMigrate(mysqlUrlValue, 'metadata', logger, report);
  try {
    const ratingDb = await openAndMigrate(mysqlUrlValue, 'rating', logger, report);
    try {
      await load('movies', dataset.movies(), options.movies, options.batch, metadataDb, insertMovies, report);
      await load('ratings', dataset.ratings(), options.ratings, options.batch, ratingDb, insertRatings, report);
    } finally {
      await ratingDb.close();
    }
  } finally {
    await metadataDb.close();
  }
  return {
    movies: options.movies,
    ratings: options.ratings,
    users: dataset.userCount,
    seconds: (performance.now() - started) / 1000,
  };
}

async function openAndMigrate(
  url: string,
  name: 'metadata' | 'rating',
  logger: Logger,
  report: (line: string, final: boolean) => void,
): Promise<Database> {
  const directory = path.join(REPO_ROOT, 'services', name, 'migrations');
  if (!existsSync(directory)) throw new Error(`The ${name} service's migrations are missing: ${directory} does not exist`);
  const database = await Database.open({ url, database: name, poolSize: CONCURRENCY, logger, connectDeadlineMs: 10_000 });
  try {
    const applied = await migrate(database, directory, logger);
    report(`${name}: database ready (${applied} migration${applied === 1 ? '' : 's'} applied)`, true);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

type Insert<T> = (connection: PoolConnection, rows: T[]) => Promise<void>;

const placeholderCache = new Map<string, string>();
/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` values. */
function placeholders(rows: number, columns: number): string {
  const key = `${rows}x${columns}`;
  let text = placeholderCache.get(key);
  if (text === undefined) {
    const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    text = Array.from({ length: rows }, () => row).join(', ');
    placeholderCache.set(key, text);
  }
  return text;
}

const insertMovies: Insert<Movie> = async (connection, movies) => {
  const params: (string | number)[] = [];
  for (const movie of movies) {
    params.push(movie.id, movie.title, movie.year, movie.description, movie.director, JSON.stringify(movie.actors));
  }
  await connection.query(
    `INSERT INTO movies (id, title, year, description, director, actors) VALUES ${placeholders(movies.length, 6)}
     ON DUPLICATE KEY UPDATE title = VALUES(title), year = VALUES(year), description = VALUES(description),
       director = VALUES(director), actors = VALUES(actors)`,
    params,
  );
};

const insertRatings: Insert<Rating> = async (connection, ratings) => {
  const params: (string | number | Date)[] = [];
  for (const rating of ratings) params.push(rating.recordType, rating.recordId, rating.userId, rating.value, rating.updatedAt);
  await connection.query(
    `INSERT INTO ratings (record_type, record_id, user_id, value, updated_at) VALUES ${placeholders(ratings.length, 5)}
     ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)`,
    params,
  );
};

/** Writes `rows` in batches, each in its own transaction, CONCURRENCY batches in flight. */
async function load<T>(
  label: string,
  rows: Iterable<T>,
  total: number,
  batchSize: number,
  database: Database,
  insert: Insert<T>,
  report: (line: string, final: boolean) => void,
): Promise<void> {
  const progress = new Progress(label, total, report);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for (const batch of inBatches(rows, batchSize)) {
    if (failure !== undefined) break;
    const write = writeBatch(database, insert, batch).then(
      () => progress.add(batch.length),
      (error: unknown) => {
        failure ??= { error };
      },
    );
    const tracked = write.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
  progress.finish();
}

async function writeBatch<T>(database: Database, insert: Insert<T>, batch: T[]): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await database.transaction(async (connection) => {
        // The pool sends dates as UTC; make the server read them as UTC too, whatever its own zone.
        await connection.query("SET time_zone = '+00:00'");
        await insert(connection, batch);
      });
      return;
    } catch (error) {
      // Two batches in flight may still deadlock on InnoDB gap locks when rows already exist; retry.
      if ((error as { code?: string }).code !== 'ER_LOCK_DEADLOCK' || attempt >= DEADLOCK_RETRIES) throw error;
    }
  }
}

class Progress {
  private done = 0;
  private readonly started = performance.now();
  private lastReport = this.started;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly report: (line: string, final: boolean) => void,
    private readonly intervalMs = 1000,
  ) {}

  add(rows: number): void {
    this.done += rows;
    const now = performance.now();
    if (now - this.lastReport >= this.intervalMs && this.done < this.total) {
      this.lastReport = now;
      this.report(this.line(), false);
    }
  }

  finish(): void {
    this.report(this.line(), true);
  }

  private line(): string {
    const seconds = (performance.now() - this.started) / 1000;
    const percent = this.total === 0 ? 100 : (100 * this.done) / this.total;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const width = String(this.total).length;
    return `${this.label.padEnd(7)} ${String(this.done).padStart(width)}/${this.total} (${percent.toFixed(1).padStart(5)}%)  ${rate} rows/s  ${seconds.toFixed(1)} s`;
  }
}

/** Progress lines: rewritten in place on a terminal, one per report otherwise. */
function stderrReporter(): (line: string, final: boolean) => void {
  const tty = process.stderr.isTTY === true;
  return (line, final) => {
    if (tty) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: SeedOptions | undefined;
  let config: z.infer<typeof envSchema>;
  try {
    options = parseSeedOptions(argv);
    if (options === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    config = loadConfig(envSchema, env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`seed: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`seed: ${error.message}\n  MYSQL_URL names the server, e.g. MYSQL_URL=mysql://user:password@127.0.0.1:3306\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({
    service: 'seed',
    level: config.LOG_LEVEL,
    destination: { write: (line: string) => process.stderr.write(line) },
  });
  const target = new URL(config.MYSQL_URL);
  process.stderr.write(
    `seed: ${options.movies} movies, ${options.ratings} ratings (seed ${options.seed}, batches of ${options.batch}) into ${target.host}\n`,
  );
  const result = await seed(options, config.MYSQL_URL, logger, stderrReporter());
  process.stdout.write(
    `Seeded ${result.movies} movies into metadata.movies and ${result.ratings} ratings by ${result.users} users into rating.ratings ` +
      `(seed ${options.seed}) in ${result.seconds.toFixed(1)} s.\n`,
  );
  return 0;
}

/** A one-line reason, looking through wrappers (DependencyUnavailableError) and AggregateErrors. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  let text = error.message || (typeof code === 'string' ? code : '') || error.name;
  if (error instanceof AggregateError && error.errors.length > 0) text = error.errors.map(describeError).join('; ');
  else if (error.cause !== undefined) text += ` (${describeError(error.cause)})`;
  else if (typeof code === 'string' && !text.includes(code)) text += ` (${code})`;
  return text;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`seed: failed: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
