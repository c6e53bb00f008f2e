/**
 * The benches' command lines: options parsed strictly, numbers and choices checked against their rules,
 * `--help` listing the options, and a mistake answered with one line naming the option (exit code 2)
 * before anything is started.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

export interface NumberRule {
  min: number;
  max: number;
  /** Whole numbers only (counts, seconds of a window); default true. */
  integer?: boolean;
}

export class OptionError extends Error {}

/** Each option's default and rule as numberOption and choiceOption last saw them: what `--help` shows. */
const describedOptions = new Map<string, string>();

/** The value of `--name`, which must be a number within `rule`; `fallback` when the option was not given. */
export function numberOption(raw: string | undefined, name: string, fallback: number, rule: NumberRule): number {
  const integer = rule.integer ?? true;
  describedOptions.set(name, `default ${fallback}; ${integer ? 'a whole number' : 'a number'} in ${rule.min}–${rule.max}`);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new OptionError(`--${name}: "${raw}" is not ${integer ? 'a whole number' : 'a number'}`);
  }
  if (value < rule.min || value > rule.max) throw new OptionError(`--${name}: ${value} is outside ${rule.min}–${rule.max}`);
  return value;
}

/** One of `allowed`, or `fallback` when not given. */
export function choiceOption<T extends string>(raw: string | undefined, name: string, fallback: T, allowed: readonly T[]): T {
  describedOptions.set(name, `default ${fallback}; one of ${allowed.join(', ')}`);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new OptionError(`--${name}: "${raw}" is not one of ${allowed.join(', ')}`);
  return raw as T;
}

/**
 * Node options for the services a bench starts, space-separated (`--node-args=--max-semi-space-size=4`,
 * with `=` because the value starts with a dash).
 */
export function nodeArgsOption(raw: string | undefined): string[] {
  return raw?.split(' ').filter((arg) => arg !== '') ?? [];
}

/**
 * The options of the benches that load a service in rounds of windows: their rules (defaults, ranges)
 * are each bench's own.
 */
export const LOAD_WINDOW_OPTIONS = {
  rounds: { type: 'string' },
  seconds: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  rate: { type: 'string' },
  phase: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

type Values<T extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: T }>>['values'];

/** The error codes node:util's parseArgs gives a command line it refuses (an unknown option, a value missing or not expected). */
function isRefusedCommandLine(error: unknown): error is Error {
  return error instanceof TypeError && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS_');
}

/** The options a bench takes, one per line, with the default and rule of those read by numberOption or choiceOption. */
function usage(script: string, options: ParseArgsOptionsConfig): string {
  const flags = Object.entries(options).map(([name, option]) => ({ name, flag: `  --${name}${option.type === 'string' ? ' <value>' : ''}` }));
  const width = Math.max(...flags.map(({ flag }) => flag.length));
  const lines = flags.map(({ name, flag }) => {
    const described = describedOptions.get(name);
    return described === undefined ? flag : `${flag.padEnd(width)}  ${described}`;
  });
  const source = `bench/src/${path.basename(script, '.js')}.ts`;
  return [`usage: node ${script} [options]`, ...lines, '  --help', `What it measures and how to read it: the comment that opens ${source}, and docs/performance.md.`, ''].join('\n');
}

/**
 * Reads this process's command line with `options`, then `read` turns the values into the bench's
 * settings (numberOption, choiceOption). `--help` prints the options and exits 0; an unknown option or a
 * value `read` refuses prints one line naming it and exits 2.
 */
export function readCommandLine<T extends ParseArgsOptionsConfig, R>(options: T, read: (values: Values<T>) => R): R {
  const script = path.relative(process.cwd(), process.argv[1] ?? 'bench');
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: 'boolean' } } });
    if ((values as Record<string, unknown>)['help'] === true) {
      // Reading the values describes every option, and refuses a bad one before the list is shown.
      read(values);
      process.stdout.write(usage(script, options));
      process.exit(0);
    }
    return read(values);
  } catch (error) {
    if (!(error instanceof OptionError) && !isRefusedCommandLine(error)) throw error;
    process.stderr.write(`${script}: ${error.message} (--help lists the options)\n`);
    process.exit(2);
  }
}
