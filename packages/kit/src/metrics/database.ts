import type { Pool } from 'mysql2/promise';
import { Gauge } from 'prom-client';
import { dbOperationDuration, registry } from './registry.js';

const OPERATION = /^\s*(?:\/\*.*?\*\/\s*)?([A-Za-z]+)/s;
const COLLECTION = /\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+`?([A-Za-z0-9_]+)`?/i;

/**
 * Labels for a statement: its verb and first table. Statements are constant strings with `?`
 * placeholders, so both values come from a small, fixed set.
 */
export function statementLabels(sql: string): { db_operation_name: string; db_collection_name: string } {
  return {
    db_operation_name: (OPERATION.exec(sql)?.[1] ?? 'OTHER').toUpperCase(),
    db_collection_name: COLLECTION.exec(sql)?.[1] ?? '',
  };
}

export function observeStatement(sql: string, seconds: number): void {
  dbOperationDuration.observe(statementLabels(sql), seconds);
}

interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

const pools = new Map<string, Pool>();

/** mysql2 exposes pool state only through its internal queues; read them defensively at scrape time. */
function internals(pool: Pool): PoolInternals {
  return (pool as unknown as { pool?: PoolInternals }).pool ?? {};
}

new Gauge({
  name: 'db_client_connections',
  help: 'Connections in the database pool by state',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    let idle = 0;
    let used = 0;
    for (const pool of pools.values()) {
      const state = internals(pool);
      const all = state._allConnections?.length ?? 0;
      const free = state._freeConnections?.length ?? 0;
      idle += free;
      used += all - free;
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
    for (const pool of pools.values()) max += internals(pool).config?.connectionLimit ?? 0;
    this.set(max);
  },
});

new Gauge({
  name: 'db_client_connection_pending_requests',
  help: 'Requests waiting for a free database connection',
  registers: [registry],
  collect() {
    let pending = 0;
    for (const pool of pools.values()) pending += internals(pool)._connectionQueue?.length ?? 0;
    this.set(pending);
  },
});

export function watchPool(name: string, pool: Pool): void {
  pools.set(name, pool);
}

export function unwatchPool(name: string): void {
  pools.delete(name);
}
