import { BroadcastChannel } from 'node:worker_threads';
import { selfObservabilityMeterProvider } from './self-observability.js';
import { measurementKey, SELF_OBSERVABILITY_CHANNEL, type Measurement, type MeasurementBatch } from './self-observability-forwarder.js';

/** Main-thread side: applies forwarded batches to the same prom-client instruments the main thread's SDK uses. */
export function receiveForwardedSelfObservability(): { close(): void } {
  const channel = new BroadcastChannel(SELF_OBSERVABILITY_CHANNEL);
  channel.unref();
  const meter = selfObservabilityMeterProvider().getMeter('forwarded');
  const latest = new Map<string, Map<string, Measurement>>();
  channel.onmessage = (event) => {
    const batch = (event as { data: MeasurementBatch }).data;
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
      values.set(measurementKey(m.name, m.attributes), m);
    }
  };
  return { close: () => channel.close() };
}
