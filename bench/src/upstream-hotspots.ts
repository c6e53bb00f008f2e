/**
 * bench/upstream-hotspots: four costs inside OpenTelemetry's packages that every request of an
 * instrumented service pays, and two that every scrape pays (one in prom-client, one in Node), each timed against the same work without it, for a report upstream
 * (docs/performance.md, *Upstream hot spots*). Nothing here changes the packages: each "without" arm
 * is what the proposed fix would do, written out in this file.
 *
 *   npm run bench:upstream [-- --rounds 9 --iterations 200000]
 *
 * 1. `isAnyValue` (@opentelemetry/core) allocates a WeakSet on every call, even for a string or a number:
 *    it runs for every attribute of every log record (`LogRecordImpl.setAttribute`).
 * 2. `Tracer.startSpan` cleans the start attributes twice: once before sampling, again after merging the
 *    sampler's (usually none).
 * 3. instrumentation-http binds the request's and the response's emitters to the request's context
 *    (`context.bind` patches on/once/addListener/…, and wraps every listener added later).
 * 4. The OTLP protobuf serializer walks every span twice: a size pass, then the write pass.
 * 5. prom-client's event-loop lag collector reads the standard deviation of Node's delay histogram on
 *    every scrape (`nodejs_eventloop_lag_stddev_seconds`), which walks the whole histogram.
 * 6. Node's histograms (`perf_hooks`) compute their mean by walking every bucket too: the kit's lag gauges
 *    read it on every scrape (`nodejs_eventloop_lag_mean_seconds`). A sum kept as values are recorded
 *    would give it in one division.
 *
 * Arms alternate within each round; the report is the median over rounds of ns per operation.
 */
import { EventEmitter } from 'node:events';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import path from 'node:path';
import { context, SpanKind, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { cleanAttributes, isAnyValue } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { numberOption, readCommandLine } from './options.js';
import { median, quartiles } from './spread.js';

const { rounds, iterations } = readCommandLine({
  rounds: numberOption(9, { min: 1, max: 100 }),
  iterations: numberOption(200_000, { min: 1000, max: 100_000_000 }),
});

/** What a server span of a metadata read starts with (instrumentation-http's request attributes). */
const SERVER_ATTRIBUTES: Attributes = {
  'http.request.method': 'GET',
  'url.scheme': 'http',
  'url.path': '/metadata/tt0113277',
  'server.address': '127.0.0.1',
  'server.port': 8081,
  'client.address': '127.0.0.1',
  'network.peer.address': '127.0.0.1',
  'network.peer.port': 51234,
  'network.protocol.version': '1.1',
  'user_agent.original': 'undici',
};

/** The attribute values of an access-log record, as the log worker sets them one by one. */
const LOG_VALUES: unknown[] = ['GET', '/metadata/:id', 200, '/metadata/tt0113277', 0.412, 'f6c2a1de-6a3e-4a55-9d0e-1c2b3a4d5e6f', 'metadata', 'http'];

// A local copy of core's isAnyValue with the early return the fix would add: scalars need no WeakSet.
function isAnyValueScalarsFirst(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    default:
      return isAnyValue(value);
  }
}

const NO_LIMITS = { attributeCountLimit: Infinity, attributeValueLengthLimit: Infinity };
const SDK_LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: Infinity };

/** A server request's two emitters, with the listeners node, Koa and on-finished add to them. */
function requestEmitters(bind: boolean): number {
  const request = new EventEmitter();
  const response = new EventEmitter();
  if (bind) {
    context.bind(context.active(), request);
    context.bind(context.active(), response);
  }
  let calls = 0;
  const count = () => {
    calls += 1;
  };
  request.on('error', count);
  request.once('end', count);
  response.once('finish', count);
  response.once('close', count);
  response.on('error', count);
  request.emit('end');
  response.emit('finish');
  response.emit('close');
  response.removeListener('error', count);
  request.removeListener('error', count);
  return calls;
}

function recordedSpans(count: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('bench');
  for (let i = 0; i < count; i += 1) {
    const span = tracer.startSpan('GET /metadata/:id', { kind: SpanKind.SERVER, attributes: SERVER_ATTRIBUTES });
    span.setAttributes({ 'http.route': '/metadata/:id', 'http.response.status_code': 200 });
    span.end();
  }
  return exporter.getFinishedSpans();
}

/**
 * The serializer's size pass made nearly free: its estimator swapped (through the module's own export,
 * which the serializer looks up on every call) for one whose methods do nothing and whose size is the
 * known result. The serializer still walks the spans with it, so this understates what a single-pass
 * writer would save.
 */
type Estimator = new () => { pos: number };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the estimator is not exported; only its file path reaches it
const estimatorModule = require(path.join(path.dirname(require.resolve('@opentelemetry/otlp-transformer')), 'common/protobuf/protobuf-size-estimator.cjs')) as {
  ProtobufSizeEstimator: Estimator;
};
const PUBLISHED_ESTIMATOR = estimatorModule.ProtobufSizeEstimator;

function knownSizeEstimator(size: number): Estimator {
  const stub = function (this: { pos: number }) {
    this.pos = size;
  } as unknown as Estimator;
  for (const method of Object.getOwnPropertyNames(PUBLISHED_ESTIMATOR.prototype)) {
    if (method !== 'constructor') Object.defineProperty(stub.prototype, method, { value: () => 0 });
  }
  return stub;
}

function serializeWith(estimator: Estimator, spans: ReadableSpan[]): Uint8Array | undefined {
  estimatorModule.ProtobufSizeEstimator = estimator;
  try {
    return ProtobufTraceSerializer.serializeRequest(spans);
  } finally {
    estimatorModule.ProtobufSizeEstimator = PUBLISHED_ESTIMATOR;
  }
}

