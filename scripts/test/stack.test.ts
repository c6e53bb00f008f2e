import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { getJson, makeTempDir, waitUntil, type RunningProcess, type TempDir } from '@cinemetrics/testing';
import { SERVICE_NAMES } from '../src/start.js';
import { stackPorts } from '../src/stack/ports.js';
import { freePortBase, isAlive, listen, READY_LINE, STOP_TIMEOUT_MS } from './support/npm-start.js';
import { allPorts, freeStackPortOffset, npmRunStack, startedPids } from './support/npm-run-stack.js';

const BACKENDS = ['otel-collector', 'jaeger', 'prometheus', 'alertmanager', 'victorialogs'];

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const kindOf = (span: JaegerSpan): unknown => span.tags.find((tag) => tag.key === 'span.kind')?.value;

/**
 * A trace that starts at the load generator's own client span (no parent) and continues, through
 * the traceparent it sent, in a service's server span.
 */
function continuedLoadgenTrace(traces: JaegerTrace[]): { root: JaegerSpan; server: JaegerSpan; service: string } | undefined {
  for (const trace of traces) {
    const serviceOf = (span: JaegerSpan): string => trace.processes[span.processID]?.serviceName ?? '';
    const root = trace.spans.find((span) => span.references.length === 0);
    if (root === undefined || serviceOf(root) !== 'loadgen' || kindOf(root) !== 'client') continue;
    const server = trace.spans.find((span) => kindOf(span) === 'server' && span.references.some((ref) => ref.refType === 'CHILD_OF' && ref.spanID === root.spanID));
    if (server !== undefined && SERVICE_NAMES.some((name) => name === serviceOf(server))) return { root, server, service: serviceOf(server) };
  }
  return undefined;
}

