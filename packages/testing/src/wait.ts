import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between attempts; default 50 ms. */
  intervalMs?: number;
  /** What was awaited, for the timeout message (e.g. "2 targets up"). */
  what: string;
  /** Called once on timeout; its text is appended to the error to show what was seen instead. */
  describe?: () => string | Promise<string>;
}

/**
 * Calls `select` until it returns something other than `undefined` and resolves with that.
 * `select` may be async; an exception from it ends the wait at once. On timeout the error
 * says what was awaited and, through `describe`, what there was instead.
 */
export async function waitUntil<T>(select: () => T | undefined | Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await select();
    if (value !== undefined) return value;
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await delay(Math.min(options.intervalMs ?? 50, remaining));
  }
  const seen = options.describe === undefined ? '' : `\n${await options.describe()}`;
  throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${options.what}.${seen}`);
}

/** Waits until `check` holds: `waitUntil` for a yes-or-no condition. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  options: Pick<WaitOptions, 'intervalMs' | 'describe'> = {},
): Promise<void> {
  await waitUntil(async () => ((await check()) ? true : undefined), { what, timeoutMs, ...options });
}
