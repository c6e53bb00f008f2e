import { DEFAULT_STACK_PORTS, type StackPorts } from '@cinemetrics/stack';
import type { PortUse } from '../start/ports.js';

const OWNERS: Record<keyof StackPorts, string> = {
  collectorOtlpGrpc: 'collector OTLP gRPC',
  collectorOtlpHttp: 'collector OTLP HTTP',
  collectorHealth: 'collector health check',
  collectorMetrics: 'collector self-metrics',
  jaegerOtlpGrpc: 'Jaeger OTLP gRPC',
  jaegerOtlpHttp: 'Jaeger OTLP HTTP',
  jaegerQuery: 'Jaeger query API',
  jaegerQueryGrpc: 'Jaeger query gRPC',
  jaegerHealth: 'Jaeger health check',
  jaegerMetrics: 'Jaeger self-metrics',
  prometheus: 'Prometheus',
  alertmanager: 'Alertmanager',
  victorialogs: 'VictoriaLogs',
};

/** The default stack ports, each moved up by `offset` (CINEMETRICS_STACK_PORT_OFFSET). */
export function stackPorts(offset: number): StackPorts {
  const entries = Object.entries(DEFAULT_STACK_PORTS).map(([key, port]) => [key, port + offset]);
  return Object.fromEntries(entries) as StackPorts;
}

export function stackPortUses(ports: StackPorts): PortUse[] {
  return (Object.keys(OWNERS) as (keyof StackPorts)[]).map((key) => ({ port: ports[key], owner: OWNERS[key] }));
}

export const STACK_PORTS_HINT =
  'move the services with CINEMETRICS_PORT_BASE (e.g. 18080 → 18081-18084, 18091-18094) and the stack with ' +
  'CINEMETRICS_STACK_PORT_OFFSET (e.g. 100 → 4417/4418, 9190, 9193, 9528, 16786, …)';
