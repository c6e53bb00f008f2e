import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export interface SteadyLoadResult {
  /** Milliseconds from each request's scheduled send time to the end of its response. */
  latenciesMs: number[];
  failures: number;
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate and is sent when due, whether
 * or not earlier ones have answered, and its latency counts from when it was due. autocannon's
 * `overallRate` instead sends each connection's quota back to back at the start of every second and
 * corrects for coordinated omission against a 1 ms interval, so its percentiles measure queueing in
 * those bursts rather than the latency of a steady request stream. `path` may be a function, called
 * for every request (a different movie id each time).
 */
export async function steadyLoad(url: string, path: string | (() => string), rate: number, seconds: number): Promise<SteadyLoadResult> {
  const nextPath = typeof path === 'string' ? () => path : path;
  const pool = new Pool(url, { connections: 32, pipelining: 1 });
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const latenciesMs: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();

  const send = async (dueAt: number): Promise<void> => {
    try {
      const response = await pool.request({ method: 'GET', path: nextPath() });
      await response.body.dump();
      if (response.statusCode >= 300) failures += 1;
      latenciesMs.push(performance.now() - dueAt);
    } catch {
      failures += 1;
    }
  };

  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + next * intervalMs <= now) {
      inFlight.push(send(start + next * intervalMs));
      next += 1;
    }
    const wait = start + next * intervalMs - performance.now();
    if (wait > 0) await sleep(Math.max(1, Math.floor(wait)));
  }
  await Promise.all(inFlight);
  await pool.close();
  return { latenciesMs, failures };
}
