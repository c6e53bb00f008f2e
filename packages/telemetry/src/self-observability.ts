import {
  createNoopMeter,
  type Attributes,
  type Meter,
  type MeterProvider,
  type MetricOptions,
  type ObservableCallback,
} from '@opentelemetry/api';
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, registry } from './metrics-registry.js';

/**
 * The OpenTelemetry SDK reports on itself (`otel.sdk.processor.span.processed` with
 * `error.type=queue_full`, queue sizes, exporter outcomes and durations) through a MeterProvider.
 * This one records those few instruments straight into the process's prom-client registry, so a
 * collector that is down shows up in Prometheus as dropped and failed spans without running a
 * second metrics pipeline. Only the bounded attributes are kept as labels.
 */
const LABELS = ['otel_component_type', 'otel_component_name', 'error_type'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

function labelsOf(attributes: Attributes | undefined): Labels {
  return {
    otel_component_type: labelValue(attributes?.['otel.component.type']),
    otel_component_name: labelValue(attributes?.['otel.component.name']),
    error_type: labelValue(attributes?.['error.type']),
  };
}

function labelValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function prometheusName(name: string, unit: string | undefined): string {
  const base = name.replace(/[^A-Za-z0-9_]/g, '_');
  return unit === 's' ? `${base}_seconds` : base;
}

const created = new Map<string, unknown>();

function once<T>(name: string, make: () => T): T {
  if (!created.has(name)) created.set(name, make());
  return created.get(name) as T;
}

function help(name: string, options: MetricOptions | undefined): string {
  return options?.description ?? `OpenTelemetry SDK self-observability: ${name}`;
}

function bridgeMeter(): Meter {
  // createNoopMeter() returns the shared no-op meter; inherit from it rather than change it for everyone.
  const meter = Object.create(createNoopMeter()) as Meter;
  return Object.assign(meter, {
    createCounter(name: string, options?: MetricOptions) {
      const counter = once(name, () => new Counter({ name: prometheusName(name, undefined), help: help(name, options), labelNames: LABELS, registers: [registry] }));
      return { add: (value: number, attributes?: Attributes) => counter.inc(labelsOf(attributes), value) };
    },
    createUpDownCounter(name: string, options?: MetricOptions) {
      const gauge = once(name, () => new Gauge({ name: prometheusName(name, undefined), help: help(name, options), labelNames: LABELS, registers: [registry] }));
      return { add: (value: number, attributes?: Attributes) => gauge.inc(labelsOf(attributes), value) };
    },
    createObservableUpDownCounter(name: string, options?: MetricOptions) {
      const callbacks = new Set<ObservableCallback>();
      once(
        name,
        () =>
          new Gauge({
            name: prometheusName(name, undefined),
            help: help(name, options),
            labelNames: LABELS,
            registers: [registry],
            async collect() {
              for (const callback of callbacks) {
                await callback({ observe: (value: number, attributes?: Attributes) => this.set(labelsOf(attributes), value) });
              }
            },
          }),
      );
      return {
        addCallback: (callback: ObservableCallback) => callbacks.add(callback),
        removeCallback: (callback: ObservableCallback) => callbacks.delete(callback),
      };
    },
    createHistogram(name: string, options?: MetricOptions) {
      const histogram = once(
        name,
        () => new Histogram({ name: prometheusName(name, options?.unit), help: help(name, options), labelNames: LABELS, buckets: LATENCY_BUCKETS, registers: [registry] }),
      );
      return { record: (value: number, attributes?: Attributes) => histogram.observe(labelsOf(attributes), value) };
    },
  });
}

export function selfObservabilityMeterProvider(): MeterProvider {
  const meter = bridgeMeter();
  return { getMeter: () => meter };
}
