import { freePort } from './ports.js';
import { startProcess, type RunningProcess } from './service-process.js';

export interface DaemonOptions {
  /** For error messages and log prefixes. */
  name: string;
  binary: string;
  /** The command line for a given loopback port. */
  args: (port: number) => string[];
  cwd: string;
  /** Polled until it answers 200, e.g. '/-/ready'. */
  readyPath: string;
  readyTimeoutMs: number;
}

export interface StartedDaemon {
  process: RunningProcess;
  port: number;
}

const PORT_ATTEMPTS = 3;

/**
 * Starts a server binary on a free loopback port and waits for its readiness URL. freePort()
 * releases the port before the binary binds it, so when another process takes it first the
 * start is retried on a new port. The child is SIGKILLed when the test process exits.
 */
export async function startDaemon(options: DaemonOptions): Promise<StartedDaemon> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const proc = await startProcess({
        name: options.name,
        command: options.binary,
        args: options.args(port),
        cwd: options.cwd,
        readyUrl: `http://127.0.0.1:${port}${options.readyPath}`,
        readyTimeoutMs: options.readyTimeoutMs,
      });
      return { process: proc, port };
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !/address already in use/i.test(String(error))) throw error;
    }
  }
}
