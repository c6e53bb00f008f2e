import { Gauge } from 'prom-client';
import { dbOperationDuration, registry } from './registry.js';

const OPERATION = /^\s*(?:\/\*.*?\*\/\s*)?([A-Za-z]+)/s;
const COLLECTION = /\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+`?([A-Za-z0-9_]+)`?/i;

export interface StatementLabels {
  db_operation_name: string;
  db_collection_name: string;
}

/**
 * Labels for a statement: its verb and first table. Statements are constant strings with `?`
 * placeholders, so both values come from a small, fixed set.
 */
export function statementLabels(sql: string): StatementLabels {
  const known = labelsByStatement.get(sql);
  if (known !== undefined) return known;
  const labels = {
    db_operation_name: (OPERATION.exec(sql)?.[1] ?? 'OTHER').toUpperCase(),
    db_collection_name: COLLECTION.exec(sql)?.[1] ?? '',
  };
  if (labelsByStatement.size < MAX_REMEMBERED_STATEMENTS) labelsByStatement.set(sql, labels);
  return labels;
}

/** A service's statements are a few dozen constants; the bound only guards against one built per call. */
const MAX_REMEMBERED_STATEMENTS = 512;
const labelsByStatement = new Map<string, StatementLabels>();

export function observeStatement(labels: StatementLabels, seconds: number): void {
  dbOperationDuration.observe(labels, seconds);
}

/** The part of mysql2's core pool the gauges use: its public events. */
interface PoolEvents {
  on(event: 'connection' | 'acquire' | 'release', listener: (connection: ConnectionEvents) => void): unknown;
}

interface ConnectionEvents {
  once(event: 'end' | 'error', listener: () => void): unknown;
}

/**
 * One pool's connections as its public events tell them: `connection` (opened), `acquire` (handed
 * out), `release` (back to idle), and a connection's own `end` or `error` (gone). A connection
 * released straight to a waiting caller emits nothing and stays used, which it is. Callers waiting
 * for a connection are the kit's calls in flight that hold none.
 */
export class PoolUsage {
  private readonly idle = new Set<ConnectionEvents>();
  private readonly used = new Set<ConnectionEvents>();
  private inFlight = 0;

  constructor(
    pool: PoolEvents,
    readonly connectionLimit: number,
  ) {
    pool.on('connection', (connection) => {
      const gone = (): void => {
        this.idle.delete(connection);
        this.used.delete(connection);
      };
      connection.once('end', gone);
      connection.once('error', gone);
    });
    pool.on('acquire', (connection) => {
      this.idle.delete(connection);
      this.used.add(connection);
    });
    pool.on('release', (connection) => {
      this.used.delete(connection);
      this.idle.add(connection);
    });
  }

  /** Runs `work`, a call that takes one connection from the pool for its duration. */
  async call<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
    }
  }

  counts(): { idle: number; used: number; pending: number } {
    return { idle: this.idle.size, used: this.used.size, pending: Math.max(0, this.inFlight - this.used.size) };
  }
}

const pools = new Map<string, PoolUsage>();

new Gauge({
  name: 'db_client_connections',
  help: 'Connections in the database pool by state',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    let idle = 0;
    let used = 0;
    for (const pool of pools.values()) {
      const counts = pool.counts();
      idle += counts.idle;
      used += counts.used;
    }
    this.set({ state: 'idle' }, idle);
    this.set({ state: 'used' }, used);
  },
});

new Gauge({
  name: 'db_client_connection_max',
  help: 'The most connections the database pool may open',
  registers: [registry],
  collect() {
    let max = 0;
    for (const pool of pools.values()) max += pool.connectionLimit;
    this.set(max);
  },
});

new Gauge({
  name: 'db_client_connection_pending_requests',
  help: 'Requests waiting for a free database connection',
  registers: [registry],
  collect() {
    let pending = 0;
    for (const pool of pools.values()) pending += pool.counts().pending;
    this.set(pending);
  },
});

/** Counts `pool`'s connections under `name` in the pool gauges until `unwatchPool(name)`. */
export function watchPool(name: string, pool: PoolEvents, connectionLimit: number): PoolUsage {
  const usage = new PoolUsage(pool, connectionLimit);
  pools.set(name, usage);
  return usage;
}

export function unwatchPool(name: string): void {
  pools.delete(name);
}
