/** The two kinds of window the fan-out benches measure: saturating (closed loop) and at a fixed rate (open loop). */
import autocannon from 'autocannon';
import { cpuSecondsBetween, mainThreadCpuSecondsBetween, readCpu, type CpuReading } from './proc-stats.js';
import { quantile } from './spread.js';
import { steadyLoad } from './steady-load.js';

export const LEAD_IN_SECONDS = 1;

/** CPU seconds of several processes, summed: all their threads, and their main threads (event loops) alone. */
export interface CpuUse {
  seconds: number;
  mainThreadSeconds: number;
}

/** Reads the CPU of every process in `pids`; call the result again for what they used since. */
export function cpuOfAll(pids: readonly number[]): () => CpuUse {
  const before = new Map<number, CpuReading>(pids.map((pid) => [pid, readCpu(pid)]));
  return () => {
    const used: CpuUse = { seconds: 0, mainThreadSeconds: 0 };
    for (const [pid, reading] of before) {
      const now = readCpu(pid);
      used.seconds += cpuSecondsBetween(reading, now);
      used.mainThreadSeconds += mainThreadCpuSecondsBetween(reading, now);
    }
    return used;
  };
}

/** CPU per request, all threads and main threads, in µs. */
function perRequest(cpu: CpuUse, requests: number): { cpuMicrosPerRequest: number; mainMicrosPerRequest: number } {
  if (requests === 0) return { cpuMicrosPerRequest: Number.NaN, mainMicrosPerRequest: Number.NaN };
  return { cpuMicrosPerRequest: (cpu.seconds * 1e6) / requests, mainMicrosPerRequest: (cpu.mainThreadSeconds * 1e6) / requests };
}

export interface SaturationSample {
  requestsPerSecond: number;
  /** CPU of every process in `pids`, summed, per request served. */
  cpuMicrosPerRequest: number;
  /** The same for their main threads alone: the rest is log workers, V8's helper threads and libuv's pool. */
  mainMicrosPerRequest: number;
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
  return { requestsPerSecond: total / seconds, ...perRequest(cpu, total), errors: result.non2xx + result.errors };
}

export interface LatencySample {
  p50: number;
  p99: number;
  errors: number;
  cpuMicrosPerRequest: number;
  mainMicrosPerRequest: number;
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
    ...perRequest(cpu, latenciesMs.length),
  };
}
