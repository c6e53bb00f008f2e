import { DEFAULT_STACK_PORTS, type StackPorts } from '@cinemetrics/stack';
import type { PortUse } from '../start/ports.js';

/** The backends' ports, and the port of the receiver that prints Alertmanager's notifications (alert-printer.ts). */
export type StackRunPorts = StackPorts & { alertPrinter: number };

/** Where the printer listens without an offset: the port of the placeholder receivers in alertmanager.yml. */
const ALERT_PRINTER_PORT = 9095;

const OWNERS: Record<keyof StackRunPorts, string> = {
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
  alertPrinter: 'the alert printer',
};

/** The default stack ports, each moved up by `offset` (CINEMETRICS_STACK_PORT_OFFSET). */
export function stackPorts(offset: number): StackRunPorts {
  const entries = Object.entries({ ...DEFAULT_STACK_PORTS, alertPrinter: ALERT_PRINTER_PORT }).map(([key, port]) => [key, port + offset]);
  return Object.fromEntries(entries) as StackRunPorts;
}

export function stackPortUses(ports: StackRunPorts): PortUse[] {
  return (Object.keys(OWNERS) as (keyof StackRunPorts)[]).map((key) => ({ port: ports[key], owner: OWNERS[key] }));
}

export const STACK_PORTS_HINT =
  'move the services with CINEMETRICS_PORT_BASE (e.g. 18080 → 18081-18084, 18091-18094) and the stack with ' +
  'CINEMETRICS_STACK_PORT_OFFSET (e.g. 100 → 4417/4418, 9190, 9193, 9528, 16786, …)';
