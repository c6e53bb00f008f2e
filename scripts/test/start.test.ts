import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpJson, startMariaDb, startProcess, type MariaDb, type RunningProcess } from '@cinemetrics/testing';
import { Dataset } from '../src/dataset.js';
import { DEMO_DATASET, SERVICE_NAMES, servicePorts } from '../src/start.js';

const START_JS = path.resolve(__dirname, '../src/start.js');
const READY_LINE = (line: string) => line.includes('Press Ctrl+C to stop.');

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, exclusive: true }, () => resolve(server));
  });
}

/**
 * A base B such that B+1..B+4 and B+11..B+14 are all free right now. B stays below Linux's ephemeral
 * range (32768 and up), where other tests' listen(0) ports and outgoing connections take ports at any
 * moment and could take one of ours between this check and the services' listen.
 */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 1_200) * 10;
    const ports = servicePorts(base).flatMap((s) => [s.port, s.adminPort]);
    const servers: Server[] = [];
    for (const port of ports) {
      const server = await listen(port);
      if (server === undefined) break;
      servers.push(server);
    }
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (servers.length === ports.length) return base;
  }
  throw new Error('no free block of ports found');
}

/** The pid of each service, from start.ts's "<name> started, pid N" lines. */
function servicePids(proc: RunningProcess): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of proc.lines()) {
    const match = /\[start\]\s+(\w+) started, pid (\d+)/.exec(line);
    if (match?.[1] && match[2]) pids.set(match[1], Number(match[2]));
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

async function startAll(env: Record<string, string | undefined>, args: string[] = []): Promise<RunningProcess> {
  return startProcess({ name: 'start', args: [START_JS, ...args], env: { NO_COLOR: '1', CINEMETRICS_READY_TIMEOUT_MS: '60000', ...env } });
}

describe('npm start', () => {
  let db: MariaDb;
  before(async () => {
    db = await startMariaDb();
  });
  after(async () => {
    await db?.dispose();
  });

  test('runs all four services on MySQL, seeds through the APIs, and SIGINT stops everything with exit 0', async () => {
    const base = await freePortBase();
    const ports = servicePorts(base);
    const proc = await startAll({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: db.url, LOG_LEVEL: 'info' });
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      const pids = servicePids(proc);
      assert.deepEqual([...pids.keys()].sort(), [...SERVICE_NAMES].sort());
      for (const pid of pids.values()) assert.ok(isAlive(pid));

      // Lines are tagged with the service name, without colour codes when stdout is not a TTY.
      assert.ok(proc.lines().some((line) => line.startsWith('[metadata] ')), 'tagged service output');
      assert.ok(!proc.lines().some((line) => line.includes('\x1b[')), 'no colour codes in a pipe');
      assert.ok(proc.lines().some((line) => line.includes(`curl localhost:${base + 3}/movies/tt0000001`)));

      const dataset = new Dataset(DEMO_DATASET);
      const expected = dataset.movie(0);
      const values = [...dataset.ratings()].filter((r) => r.recordId === expected.id).map((r) => r.value);
      assert.ok(values.length > 0, 'the demo data rates the first movie');
      const response = await httpJson('GET', `http://127.0.0.1:${base + 3}/movies/${expected.id}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = response.body as { metadata: unknown; rating: { average: number; count: number } | null; degraded: unknown[] };
      assert.deepEqual(body.metadata, expected);
      assert.equal(body.rating?.count, values.length);
      assert.ok(Math.abs((body.rating?.average ?? 0) - values.reduce((a, b) => a + b, 0) / values.length) < 1e-9);
      assert.deepEqual(body.degraded, []);

      // The data went through the services into MySQL.
      assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM metadata.movies'), [{ n: DEMO_DATASET.movies }]);
      assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM rating.ratings'), [{ n: DEMO_DATASET.ratings }]);

      for (const service of ports) {
        const openapi = await httpJson('GET', `http://127.0.0.1:${service.port}/openapi.json`);
        assert.equal(openapi.status, 200, `${service.name} openapi.json`);
        const metrics = await fetch(`http://127.0.0.1:${service.adminPort}/metrics`);
        await metrics.body?.cancel();
        assert.equal(metrics.status, 200, `${service.name} metrics`);
      }

      proc.signal('SIGINT');
      const status = await proc.exited;
      assert.deepEqual(status, { code: 0, signal: null }, proc.lines().slice(-30).join('\n'));
      assert.ok(proc.lines().some((line) => line.includes('all services stopped')));
      for (const [name, pid] of pids) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
      for (const service of ports) {
        const server = await listen(service.port);
        assert.ok(server, `port ${service.port} is free again`);
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await proc.stop('SIGKILL');
    }
  });

  test('a service dying on its own stops the others and exits 1', async () => {
    const base = await freePortBase();
    const proc = await startAll({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, LOG_LEVEL: 'warn' }, ['--no-seed']);
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      assert.ok(proc.lines().some((line) => line.includes('in-memory stores')));
      const pids = servicePids(proc);
      const ratingPid = pids.get('rating');
      assert.ok(ratingPid);
      process.kill(ratingPid, 'SIGKILL');
      const status = await proc.exited;
      assert.deepEqual(status, { code: 1, signal: null }, proc.lines().slice(-30).join('\n'));
      assert.ok(proc.lines().some((line) => /rating was killed by SIGKILL unexpectedly; stopping the others/.test(line)));
      for (const [name, pid] of pids) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
    } finally {
      await proc.stop('SIGKILL');
    }
  });

  test('a port already in use is named and nothing is started', async () => {
    const base = await freePortBase();
    const blocker = await listen(base + 13); // movie's admin port
    assert.ok(blocker);
    try {
      const proc = await startAll({ CINEMETRICS_PORT_BASE: String(base) });
      const status = await proc.exited;
      assert.deepEqual(status, { code: 1, signal: null });
      const output = proc.lines().join('\n');
      assert.match(output, new RegExp(`port ${base + 13} \\(movie admin\\) is already in use`));
      assert.match(output, /CINEMETRICS_PORT_BASE/);
      assert.doesNotMatch(output, /started, pid/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a bad CINEMETRICS_PORT_BASE is refused', async () => {
    const proc = await startAll({ CINEMETRICS_PORT_BASE: 'eighty' });
    assert.deepEqual(await proc.exited, { code: 2, signal: null });
    assert.match(proc.lines().join('\n'), /CINEMETRICS_PORT_BASE must be a whole number/);
  });
});
