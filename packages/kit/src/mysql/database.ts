import type { Pool, PoolConnection, RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import type { Logger } from 'pino';
import { observeStatement, statementLabels, unwatchPool, watchPool, type PoolUsage } from '../metrics/database.js';
import { DependencyUnavailableError } from '../problem.js';
import { WAITING_PER_SLOT } from '../protection/settings.js';
import { querySpansEnabled, spannedConnection, withQuerySpan, type QueryTarget } from './query-spans.js';

/** Driver errors that mean the server cannot be reached or the connection broke, not that the query was wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_LOCK_WAIT_TIMEOUT',
]);

interface DriverError {
  code?: string;
  fatal?: boolean;
  message?: string;
}

export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, fatal, message } = error as DriverError;
  return fatal === true || (code !== undefined && UNAVAILABLE_CODES.has(code)) || message === 'Queue limit reached.';
}

export interface DatabaseOptions {
  /** `mysql://user:password@host:port`; the database name comes from `database`. */
  url: string;
  database: string;
  poolSize: number;
  logger: Logger;
  /** Per-query limit; a query running longer fails as unavailable instead of holding the request. */
  queryTimeoutMs?: number;
  /** How long start-up waits for the server to accept connections. */
  connectDeadlineMs?: number;
  /** A span per query under a sampled request (query-spans.ts); by default as the telemetry preload decides. */
  querySpans?: boolean;
}

type Params = (string | number | boolean | Date | Buffer | null)[];

type Driver = typeof import('mysql2/promise');

/** The driver is loaded by the first database opened: a service on the in-memory store never loads it. */
function driver(): Driver {
  return require('mysql2/promise') as Driver;
}

/**
 * A connection pool to one service's own database. Every query is parameterized; connection-level
 * failures surface as DependencyUnavailableError (503) so a database outage never looks like a bug.
 */
export class Database {
  private constructor(
    readonly pool: Pool,
    private readonly usage: PoolUsage,
    readonly name: string,
    private readonly queryTimeoutMs: number,
    /** Where the queries go, for their spans; undefined when queries get none. */
    private readonly spanTarget: QueryTarget | undefined,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const url = new URL(options.url);
    const connection = {
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      connectTimeout: 2000,
      timezone: 'Z',
      supportBigNumbers: true,
    };
    await createDatabaseWhenReady(connection, options);
    const pool = driver().createPool({
      ...connection,
      database: options.database,
      connectionLimit: options.poolSize,
      maxIdle: options.poolSize,
      idleTimeout: 60_000,
      waitForConnections: true,
      queueLimit: options.poolSize * WAITING_PER_SLOT,
      enableKeepAlive: true,
      keepAliveInitialDelay: 10_000,
      // Without FOUND_ROWS an upsert reports 1 affected row for an insert and 2 (or 0 if unchanged) for
      // an update, which is how repositories tell "created" from "replaced".
      flags: ['-FOUND_ROWS'],
    });
    const usage = watchPool(options.database, pool.pool, options.poolSize);
    const spanTarget = (options.querySpans ?? querySpansEnabled()) ? { database: options.database, host: connection.host, port: connection.port } : undefined;
    return new Database(pool, usage, options.database, options.queryTimeoutMs ?? 5000, spanTarget);
  }

  async query<T extends RowDataPacket>(sql: string, params: Params = []): Promise<T[]> {
    const [rows] = await this.measured(sql, () => this.pool.query<T[]>({ sql, timeout: this.queryTimeoutMs }, params));
    return rows;
  }

  async execute(sql: string, params: Params = []): Promise<ResultSetHeader> {
    const [result] = await this.measured(sql, () => this.pool.query<ResultSetHeader>({ sql, timeout: this.queryTimeoutMs }, params));
    return result;
  }

  /** Runs `work` on one connection of the pool, released afterwards (named locks, migrations). */
  async withConnection<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    return this.usage.call(async () => {
      const connection = await this.pool.getConnection();
      try {
        return await work(this.spanned(connection));
      } finally {
        connection.release();
      }
    });
  }

  /** Runs `work` in a transaction on one connection; rolls back when it throws. */
  async transaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    return this.usage.call(() => this.inTransaction(work));
  }

  private async inTransaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.guard(() => this.pool.getConnection());
    try {
      await connection.beginTransaction();
      const result = await work(this.spanned(connection));
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw isUnavailableError(error) ? new DependencyUnavailableError('database', error) : error;
    } finally {
      connection.release();
    }
  }

  /** Readiness probe: one round trip. */
  async ping(): Promise<void> {
    await this.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    unwatchPool(this.name);
    await this.pool.end();
  }

  /** Runs a statement in its span; both it and the duration metric include the wait for a connection. */
  private async measured<T>(sql: string, operation: () => Promise<T>): Promise<T> {
    const labels = statementLabels(sql);
    const started = process.hrtime.bigint();
    const target = this.spanTarget;
    const spanned = target === undefined ? operation : () => withQuerySpan(target, sql, labels, operation);
    try {
      return await this.usage.call(() => this.guard(spanned));
    } finally {
      observeStatement(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private spanned(connection: PoolConnection): PoolConnection {
    return this.spanTarget === undefined ? connection : spannedConnection(connection, this.spanTarget, statementLabels);
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isUnavailableError(error)) throw new DependencyUnavailableError('database', error);
      throw error;
    }
  }
}

interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  connectTimeout: number;
}

/** Waits for the server (it may start after us under compose), then creates the database if missing. */
async function createDatabaseWhenReady(connection: ConnectionSettings, options: DatabaseOptions): Promise<void> {
  const deadline = Date.now() + (options.connectDeadlineMs ?? 60_000);
  const mysql = driver();
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      const admin = await mysql.createConnection(connection);
      try {
        await admin.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(options.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      } finally {
        await admin.end();
      }
      return;
    } catch (error) {
      if (!isUnavailableError(error) || Date.now() > deadline) throw error;
      options.logger.warn(
        { attempt, host: connection.host, port: connection.port, err: { code: (error as DriverError).code } },
        'database not reachable yet; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 200 * attempt)));
    }
  }
}