/**
 * A delay histogram as the lag collector finds it after a busy interval: delays of 10–60 ms, in
 * nanoseconds; with the sum of what was recorded, as the proposed fix would keep it.
 */
function busyDelayHistogram(): { histogram: RecordableHistogram; sum: number } {
  const histogram = createHistogram();
  let sum = 0;
  for (let i = 0; i < 20_000; i += 1) {
    const delay = Math.round(1e7 + 5e7 * Math.random() * Math.random());
    histogram.record(delay);
    sum += delay;
  }
  return { histogram, sum };
}

/** What prom-client's lag collector reads from the histogram on each scrape, with or without the standard deviation. */
function lagReadings(histogram: RecordableHistogram, withStddev: boolean): number[] {
  const readings = [histogram.min, histogram.max, histogram.mean, histogram.percentile(50), histogram.percentile(90), histogram.percentile(99)];
  if (withStddev) readings.push(histogram.stddev);
  return readings;
}

interface Pair {
  name: string;
  /** The package as published. */
  upstream: () => unknown;
  /** The same work as the fix would do it. */
  fixed: () => unknown;
  /** Operations per call of either arm, to report ns per operation. */
  operations: number;
  /** Calls per measurement, when `--iterations` would take too long for an arm this slow. */
  repeat?: number;
}

function timeNs(work: () => unknown, repeat: number, operations: number): number {
  let sink: unknown;
  const started = process.hrtime.bigint();
  for (let i = 0; i < repeat; i += 1) sink = work();
  const elapsed = Number(process.hrtime.bigint() - started);
  if (sink === Symbol.for('never')) console.log(sink);
  return elapsed / repeat / operations;
}

function main(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const spans = recordedSpans(128);
  const { histogram: delays, sum: delaySum } = busyDelayHistogram();
  const serializedSize = ProtobufTraceSerializer.serializeRequest(spans)?.length ?? 0;
  const writePassOnly = knownSizeEstimator(serializedSize);
  if (serializeWith(writePassOnly, spans)?.length !== serializedSize) throw new Error('the write pass alone must produce the same bytes');
  const pairs: Pair[] = [
    {
      name: 'isAnyValue, per attribute value of a log record',
      upstream: () => LOG_VALUES.every((value) => isAnyValue(value)),
      fixed: () => LOG_VALUES.every((value) => isAnyValueScalarsFirst(value)),
      operations: LOG_VALUES.length,
    },
    {
      name: 'start attributes cleaned twice, per server span',
      upstream: () => {
        const first = cleanAttributes(SERVER_ATTRIBUTES, NO_LIMITS).attributes ?? {};
        return cleanAttributes(Object.assign(first, {}), SDK_LIMITS);
      },
      fixed: () => cleanAttributes(SERVER_ATTRIBUTES, SDK_LIMITS),
      operations: 1,
    },
    {
      name: 'request and response emitters bound to the context, per request',
      upstream: () => requestEmitters(true),
      fixed: () => requestEmitters(false),
      operations: 1,
    },
    {
      name: 'protobuf serialization of 128 spans: both passes vs the write pass alone, per span',
      upstream: () => serializeWith(PUBLISHED_ESTIMATOR, spans),
      fixed: () => serializeWith(writePassOnly, spans),
      operations: spans.length,
    },
    {
      name: 'event-loop lag readings with the standard deviation vs without, per scrape',
      upstream: () => lagReadings(delays, true),
      fixed: () => lagReadings(delays, false),
      operations: 1,
      repeat: Math.max(20, Math.round(iterations / 1000)),
    },
    {
      name: "a Node histogram's mean: walked vs a kept sum, per scrape",
      upstream: () => delays.mean,
      fixed: () => delaySum / delays.count,
      operations: 1,
      repeat: Math.max(20, Math.round(iterations / 1000)),
    },
  ];
  const results = new Map<string, { upstream: number[]; fixed: number[] }>(pairs.map((pair) => [pair.name, { upstream: [], fixed: [] }]));
  const repeatOf = (pair: Pair) => pair.repeat ?? (pair.operations >= 100 ? Math.max(50, Math.round(iterations / 1000)) : iterations);
  for (const pair of pairs) {
    timeNs(pair.upstream, repeatOf(pair), pair.operations);
    timeNs(pair.fixed, repeatOf(pair), pair.operations);
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const pair of round % 2 === 0 ? pairs : [...pairs].reverse()) {
      const repeat = repeatOf(pair);
      const result = results.get(pair.name);
      const arms = round % 2 === 0 ? (['upstream', 'fixed'] as const) : (['fixed', 'upstream'] as const);
      for (const arm of arms) result?.[arm].push(timeNs(pair[arm], repeat, pair.operations));
    }
  }
  console.log(`${rounds} rounds, Node ${process.version}; ns per operation, median (q1–q3)`);
  console.log('| hot spot | upstream | without it | saved |');
  console.log('|---|---:|---:|---:|');
  for (const pair of pairs) {
    const result = results.get(pair.name);
    if (!result) continue;
    const [uq1, um, uq3] = quartiles(result.upstream);
    const [fq1, fm, fq3] = quartiles(result.fixed);
    const saved = median(result.upstream.map((upstream, i) => upstream - (result.fixed[i] ?? upstream)));
    console.log(`| ${pair.name} | ${um.toFixed(0)} (${uq1.toFixed(0)}–${uq3.toFixed(0)}) | ${fm.toFixed(0)} (${fq1.toFixed(0)}–${fq3.toFixed(0)}) | ${saved.toFixed(0)} |`);
  }
}

main();
