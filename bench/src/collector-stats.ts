/** What the collector has accepted so far, from its own Prometheus metrics, and its process's CPU. */
import type { RunningStack } from '@cinemetrics/stack';
import { parseSamples, sumOf, type Sample } from '@cinemetrics/testing';
import { cpuSecondsBetween, readCpu, type CpuReading } from './proc-stats.js';

export interface CollectorReading {
  cpu: CpuReading;
  spans: number;
  logRecords: number;
}

/** What the collector did between two readings: its CPU seconds and what it accepted. */
export interface CollectorWork {
  cpuSeconds: number;
  spans: number;
  logRecords: number;
}

export function collectorWork(before: CollectorReading, after: CollectorReading): CollectorWork {
  return { cpuSeconds: cpuSecondsBetween(before.cpu, after.cpu), spans: after.spans - before.spans, logRecords: after.logRecords - before.logRecords };
}

/** The collector's own metrics carry `_total` or not depending on its version: either is counted. */
function acceptedTotal(samples: Sample[], signal: 'spans' | 'log_records'): number {
  const name = `otelcol_receiver_accepted_${signal}`;
  return sumOf(samples, name) + sumOf(samples, `${name}_total`);
}

export function collectorPid(stack: RunningStack): number {
  const pid = stack.backends.find((backend) => backend.name === 'otel-collector')?.child.pid;
  if (pid === undefined) throw new Error('the stack has no running collector');
  return pid;
}

export async function readCollector(stack: RunningStack): Promise<CollectorReading> {
  const response = await fetch(`http://127.0.0.1:${stack.ports.collectorMetrics}/metrics`);
  const samples = parseSamples(await response.text());
  return {
    cpu: readCpu(collectorPid(stack)),
    spans: acceptedTotal(samples, 'spans'),
    logRecords: acceptedTotal(samples, 'log_records'),
  };
}
