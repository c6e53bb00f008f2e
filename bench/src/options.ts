/**
 * The benches' command lines: each option declared once with its rule, parsed strictly, numbers and
 * choices checked against their rules, `--help` listing the options, and a mistake answered with one line
 * naming the option (exit code 2) before anything is started.
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

/**
 * One option of a bench's command line: how node:util's parseArgs reads it, what `--help` says of it, and
 * how its raw value becomes the setting (a mistake thrown as an OptionError naming the option).
 */
export interface Option<T> {
  readonly parse: { type: 'string' } | { type: 'boolean' };
  readonly describe?: string;
  read(raw: string | boolean | undefined, name: string): T;
}

/** What a bench's options read to, by option name. */
export type Settings<O extends Record<string, Option<unknown>>> = { -readonly [K in keyof O]: O[K] extends Option<infer T> ? T : never };

const TEXT = { type: 'string' } as const;

function parseNumber(raw: string, name: string, rule: NumberRule): number {
  const integer = rule.integer ?? true;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new OptionError(`--${name}: "${raw}" is not ${integer ? 'a whole number' : 'a number'}`);
  }
  if (value < rule.min || value > rule.max) throw new OptionError(`--${name}: ${value} is outside ${rule.min}–${rule.max}`);
  return value;
}

const describeRule = (rule: NumberRule): string => `${(rule.integer ?? true) ? 'a whole number' : 'a number'} in ${rule.min}–${rule.max}`;

/** A number within `rule`; `fallback` when the option is not given. */
export function numberOption(fallback: number, rule: NumberRule): Option<number> {
  return {
    parse: TEXT,
    describe: `default ${fallback}; ${describeRule(rule)}`,
    read: (raw, name) => (raw === undefined ? fallback : parseNumber(String(raw), name, rule)),
  };
}

/**
 * A number within `rule`, or undefined when not given: for a default the bench derives from its other
 * settings, which `fallback` describes for `--help`.
 */
export function derivedNumberOption(fallback: string, rule: NumberRule): Option<number | undefined> {
  return {
    parse: TEXT,
    describe: `default ${fallback}; ${describeRule(rule)}`,
    read: (raw, name) => (raw === undefined ? undefined : parseNumber(String(raw), name, rule)),
  };
}

/** One of `allowed`; `fallback` when the option is not given. */
export function choiceOption<T extends string>(fallback: T, allowed: readonly T[]): Option<T> {
  return {
    parse: TEXT,
    describe: `default ${fallback}; one of ${allowed.join(', ')}`,
    read(raw, name) {
      if (raw === undefined) return fallback;
      if (!(allowed as readonly unknown[]).includes(raw)) throw new OptionError(`--${name}: "${String(raw)}" is not one of ${allowed.join(', ')}`);
      return raw as T;
    },
  };
}

/** Any text (a path, a list the bench reads itself), or undefined when not given. */
export function textOption(): Option<string | undefined> {
  return { parse: TEXT, read: (raw) => (raw === undefined ? undefined : String(raw)) };
}

/** Given or not. */
export function flagOption(): Option<boolean> {
  return { parse: { type: 'boolean' }, read: (raw) => raw === true };
}

/**
 * Node options for the services a bench starts, space-separated (`--node-args=--max-semi-space-size=4`,
 * with `=` because the value starts with a dash).
 */
export function nodeArgsOption(): Option<string[]> {
  return { parse: TEXT, read: (raw) => (raw === undefined ? [] : String(raw).split(' ').filter((arg) => arg !== '')) };
}

/** The error codes node:util's parseArgs gives a command line it refuses (an unknown option, a value missing or not expected). */
function isRefusedCommandLine(error: unknown): error is Error {
  return error instanceof TypeError && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS_');
}

/** The options a bench takes, one per line, with the default and rule of those that have them. */
function usage(script: string, options: Record<string, Option<unknown>>): string {
  const flags = Object.entries(options).map(([name, option]) => ({ option, flag: `  --${name}${option.parse.type === 'string' ? ' <value>' : ''}` }));
  const width = Math.max(...flags.map(({ flag }) => flag.length));
  const lines = flags.map(({ option, flag }) => (option.describe === undefined ? flag : `${flag.padEnd(width)}  ${option.describe}`));
  const source = `bench/src/${path.basename(script, '.js')}.ts`;
  return [`usage: node ${script} [options]`, ...lines, '  --help', `What it measures and how to read it: the comment that opens ${source}, and docs/performance.md.`, ''].join('\n');
}

/**
 * Reads this process's command line into the settings `options` declare; `derive`, when given, turns them
 * into what the bench uses and may refuse a combination with an OptionError. `--help` prints the options
 * and exits 0 (after refusing a bad value given with it); an unknown option or a refused value prints one
 * line naming it and exits 2.
 */
export function readCommandLine<O extends Record<string, Option<unknown>>, R = Settings<O>>(options: O, derive?: (settings: Settings<O>) => R): R {
  const script = path.relative(process.cwd(), process.argv[1] ?? 'bench');
  try {
    const parsing: ParseArgsOptionsConfig = { help: { type: 'boolean' } };
    for (const [name, option] of Object.entries(options)) parsing[name] = option.parse;
    const { values } = parseArgs({ options: parsing });
    const settings = Object.fromEntries(Object.entries(options).map(([name, option]) => [name, option.read(values[name] as string | boolean | undefined, name)])) as Settings<O>;
    const derived = derive === undefined ? (settings as R) : derive(settings);
    if (values['help'] === true) {
      process.stdout.write(usage(script, options));
      process.exit(0);
    }
    return derived;
  } catch (error) {
    if (!(error instanceof OptionError) && !isRefusedCommandLine(error)) throw error;
    process.stderr.write(`${script}: ${error.message} (--help lists the options)\n`);
    process.exit(2);
  }
}
