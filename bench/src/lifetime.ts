/**
 * The life of one bench process: whatever it started is stopped when it ends — normally, on failure, on
 * Ctrl-C or SIGTERM, and when it runs past its time bound — in the reverse order it was started.
 * Exit code 0 when the body finished, 1 on failure or time-out, 130/143 when interrupted.
 */
import { OptionError } from './options.js';

type Cleanup = () => Promise<unknown>;

export interface BenchLifetime {
  /** Runs `stop` when the bench ends, before what was registered earlier. */
  onStop(stop: Cleanup): void;
  /** Seconds left before the time bound. */
  secondsLeft(): number;
}

const STOP_TIMEOUT_MS = 120_000;

export function runBench(name: string, boundSeconds: number, body: (lifetime: BenchLifetime) => Promise<void>): void {
  const cleanups: Cleanup[] = [];
  const deadline = Date.now() + boundSeconds * 1000;
  let stopping: Promise<void> | undefined;

  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      const guard = setTimeout(() => {
        process.stderr.write(`${name}: stopping took over ${STOP_TIMEOUT_MS / 1000} s; exiting\n`);
        process.exit(1);
      }, STOP_TIMEOUT_MS);
      guard.unref();
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          process.stderr.write(`${name}: while stopping: ${String(error)}\n`);
        }
      }
      clearTimeout(guard);
    })();
    return stopping;
  };
  const end = (code: number): void => {
    void stopAll().finally(() => process.exit(code));
  };

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      process.stderr.write(`${name}: ${signal}, stopping what it started\n`);
      end(code);
    });
  }
  const bound = setTimeout(() => {
    process.stderr.write(`${name}: still running after its bound of ${boundSeconds} s; stopping\n`);
    end(1);
  }, boundSeconds * 1000);
  bound.unref();

  body({ onStop: (stop) => cleanups.push(stop), secondsLeft: () => (deadline - Date.now()) / 1000 }).then(
    () => end(0),
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof OptionError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      end(error instanceof OptionError ? 2 : 1);
    },
  );
}
