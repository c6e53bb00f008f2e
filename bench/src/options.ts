/** Command-line numbers for the benches: parsed, checked against their range, with a message naming the option. */

export interface NumberRule {
  min: number;
  max: number;
  /** Whole numbers only (counts, seconds of a window); default true. */
  integer?: boolean;
}

export class OptionError extends Error {}

/** The value of `--name`, which must be a number within `rule`; `fallback` when the option was not given. */
export function numberOption(raw: string | undefined, name: string, fallback: number, rule: NumberRule): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const integer = rule.integer ?? true;
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new OptionError(`--${name}: "${raw}" is not ${integer ? 'a whole number' : 'a number'}`);
  }
  if (value < rule.min || value > rule.max) throw new OptionError(`--${name}: ${value} is outside ${rule.min}–${rule.max}`);
  return value;
}

/** One of `allowed`, or `fallback` when not given. */
export function choiceOption<T extends string>(raw: string | undefined, name: string, fallback: T, allowed: readonly T[]): T {
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
