/** The two kinds of window the fan-out benches measure: saturating (closed loop) and at a fixed rate (open loop). */
import autocannon from 'autocannon';
import { cpuSecondsBetween, readCpu, type CpuReading } from './proc-stats.js';
import { quantile } from './spread.js';
import { steadyLoad } from './steady-load.js';

export const LEAD_IN_SECONDS = 1;

/** Reads the CPU of every process in `pids`; call the result again for the CPU seconds they used since, summed. */
export function cpuOfAll(pids: readonly number[]): () => number {
  const before = new Map<number, CpuReading>(pids.map((pid) => [pid, readCpu(pid)]));
  return () => [...before].reduce((sum, [pid, reading]) => sum + cpuSecondsBetween(reading, readCpu(pid)), 0);
}

export interface SaturationSample {
  requestsPerSecond: number;
  /** CPU of every process in `pids`, summed, per request served. */
  cpuMicrosPerRequest: number;
  errors: number;
}

/** `connections` requests in flight, each answered one sent, for `seconds` after a second of lead-in. */
export async function saturationWindow(url: string, nextPath: () => string, pids: readonly number[], connections: number, seconds: number): Promise<SaturationSample> {
  const options = {
    url,
    connections,
    requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, path: nextPath() }) }],
  };
  await autocannon({ ...options, duration: LEAD_IN_SECONDS });
  const cpuSince = cpuOfAll(pids);
  const result = await autocannon({ ...options, duration: seconds });
  const cpu = cpuSince();
  const total = result.requests.total;
  return { requestsPerSecond: total / seconds, cpuMicrosPerRequest: total === 0 ? Number.NaN : (cpu * 1e6) / total, errors: result.non2xx + result.errors };
}

export interface LatencySample {
  p50: number;
  p99: number;
  errors: number;
  cpuMicrosPerRequest: number;
}

/** Evenly spaced requests at `rate` for `seconds` (see steady-load.ts), after a second of lead-in. */
export async function latencyWindow(url: string, nextPath: () => string, pids: readonly number[], rate: number, seconds: number): Promise<LatencySample> {
  await steadyLoad(url, nextPath, rate, LEAD_IN_SECONDS);
  const cpuSince = cpuOfAll(pids);
  const { latenciesMs, failures } = await steadyLoad(url, nextPath, rate, seconds);
  const cpu = cpuSince();
  return {
    p50: quantile(latenciesMs, 0.5),
    p99: quantile(latenciesMs, 0.99),
    errors: failures,
    cpuMicrosPerRequest: (cpu * 1e6) / Math.max(1, latenciesMs.length),
  };
}
