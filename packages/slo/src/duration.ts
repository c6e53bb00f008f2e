/**
 * Prometheus durations ("5m", "1h30m", "3d") as milliseconds and back. Prometheus counts a day as
 * exactly 24 h, and so do these functions.
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const FORMAT_ORDER: Unit[] = ['d', 'h', 'm', 's', 'ms'];
const PART = /(\d+)(ms|d|h|m|s)/y;

export function parseDuration(text: string): number {
  if (text.length === 0) throw new Error('empty duration');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null) throw new Error(`invalid duration "${text}" at "${text.slice(start)}" (expected e.g. 5m, 1h, 3d, 1h30m)`);
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
  }
  if (total <= 0) throw new Error(`duration "${text}" must be longer than zero`);
  return total;
}

/** The shortest Prometheus spelling of a whole number of milliseconds: 4320000 → "1h12m". */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`cannot express ${ms} ms as a Prometheus duration`);
  let rest = ms;
  let text = '';
  for (const unit of FORMAT_ORDER) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
  }
  return text;
}

/** A duration divided by `factor` (time-scaled rules), to whole milliseconds. */
export function scaleDuration(text: string, factor: number): string {
  return formatDuration(Math.max(1, Math.round(parseDuration(text) / factor)));
}

/** Human wording for descriptions: "50 hours", "2.1 days", "26 seconds". */
export function humanDuration(ms: number): string {
  const describe = (value: number, unit: string): string => {
    const rounded = value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
    return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
  };
  if (ms >= 2 * UNIT_MS.d) return describe(ms / UNIT_MS.d, 'day');
  if (ms >= 2 * UNIT_MS.h) return describe(ms / UNIT_MS.h, 'hour');
  if (ms >= 2 * UNIT_MS.m) return describe(ms / UNIT_MS.m, 'minute');
  return describe(ms / UNIT_MS.s, 'second');
}
