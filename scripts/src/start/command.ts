import { StartError } from './config.js';
import { complain } from './output.js';

/**
 * The checks before anything is started: their result, or the exit code when they failed (a
 * StartError is reported) or only the usage was asked for (printed; 0).
 */
export async function preflightOrExitCode<T>(preflight: () => Promise<T | undefined>, usage: string): Promise<{ config: T } | { exitCode: number }> {
  let config: T | undefined;
  try {
    config = await preflight();
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    complain(error.message);
    return { exitCode: error.exitCode };
  }
  if (config === undefined) {
    process.stdout.write(`${usage}\n`);
    return { exitCode: 0 };
  }
  return { config };
}

/** Runs a command's main with this process's arguments and environment and exits with its code. */
export function runCommand(main: (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>): void {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      complain(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