// The tests run side by side, each on its own ports and data folder: the two whole stacks mostly wait
// (for health, for a trace to reach Jaeger), and waiting one after the other doubled the file's time.
describe('npm run stack', { concurrency: true }, () => {
  const folders: TempDir[] = [];
  const dataFolder = async (): Promise<TempDir> => {
    const folder = await makeTempDir('cinemetrics-npm-run-stack-');
    folders.push(folder);
    return folder;
  };
  after(async () => {
    await Promise.all(folders.map((folder) => folder.remove()));
  });

  test('brings up the stack and the services under load: a loadgen trace reaches Jaeger, the services are up in Prometheus, and SIGINT stops every process', async () => {
    const data = await dataFolder();
    const base = await freePortBase();
    const offset = await freeStackPortOffset(base);
    const ports = stackPorts(offset);
    const proc = await npmRunStack(
      { CINEMETRICS_PORT_BASE: String(base), CINEMETRICS_STACK_PORT_OFFSET: String(offset), CINEMETRICS_STACK_DATA_DIR: data.path, MYSQL_URL: undefined },
      ['--loadgen-rate', '10'],
    );
    try {
      await proc.waitForLine(READY_LINE, 240_000);
      const pids = startedPids(proc);
      assert.deepEqual([...pids.keys()].sort(), [...BACKENDS, ...SERVICE_NAMES, 'loadgen'].sort(), proc.lines().join('\n'));
      for (const [name, pid] of pids) assert.ok(isAlive(pid), `${name} (pid ${pid}) runs`);
      const output = proc.lines().join('\n');
      assert.match(output, new RegExp(`http://127\\.0\\.0\\.1:${ports.victorialogs}/select/vmui`));
      assert.match(output, new RegExp(`curl -s 'http://127\\.0\\.0\\.1:${ports.jaegerQuery}/api/traces\\?service=movie`));
      assert.match(output, new RegExp(`http://127\\.0\\.0\\.1:${ports.alertmanager}/api/v2/alerts`));
      // The same identities as npm start: the demo accounts' sign-in commands, a load generator that rates as signed-in users.
      const demoPassword = /"username":"demo","password":"([^"<]+)"/.exec(output)?.[1];
      assert.ok(demoPassword, 'the banner has the demo sign-in command');
      await proc.waitForLine((line) => /^\[loadgen\]\s+loadgen: ratings are given by load-user-N users/.test(line), 30_000);
      const logs = await Promise.all(['auth', 'movie', 'rating'].map((name) => readFile(path.join(data.path, 'logs', `${name}.log`), 'utf8')));
      assert.ok(!logs.some((log) => log.includes(demoPassword)), 'no log file holds the demo password');
      // Backends and services write to their log files, not to the terminal.
      assert.ok(!proc.lines().some((line) => /^\[(jaeger|prometheus|otel-collector|movie)\]/.test(line)), 'no backend or service lines on the terminal');
      assert.match(await readFile(path.join(data.path, 'logs', 'movie.log'), 'utf8'), /request completed/);
      assert.match(await readFile(path.join(data.path, 'logs', 'prometheus.log'), 'utf8'), /Server is ready to receive web requests/);

      const jaeger = `http://127.0.0.1:${ports.jaegerQuery}`;
      const found = await waitUntil(
        async () => continuedLoadgenTrace((await getJson<{ data: JaegerTrace[] | null }>('stack', `${jaeger}/api/traces?service=loadgen&limit=50&lookback=1h`)).data ?? []),
        { what: 'a trace rooted in a loadgen client span and continued by a service', timeoutMs: 90_000, intervalMs: 1_000, describe: async () => JSON.stringify(await getJson('stack', `${jaeger}/api/services`)) },
      );
      assert.equal(found.server.traceID, found.root.traceID);
      // The load generator's baggage marks what it causes as synthetic, in the service too.
      assert.equal(found.server.tags.find((tag) => tag.key === 'cinemetrics.synthetic')?.value, true, JSON.stringify(found.server.tags));

      const prometheus = `http://127.0.0.1:${ports.prometheus}`;
      await waitUntil(
        async () => {
          const targets = await getJson<{ data: { activeTargets: { labels: Record<string, string>; health: string }[] } }>('stack', `${prometheus}/api/v1/targets`);
          const up = new Set(targets.data.activeTargets.filter((target) => target.health === 'up').map((target) => target.labels['service']));
          return SERVICE_NAMES.every((name) => up.has(name)) ? true : undefined;
        },
        { what: 'every service an up Prometheus target', timeoutMs: 90_000, intervalMs: 1_000, describe: async () => JSON.stringify(await getJson('stack', `${prometheus}/api/v1/targets`)) },
      );
      // Alertmanager's notifications reach the terminal: the Watchdog's heartbeat, once.
      await proc.waitForLine((line) => /^\[alerts\]\s+heartbeat: the Watchdog arrived/.test(line), 60_000);

      proc.signal('SIGINT');
      assert.deepEqual(await proc.exited, { code: 0, signal: null }, proc.lines().slice(-30).join('\n'));
      assert.ok(proc.lines().some((line) => /^\[loadgen\]\s+loadgen: \d+ requests in/.test(line)), 'the load generator printed its summary');
      assert.ok(!proc.lines().some((line) => line.includes('sign-in failed')), 'every load user signed in');
      assert.ok(proc.lines().some((line) => line.includes('the stack is stopped')));
      assert.equal(proc.lines().filter((line) => line.includes('heartbeat: the Watchdog arrived')).length, 1, 'the heartbeat is printed once');
      for (const [name, pid] of pids) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) is gone`);
      for (const port of allPorts(base, offset)) {
        const server = await listen(port);
        assert.ok(server, `port ${port} is free again`);
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await proc.stop('SIGTERM', STOP_TIMEOUT_MS * 3);
    }
  });

  test('SIGKILL to npm run stack: the services and the load generator stop by themselves, and the next run leaves nothing of it running', async () => {
    const data = await dataFolder();
    const base = await freePortBase();
    const offset = await freeStackPortOffset(base);
    const env = { CINEMETRICS_PORT_BASE: String(base), CINEMETRICS_STACK_PORT_OFFSET: String(offset), CINEMETRICS_STACK_DATA_DIR: data.path, MYSQL_URL: undefined };
    const killed = await npmRunStack(env, ['--no-seed']);
    let pids = new Map<string, number>();
    let next: RunningProcess | undefined;
    try {
      await killed.waitForLine(READY_LINE, 240_000);
      pids = startedPids(killed);
      const notifiable = [...SERVICE_NAMES, 'loadgen'].map((name) => [name, pids.get(name)] as const);
      killed.signal('SIGKILL');
      assert.deepEqual(await killed.exited, { code: null, signal: 'SIGKILL' });
      await waitUntil(() => (notifiable.every(([, pid]) => pid !== undefined && !isAlive(pid)) ? true : undefined), {
        what: 'every service and the load generator gone',
        timeoutMs: 30_000,
        intervalMs: 200,
        describe: () => notifiable.filter(([, pid]) => pid !== undefined && isAlive(pid)).map(([name]) => `${name} still runs`).join(', '),
      });

      next = await npmRunStack(env, ['--no-seed', '--no-loadgen']);
      await next.waitForLine(READY_LINE, 240_000);
      // A Go backend may die of SIGPIPE once it writes to the killed command's pipe; the next run stops
      // any still running (the next test checks how it names them), so none is left either way.
      for (const name of BACKENDS) assert.equal(isAlive(pids.get(name) ?? 0), false, `the earlier ${name} is gone`);
      await next.stop('SIGINT', STOP_TIMEOUT_MS * 3);
    } finally {
      for (const pid of pids.values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      await killed.stop('SIGKILL');
      await next?.stop('SIGTERM', STOP_TIMEOUT_MS * 3);
    }
  });

  test('a run still alive on the same data folder is named; what a killed run left is stopped first', async () => {
    const data = await dataFolder();
    const base = await freePortBase();
    const offset = await freeStackPortOffset(base);
    const env = { CINEMETRICS_PORT_BASE: String(base), CINEMETRICS_STACK_PORT_OFFSET: String(offset), CINEMETRICS_STACK_DATA_DIR: data.path };
    const record = path.join(data.path, 'running.json');

    // A taken port makes every run below end after its checks, whatever they find.
    const taken = await listen(stackPorts(offset).alertmanager);
    const leftover = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await writeFile(record, JSON.stringify({ owner: process.pid, backends: [] }));
      const refused = await npmRunStack(env);
      assert.deepEqual(await refused.exited, { code: 1, signal: null });
      assert.match(refused.lines().join('\n'), new RegExp(`another npm run stack \\(pid ${process.pid}\\) is running on ${data.path}`));

      // What a killed run left: its owner is gone, its backend still runs the recorded executable.
      const gone = spawn('true');
      await once(gone, 'exit');
      await writeFile(record, JSON.stringify({ owner: gone.pid, backends: [{ name: 'prometheus', pid: leftover.pid, command: 'sleep' }] }));
      const proc = await npmRunStack(env);
      assert.deepEqual(await proc.exited, { code: 1, signal: null });
      assert.match(proc.lines().join('\n'), new RegExp(`left prometheus \\(pid ${leftover.pid}\\) running: stopping them`));
      assert.equal(leftover.exitCode ?? leftover.signalCode ?? (await once(leftover, 'exit'))[1], 'SIGTERM');
    } finally {
      leftover.kill('SIGKILL');
      await new Promise((resolve) => taken?.close(resolve));
    }
  });

  test('a stack port already in use is named and nothing is started', async () => {
    const data = await dataFolder();
    const base = await freePortBase();
    const offset = await freeStackPortOffset(base);
    const taken = await listen(stackPorts(offset).prometheus);
    assert.ok(taken);
    try {
      const proc = await npmRunStack({ CINEMETRICS_PORT_BASE: String(base), CINEMETRICS_STACK_PORT_OFFSET: String(offset), CINEMETRICS_STACK_DATA_DIR: data.path });
      const status = await proc.exited;
      const output = proc.lines().join('\n');
      assert.deepEqual(status, { code: 1, signal: null }, output);
      assert.match(output, new RegExp(`port ${stackPorts(offset).prometheus} \\(Prometheus\\) is already in use`));
      assert.match(output, /CINEMETRICS_STACK_PORT_OFFSET/);
      assert.doesNotMatch(output, /pid \d+/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test('a bad CINEMETRICS_STACK_PORT_OFFSET or --loadgen-rate is named, exit 2', async () => {
    const data = await dataFolder();
    for (const [env, args, pattern] of [
      [{ CINEMETRICS_STACK_PORT_OFFSET: '60000' }, [], /CINEMETRICS_STACK_PORT_OFFSET must be a whole number from 0 to 48849/],
      [{}, ['--loadgen-rate', 'fast'], /--loadgen-rate must be a whole number/],
    ] as const) {
      const proc = await npmRunStack({ ...env, CINEMETRICS_STACK_DATA_DIR: data.path }, [...args]);
      assert.deepEqual(await proc.exited, { code: 2, signal: null });
      assert.match(proc.lines().join('\n'), pattern);
    }
  });
});
