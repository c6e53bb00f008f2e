import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { Supervisor, type ProcessSpec, type RestartPolicy, type SupervisorListener } from '../src/start/supervisor.js';
import { eventually, isAlive } from './support/npm-start.js';

const FAST: RestartPolicy = { initialDelayMs: 20, maxDelayMs: 80, stableAfterMs: 60_000, maxRestarts: 4, stopTimeoutMs: 500 };

function nodeProcess(name: string, script: string): ProcessSpec {
  return { name, command: process.execPath, args: ['-e', script], cwd: process.cwd(), env: {} };
}

const RUNS_UNTIL_SIGTERM = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0));';
const IGNORES_SIGTERM = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => {});';

/** Records what the supervisor reports, as `event name detail` strings. */
class Recorder implements SupervisorListener {
  readonly events: string[] = [];
  readonly children: ChildProcess[] = [];
  spawned(child: ChildProcess, spec: ProcessSpec, restart: number): void {
    this.children.push(child);
    this.events.push(`spawned ${spec.name} ${restart}`);
  }
  exitedUnexpectedly(name: string, how: string): void {
    this.events.push(`exited ${name} ${how}`);
  }
  restarting(name: string, delayMs: number, restart: number): void {
    this.events.push(`restarting ${name} ${delayMs} ${restart}`);
  }
  gaveUp(name: string, restarts: number): void {
    this.events.push(`gave-up ${name} ${restarts}`);
  }
  forceKilled(name: string, reason: string): void {
    this.events.push(`force-killed ${name} ${reason}`);
  }
}

test('a crashing process is restarted with doubling, capped delays, then given up; the others keep running', async () => {
  const recorder = new Recorder();
  const supervisor = new Supervisor([nodeProcess('steady', RUNS_UNTIL_SIGTERM), nodeProcess('crashing', 'process.exit(1)')], recorder, FAST);
  supervisor.start();
  const steadyPid = supervisor.pid('steady');
  assert.ok(steadyPid);
  try {
    await eventually('the crashing process given up', () => recorder.events.includes('gave-up crashing 4'), 10_000);
    assert.deepEqual(
      recorder.events.filter((event) => event.includes('crashing')),
      [
        'spawned crashing 0',
        'exited crashing exited with code 1',
        'restarting crashing 20 1',
        'spawned crashing 1',
        'exited crashing exited with code 1',
        'restarting crashing 40 2',
        'spawned crashing 2',
        'exited crashing exited with code 1',
        'restarting crashing 80 3',
        'spawned crashing 3',
        'exited crashing exited with code 1',
        'restarting crashing 80 4',
        'spawned crashing 4',
        'exited crashing exited with code 1',
        'gave-up crashing 4',
      ],
    );
    assert.equal(supervisor.pid('crashing'), undefined);
    assert.equal(supervisor.pid('steady'), steadyPid, 'the steady process was left alone');
    assert.ok(isAlive(steadyPid));
  } finally {
    await supervisor.stop();
  }
  assert.equal(isAlive(steadyPid), false);
  assert.ok(!recorder.events.some((event) => event.startsWith('exited steady')), 'a requested stop is not reported as unexpected');
});

test('a process that ran long enough before exiting starts its restart count again', async () => {
  const recorder = new Recorder();
  const policy = { ...FAST, stableAfterMs: 0 };
  const supervisor = new Supervisor([nodeProcess('flaky', 'setTimeout(() => process.exit(1), 50)')], recorder, policy);
  supervisor.start();
  try {
    await eventually('five restarts', () => recorder.events.filter((event) => event.startsWith('restarting')).length >= 5, 10_000);
    assert.ok(!recorder.events.some((event) => event.startsWith('gave-up')));
    assert.ok(recorder.events.filter((event) => event.startsWith('restarting')).every((event) => event === 'restarting flaky 20 1'));
  } finally {
    await supervisor.stop();
  }
});

test('exit code 2 (configuration rejected) is not retried: configurationRejected names the process', async () => {
  const recorder = new Recorder();
  const supervisor = new Supervisor([nodeProcess('steady', RUNS_UNTIL_SIGTERM), nodeProcess('misconfigured', 'process.exit(2)')], recorder, FAST);
  supervisor.start();
  try {
    assert.equal(await supervisor.configurationRejected, 'misconfigured');
    await new Promise((resolve) => setTimeout(resolve, FAST.initialDelayMs * 5));
    assert.ok(!recorder.events.some((event) => event.startsWith('restarting')), recorder.events.join('\n'));
  } finally {
    await supervisor.stop();
  }
});

test('stop: SIGTERM to each process, SIGKILL to one still running after the stop timeout, no restart afterwards', async () => {
  const recorder = new Recorder();
  const supervisor = new Supervisor([nodeProcess('polite', RUNS_UNTIL_SIGTERM), nodeProcess('stubborn', IGNORES_SIGTERM)], recorder, FAST);
  supervisor.start();
  const pids = [supervisor.pid('polite'), supervisor.pid('stubborn')];
  // Let both install their SIGTERM handlers.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await supervisor.stop();
  assert.deepEqual(
    recorder.children.map((child) => [child.exitCode, child.signalCode]),
    [
      [0, null],
      [null, 'SIGKILL'],
    ],
  );
  assert.deepEqual(recorder.events.filter((event) => !event.startsWith('spawned')), ['force-killed stubborn timeout']);
  for (const pid of pids) assert.equal(isAlive(pid ?? 0), false);
  await new Promise((resolve) => setTimeout(resolve, FAST.initialDelayMs * 5));
  assert.equal(recorder.children.length, 2, 'nothing restarted after stop');
});
