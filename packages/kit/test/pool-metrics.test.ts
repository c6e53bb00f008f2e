import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startMariaDb, waitUntil, type MariaDb } from '@cinemetrics/testing';
import { registry } from '../src/metrics/registry.js';
import { Database } from '../src/mysql/database.js';
import { capturingLogger } from './support.js';

let mariadb: MariaDb;
const { logger } = capturingLogger();

before(async () => {
  mariadb = await startMariaDb();
});

after(async () => {
  await mariadb.dispose();
});

async function poolGauges(): Promise<{ idle: number; used: number; pending: number; max: number }> {
  const value = async (name: string, state?: string): Promise<number> => {
    const metric = registry.getSingleMetric(name);
    assert.ok(metric, `${name} is registered`);
    const { values } = await metric.get();
    return values.find((sample) => state === undefined || sample.labels['state'] === state)?.value ?? Number.NaN;
  };
  return {
    idle: await value('db_client_connections', 'idle'),
    used: await value('db_client_connections', 'used'),
    pending: await value('db_client_connection_pending_requests'),
    max: await value('db_client_connection_max'),
  };
}

test('the pool gauges follow connections handed out, waited for and given back', async () => {
  const database = await Database.open({ url: mariadb.url, database: 'kit_pool_metrics', poolSize: 2, logger });
  try {
    await database.ping();
    assert.deepEqual(await poolGauges(), { idle: 1, used: 0, pending: 0, max: 2 });

    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Three holders on a pool of two: two hold a connection, the third waits for one.
    const holders = Array.from({ length: 3 }, () => database.transaction(() => gate));
    await waitUntil(async () => {
      const gauges = await poolGauges();
      return gauges.used === 2 && gauges.pending === 1 ? gauges : undefined;
    }, { timeoutMs: 10_000, what: 'two connections used and one caller waiting' });
    assert.deepEqual(await poolGauges(), { idle: 0, used: 2, pending: 1, max: 2 });

    open();
    await Promise.all(holders);
    assert.deepEqual(await poolGauges(), { idle: 2, used: 0, pending: 0, max: 2 });
  } finally {
    await database.close();
  }
  assert.deepEqual(await poolGauges(), { idle: 0, used: 0, pending: 0, max: 0 }, 'a closed pool is no longer counted');
});
