import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { SERVICE_NODE_FLAGS } from '@cinemetrics/kit/node-flags';
import { httpJson, REPOSITORY_ROOT, startMariaDb, startProcess, type MariaDb } from '@cinemetrics/testing';
import { Dataset } from '../src/dataset.js';
import { DEMO_DATASET, SERVICE_NAMES, servicePorts } from '../src/start.js';
import { eventually, freePortBase, interrupt, isAlive, listen, npmStart, READY_LINE, servicePids, STOP_TIMEOUT_MS } from './support/npm-start.js';

describe('npm start', () => {
  let db: MariaDb;
  before(async () => {
    db = await startMariaDb();
  });
  after(async () => {
    await db?.dispose();
  });

  test('runs all four services on MySQL, seeds the empty database through the APIs, and SIGINT stops everything with exit 0', async () => {
    const base = await freePortBase();
    const ports = servicePorts(base);
    const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: db.url, LOG_LEVEL: 'info' });
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      const pids = servicePids(proc);
      assert.deepEqual([...pids.keys()].sort(), [...SERVICE_NAMES].sort());
      for (const pid of pids.values()) assert.ok(isAlive(pid));
      for (const [name, pid] of pids) {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        assert.deepEqual(command.slice(1, 1 + SERVICE_NODE_FLAGS.length), [...SERVICE_NODE_FLAGS], `${name} runs with the services' Node options: ${command.join(' ')}`);
        assert.equal(command[1 + SERVICE_NODE_FLAGS.length], '--require', `${name}: then the telemetry preload`);
      }

      // Lines are tagged with the service name, without colour codes when stdout is not a TTY.
      assert.ok(proc.lines().some((line) => line.startsWith('[metadata] ')), 'tagged service output');
      assert.ok(!proc.lines().some((line) => line.includes('\x1b[')), 'no colour codes in a pipe');
      assert.ok(proc.lines().some((line) => line.includes(`curl localhost:${base + 3}/movies/tt0000001`)));
      assert.ok(proc.lines().some((line) => line.includes('loaded demo data into the empty database')));
      // With MySQL no demo password is made up: the banner says how to have the accounts.
      assert.ok(proc.lines().some((line) => line.includes('with MySQL no demo password is generated: set CINEMETRICS_DEMO_ADMIN_PASSWORD and CINEMETRICS_DEMO_USER_PASSWORD')));
      assert.ok(!proc.lines().some((line) => line.includes('"username":"demo"')), 'no sign-in command without an account');

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

      await interrupt(proc);
      assert.ok(proc.lines().some((line) => line.includes('all services stopped')));
      for (const [name, pid] of pids) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
      for (const service of ports) {
        const server = await listen(service.port);
        assert.ok(server, `port ${service.port} is free again`);
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    }
  });

  test('--no-seed loads nothing and says so; one Ctrl+C delivered twice at once (by the terminal and by npm) still drains the services', async () => {
    const base = await freePortBase();
    const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, LOG_LEVEL: 'info' }, ['--no-seed']);
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      assert.ok(proc.lines().some((line) => line.includes('in-memory stores')));
      assert.ok(proc.lines().some((line) => line.includes('Demo data: seeding skipped')));
      const page = await httpJson('GET', `http://127.0.0.1:${base + 1}/metadata?limit=1`);
      assert.deepEqual(page.body, { items: [], nextCursor: null });

      proc.signal('SIGINT');
      proc.signal('SIGINT');
      assert.deepEqual(await proc.exited, { code: 0, signal: null });
      const output = proc.lines().join('\n');
      assert.doesNotMatch(output, /sending SIGKILL/);
      assert.equal(proc.lines().filter((line) => line.includes('"msg":"shutdown complete"')).length, 4, output);
    } finally {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    }
  });

  test('demo data that cannot be loaded is retried, then reported; the services keep running', async () => {
    const base = await freePortBase();
    const failingWrites = JSON.stringify({ rules: [{ route: '*', method: 'PUT', errorRate: 1 }] });
    const proc = await npmStart({
      CINEMETRICS_PORT_BASE: String(base),
      // Long enough that the first failing PUT comes before the deadline even on a busy machine (signing
      // in runs scrypt), so the retry is reported; short enough to reach the final report soon.
      CINEMETRICS_READY_TIMEOUT_MS: '10000',
      MYSQL_URL: undefined,
      LOG_LEVEL: 'warn',
      FAULTS: failingWrites,
    });
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      const output = proc.lines().join('\n');
      // The first failure is reported once: a PUT's 500, or on a busy machine a service still starting
      // (a read or a sign-in that got no answer yet).
      assert.match(output, /demo data: (PUT \S+ gave status 500|(GET|POST) \S+ (as \S+ )?gave (ECONNREFUSED|no answer)[^\n]*); retrying while the services recover/);
      assert.match(output, /Demo data: demo data not loaded: PUT \S+ still gave status 500 when the time for seeding ran out/);
      const health = await httpJson('GET', `http://127.0.0.1:${base + 3}/.well-known/health`);
      assert.equal(health.status, 200);
      assert.equal(proc.running, true);
      await interrupt(proc);
    } finally {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    }
  });

  test('SIGTERM to the npm process reaches the start script, which stops every service', async () => {
    const base = await freePortBase();
    const proc = await startProcess({
      name: 'npm start',
      command: 'npm',
      args: ['start', '--', '--no-seed'],
      cwd: REPOSITORY_ROOT,
      env: { NO_COLOR: '1', CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, LOG_LEVEL: 'warn' },
    });
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      const pids = servicePids(proc);
      assert.equal(pids.size, 4);
      proc.signal('SIGTERM');
      await proc.exited;
      assert.ok(proc.lines().some((line) => line.includes('SIGTERM: stopping the services')), proc.lines().slice(-20).join('\n'));
      assert.ok(proc.lines().some((line) => line.includes('all services stopped')));
      for (const [name, pid] of pids) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
    } finally {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
      for (const pid of servicePids(proc).values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  test('SIGKILL to the start script: every service notices its supervisor is gone and stops by itself', async () => {
    const base = await freePortBase();
    const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, LOG_LEVEL: 'warn' }, ['--no-seed']);
    const pids = new Map<string, number>();
    try {
      await proc.waitForLine(READY_LINE, 120_000);
      for (const [name, pid] of servicePids(proc)) pids.set(name, pid);
      assert.equal(pids.size, SERVICE_NAMES.length);
      proc.signal('SIGKILL');
      assert.deepEqual(await proc.exited, { code: null, signal: 'SIGKILL' });
      await eventually('every service gone', () => [...pids.values()].every((pid) => !isAlive(pid)), 30_000);
      for (const service of servicePorts(base)) {
        const server = await listen(service.port);
        assert.ok(server, `port ${service.port} is free again`);
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      for (const pid of pids.values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  test('a service rejecting its configuration (exit code 2) stops everything with exit code 2', async () => {
    const base = await freePortBase();
    const faults = JSON.stringify({ rules: [{ route: '/no-such-route', errorRate: 0.5 }] });
    const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, FAULTS: faults });
    try {
      assert.deepEqual(await proc.exited, { code: 2, signal: null }, proc.lines().slice(-30).join('\n'));
      const output = proc.lines().join('\n');
      assert.match(output, /FAULTS\.rules\.0\.route/, 'the service says which variable');
      assert.match(output, /rejected its configuration \(exit code 2/);
      assert.doesNotMatch(output, /restarting/);
      for (const [name, pid] of servicePids(proc)) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
    } finally {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    }
  });

  test('a port already in use is named and nothing is started', async () => {
    const base = await freePortBase();
    const blocker = await listen(base + 13); // movie's admin port
    assert.ok(blocker);
    try {
      const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base) });
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

  test('a bad CINEMETRICS_PORT_BASE or CINEMETRICS_SEED is refused with exit code 2', async () => {
    const badBase = await npmStart({ CINEMETRICS_PORT_BASE: 'eighty' });
    assert.deepEqual(await badBase.exited, { code: 2, signal: null });
    assert.match(badBase.lines().join('\n'), /CINEMETRICS_PORT_BASE must be a whole number/);
    const badSeed = await npmStart({ CINEMETRICS_SEED: 'always' });
    assert.deepEqual(await badSeed.exited, { code: 2, signal: null });
    assert.match(badSeed.lines().join('\n'), /CINEMETRICS_SEED must be one of auto, off \(got "always"\)/);
  });
});
