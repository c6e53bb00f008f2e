import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/** How to run one supervised process. */
export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface RestartPolicy {
  /** Wait before the first restart; doubled for each further restart in a row, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that ran at least this long before exiting was not crash-looping: its restarts in a row start again from zero. */
  stableAfterMs: number;
  /** Restarts in a row after which a process that exits again is given up (the others keep running). */
  maxRestarts: number;
  /** When stopping: how long after SIGTERM a process still running gets SIGKILL. */
  stopTimeoutMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxRestarts: 5,
  stopTimeoutMs: 10_000,
};

/** The exit code with which a service says its configuration was rejected: restarting cannot help. */
export const CONFIGURATION_ERROR_EXIT_CODE = 2;

/** What the supervisor has to say; the caller turns it into output. */
export interface SupervisorListener {
  spawned(child: ChildProcess, spec: ProcessSpec, restart: number): void;
  exitedUnexpectedly(name: string, how: string): void;
  restarting(name: string, delayMs: number, restart: number, maxRestarts: number): void;
  gaveUp(name: string, restarts: number): void;
  forceKilled(name: string, reason: 'timeout' | 'urgent', stopTimeoutMs: number): void;
}

interface Member {
  spec: ProcessSpec;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  startedAt: number;
  restartsInARow: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
}

/**
 * Runs a set of processes like compose's `restart: on-failure`: one that exits without being asked is
 * restarted after a capped exponential backoff while the others keep running; after `maxRestarts`
 * quick exits in a row it is given up. An exit with code 2 (configuration rejected) is not retried:
 * `configurationRejected` resolves with the process's name and the caller decides. `stop()` ends them all.
 */
export class Supervisor {
  readonly configurationRejected: Promise<string>;
  private rejectConfiguration: (name: string) => void = () => undefined;
  private readonly members: Member[];
  private stopping = false;

  constructor(
    specs: ProcessSpec[],
    private readonly listener: SupervisorListener,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    this.members = specs.map((spec) => ({
      spec,
      child: undefined,
      exited: Promise.resolve(),
      startedAt: 0,
      restartsInARow: 0,
      restartTimer: undefined,
    }));
    this.configurationRejected = new Promise((resolve) => {
      this.rejectConfiguration = resolve;
    });
  }

  start(): void {
    for (const member of this.members) this.launch(member);
  }

  /** The pid of the process currently running under `name`, if one is. */
  pid(name: string): number | undefined {
    return this.members.find((member) => member.spec.name === name)?.child?.pid;
  }

  /** SIGTERM to every running process, SIGKILL to those left after stopTimeoutMs or once `urgent` resolves. */
  async stop(urgent: Promise<void> = new Promise(() => undefined)): Promise<void> {
    this.stopping = true;
    for (const member of this.members) clearTimeout(member.restartTimer);
    const running = this.members.filter((member) => member.child !== undefined);
    for (const member of running) member.child?.kill('SIGTERM');
    const allExited = Promise.all(running.map((member) => member.exited));
    const timer = new AbortController();
    const outcome = await Promise.race([
      allExited.then(() => 'exited' as const),
      urgent.then(() => 'urgent' as const),
      delay(this.policy.stopTimeoutMs, 'timeout' as const, { signal: timer.signal }).catch(() => 'exited' as const),
    ]);
    timer.abort();
    if (outcome !== 'exited') {
      for (const member of running) {
        if (member.child === undefined) continue;
        this.listener.forceKilled(member.spec.name, outcome, this.policy.stopTimeoutMs);
        member.child.kill('SIGKILL');
      }
    }
    await allExited;
  }

  /** Last resort when the supervisor itself is exiting abruptly: never leave a process behind. */
  killAll(): void {
    this.stopping = true;
    for (const member of this.members) {
      clearTimeout(member.restartTimer);
      member.child?.kill('SIGKILL');
    }
  }

  private launch(member: Member): void {
    // Own process group: a terminal's Ctrl+C reaches only the supervisor, which then stops each process
    // with one SIGTERM (a service takes a second signal as "exit now"). The IPC channel, never written
    // to, closes when the supervisor dies however it dies (even SIGKILL): the kit then shuts the
    // service down, so no service outlives its supervisor.
    const child = spawn(member.spec.command, member.spec.args, {
      cwd: member.spec.cwd,
      env: member.spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    member.child = child;
    member.startedAt = Date.now();
    member.exited = new Promise((resolve) => {
      let ended = false;
      const end = (how: string, code: number | null): void => {
        if (ended) return;
        ended = true;
        member.child = undefined;
        resolve();
        this.onExit(member, how, code);
      };
      // After a successful spawn an 'error' is a failed kill(), not an exit.
      child.on('error', (error) => {
        if (child.pid === undefined) end(`could not be started (${error.message})`, null);
      });
      // 'close', not 'exit': by then the child's output has been read to its end, so the last lines a
      // service logs (its shutdown) are echoed before the supervisor reports it stopped, or exits itself.
      child.once('close', (code, signal) => end(describeExit(code, signal), code));
    });
    this.listener.spawned(child, member.spec, member.restartsInARow);
  }

  private onExit(member: Member, how: string, code: number | null): void {
    if (this.stopping) return;
    const { name } = member.spec;
    this.listener.exitedUnexpectedly(name, how);
    if (code === CONFIGURATION_ERROR_EXIT_CODE) {
      this.rejectConfiguration(name);
      return;
    }
    if (Date.now() - member.startedAt >= this.policy.stableAfterMs) member.restartsInARow = 0;
    if (member.restartsInARow >= this.policy.maxRestarts) {
      this.listener.gaveUp(name, member.restartsInARow);
      return;
    }
    const wait = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** member.restartsInARow);
    member.restartsInARow += 1;
    this.listener.restarting(name, wait, member.restartsInARow, this.policy.maxRestarts);
    member.restartTimer = setTimeout(() => {
      member.restartTimer = undefined;
      if (!this.stopping) this.launch(member);
    }, wait);
  }
}
