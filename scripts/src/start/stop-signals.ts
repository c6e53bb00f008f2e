import { say } from './output.js';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** A stop signal repeated within this window is the same request delivered twice, not "kill at once". */
const SAME_SIGNAL_WINDOW_MS = 1_000;

/** How a command learns that it should stop: Ctrl+C, SIGTERM, SIGHUP, or a reason of its own. */
export interface StopControl {
  /** Aborted by the first stop signal or by request(). */
  readonly signal: AbortSignal;
  /** Resolves when `signal` is aborted. */
  readonly stopped: Promise<void>;
  /** Resolves on another stop signal a second or more after the first: kill at once. */
  readonly urgent: Promise<void>;
  request(): void;
  /** Removes the signal handlers. */
  dispose(): void;
}

/** Takes over SIGINT, SIGTERM and SIGHUP; `what` completes "SIGINT: stopping …". */
export function listenForStop(what: string): StopControl {
  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  let urgent: () => void = () => undefined;
  const urgentStop = new Promise<void>((resolve) => {
    urgent = resolve;
  });
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt !== undefined) {
      // One Ctrl+C can arrive twice: from the terminal and forwarded by npm.
      if (Date.now() - firstSignalAt >= SAME_SIGNAL_WINDOW_MS) urgent();
      return;
    }
    firstSignalAt = Date.now();
    if (process.stdout.isTTY === true) process.stdout.write('\n'); // past the ^C the terminal echoed
    say(`${signal}: stopping ${what} (again, a second later, to kill them at once)`);
    stop.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    signal: stop.signal,
    stopped,
    urgent: urgentStop,
    request: () => stop.abort(),
    dispose: () => {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    },
  };
}
