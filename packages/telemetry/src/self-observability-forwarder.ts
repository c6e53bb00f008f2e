import { BroadcastChannel } from 'node:worker_threads';
import { createNoopMeter, type Attributes, type Meter, type MeterProvider, type MetricOptions, type ObservableCallback } from '@opentelemetry/api';

/**
 * The log exporter runs in a worker thread (see otlp-log-transport.ts); its SDK self-observability
 * (records processed and dropped, queue size and capacity, export outcomes) crosses to the main
 * thread, where the prom-client registry lives, as periodic batches on a BroadcastChannel. This is
 * the worker's side; self-observability-receiver.ts is the main thread's. It must not import
 * prom-client or the kit's registry: the worker would start default metrics of its own.
 */
export const SELF_OBSERVABILITY_CHANNEL = 'cinemetrics:telemetry-self-observability';

export interface Measurement {
  name: string;
  description: string | undefined;
  attributes: Attributes;
  value: number;
}

export interface MeasurementBatch {
  counters: Measurement[];
  upDownCounters: Measurement[];
  observed: Measurement[];
}

export const measurementKey = (name: string, attributes: Attributes) => `${name}\u0000${JSON.stringify(attributes)}`;

export interface ForwardingMeterProvider extends MeterProvider {
  /** Sends what accumulated since the last flush; runs every interval and once more at close. */
  flush(): void;
  close(): void;
}

/** Worker side: sums counter deltas and samples observable instruments, posting one batch per interval. */
export function forwardingMeterProvider(intervalMs = 1000): ForwardingMeterProvider {
  const channel = new BroadcastChannel(SELF_OBSERVABILITY_CHANNEL);
  const deltas = { counters: new Map<string, Measurement>(), upDownCounters: new Map<string, Measurement>() };
  const observables: { name: string; description: string | undefined; callbacks: Set<ObservableCallback> }[] = [];

  const adder = (into: Map<string, Measurement>, name: string, options: MetricOptions | undefined) => ({
    add(value: number, attributes: Attributes = {}) {
      const key = measurementKey(name, attributes);
      const current = into.get(key);
      if (current) current.value += value;
      else into.set(key, { name, description: options?.description, attributes, value });
    },
  });

  const meter = Object.assign(Object.create(createNoopMeter()) as Meter, {
    createCounter: (name: string, options?: MetricOptions) => adder(deltas.counters, name, options),
    createUpDownCounter: (name: string, options?: MetricOptions) => adder(deltas.upDownCounters, name, options),
    createObservableUpDownCounter(name: string, options?: MetricOptions) {
      const callbacks = new Set<ObservableCallback>();
      observables.push({ name, description: options?.description, callbacks });
      return { addCallback: (cb: ObservableCallback) => callbacks.add(cb), removeCallback: (cb: ObservableCallback) => callbacks.delete(cb) };
    },
  }) as Meter;

  const flush = () => {
    const observed: Measurement[] = [];
    for (const { name, description, callbacks } of observables) {
      for (const callback of callbacks) {
        void callback({ observe: (value: number, attributes: Attributes = {}) => observed.push({ name, description, attributes, value }) });
      }
    }
    const batch: MeasurementBatch = { counters: [...deltas.counters.values()], upDownCounters: [...deltas.upDownCounters.values()], observed };
    deltas.counters.clear();
    deltas.upDownCounters.clear();
    if (batch.counters.length + batch.upDownCounters.length + batch.observed.length > 0) channel.postMessage(batch);
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    getMeter: () => meter,
    flush,
    close() {
      clearInterval(timer);
      flush();
      channel.close();
    },
  };
}
