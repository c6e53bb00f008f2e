import type { ChildProcess } from 'node:child_process';
import { complain, prefixLines, say } from './output.js';
import type { SupervisorListener } from './supervisor.js';

/** Where the supervised services' output goes. */
export interface ServiceOutput {
  attach(child: ChildProcess, name: string): void;
  /** A phrase saying where a service's output can be read. */
  whereIs(name: string): string;
}

/** Each service's lines on this terminal, tagged with its name (`npm start`). */
export const TERMINAL_OUTPUT: ServiceOutput = {
  attach(child, name) {
    prefixLines(child.stdout, name, process.stdout);
    prefixLines(child.stderr, name, process.stderr);
  },
  whereIs: () => 'its output is above',
};

/** Turns what the supervisor reports into tagged lines. */
export function supervisorReport(output: ServiceOutput): SupervisorListener {
  return {
    spawned(child, spec, restart) {
      output.attach(child, spec.name);
      say(`${spec.name} ${restart === 0 ? 'started' : 'restarted'}, pid ${child.pid ?? '?'}`);
    },
    exitedUnexpectedly(name, how) {
      complain(`${name} ${how} unexpectedly`);
    },
    restarting(name, delayMs, restart, maxRestarts) {
      complain(`restarting ${name} in ${delayMs / 1000} s (restart ${restart} of at most ${maxRestarts} in a row); the other services keep running`);
    },
    gaveUp(name, restarts) {
      complain(
        `${name} is crash-looping: it exited again after ${restarts} restarts in a row, so it is given up. The other services keep running; ${output.whereIs(name)}. Ctrl+C stops everything.`,
      );
    },
    forceKilled(name, reason, stopTimeoutMs) {
      complain(`${name} ${reason === 'timeout' ? `did not stop within ${stopTimeoutMs / 1000} s` : 'is being killed'}; sending SIGKILL`);
    },
  };
}
