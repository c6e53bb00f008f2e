import { BroadcastChannel } from 'node:worker_threads';
import { createNoopMeter, type Attributes, type Meter, type MeterProvider, type MetricOptions, type ObservableCallback } from '@opentelemetry/api';
import { selfObservabilityMeterProvider } from './self-observability.js';

/**
 * The log exporter runs in a worker thread (see otlp-log-transport.ts); its SDK self-observability
 * (records processed and dropped, queue size and capacity) crosses to the main thread, where the
 * prom-client registry lives, as periodic batches on a BroadcastChannel.
 */
const CHANNEL = 'cinemetrics:telemetry-self-observability';

interface Measurement {
  name: string;
  description: string | undefined;
  attributes: Attributes;
  value: number;
}

interface Batch {
  counters: Measurement[];
  upDownCounters: Measurement[];
  observed: Measurement[];
}

const keyOf = (name: string, attributes: Attributes) => `${name}\u0000${JSON.stringify(attributes)}`;

export interface ForwardingMeterProvider extends MeterProvider {
  /** Sends what accumulated since the last flush; runs every interval and once more at close. */
  flush(): void;
  close(): void;
}

/** Worker side: sums counter deltas and samples observable instruments, posting one batch per interval. */
export function forwardingMeterProvider(intervalMs = 1000): ForwardingMeterProvider {
  const channel = new BroadcastChannel(CHANNEL);
  const deltas = { counters: new Map<string, Measurement>(), upDownCounters: new Map<string, Measurement>() };
  const observables: { name: string; description: string | undefined; callbacks: Set<ObservableCallback> }[] = [];

  const adder = (into: Map<string, Measurement>, name: string, options: MetricOptions | undefined) => ({
    add(value: number, attributes: Attributes = {}) {
      const key = keyOf(name, attributes);
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
    const batch: Batch = { counters: [...deltas.counters.values()], upDownCounters: [...deltas.upDownCounters.values()], observed };
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

/** Main-thread side: applies forwarded batches to the same prom-client instruments the main thread's SDK uses. */
export function receiveForwardedSelfObservability(): { close(): void } {
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  const meter = selfObservabilityMeterProvider().getMeter('forwarded');
  const latest = new Map<string, Map<string, Measurement>>();
  channel.onmessage = (event) => {
    const batch = (event as { data: Batch }).data;
    for (const m of batch.counters) meter.createCounter(m.name, { description: m.description }).add(m.value, m.attributes);
    for (const m of batch.upDownCounters) meter.createUpDownCounter(m.name, { description: m.description }).add(m.value, m.attributes);
    for (const m of batch.observed) {
      let values = latest.get(m.name);
      if (!values) {
        const byAttributes = new Map<string, Measurement>();
        latest.set(m.name, byAttributes);
        values = byAttributes;
        meter
          .createObservableUpDownCounter(m.name, { description: m.description })
          .addCallback((result) => byAttributes.forEach((v) => result.observe(v.value, v.attributes)));
      }
      values.set(keyOf(m.name, m.attributes), m);
    }
  };
  return { close: () => channel.close() };
}
