import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setImmediate as setImmediatePromise, setTimeout as setTimeoutPromise } from 'node:timers/promises';
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { httpServerDuration, registry as kitRegistry } from '../src/metrics/registry.js';
import { renderRegistry } from '../src/metrics/render.js';

const REGISTERED = ['jobs', 'done_total', 'queue_depth', 'work_seconds'];
const namesOf = (registry: Registry<RegistryContentType>) => registry.getMetricsAsArray().map((metric) => metric.name);

/** A small registry whose values do not change between renders; counters named with or without `_total`. */
function sampleRegistry(contentType: RegistryContentType, counterSuffix: '' | '_total'): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  const exemplars = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  new Counter({ name: `jobs${counterSuffix}`, help: 'Jobs', labelNames: ['kind'], registers: [registry] }).inc({ kind: 'a' }, 3);
  new Counter({ name: 'done_total', help: 'Done', registers: [registry] }).inc(2);
  new Gauge({ name: 'queue_depth', help: 'Depth', registers: [registry] }).set(7);
  const histogram = new Histogram({ name: 'work_seconds', help: 'Work', labelNames: ['route'], buckets: [0.1, 1], enableExemplars: exemplars, registers: [registry] });
  if (exemplars) {
    histogram.observe({ labels: { route: '/a' }, value: 0.05, exemplarLabels: { trace_id: 'ab'.repeat(16) } as never });
    histogram.observe({ labels: { route: '/b' }, value: 2 });
  } else {
    histogram.observe({ route: '/a' }, 0.05);
    histogram.observe({ route: '/b' }, 2);
  }
  return registry;
}

test('OpenMetrics: the same text as prom-client renders, exemplars included, and counter names as registered afterwards', async () => {
  const registry = sampleRegistry(Registry.OPENMETRICS_CONTENT_TYPE, '');
  const ours = await renderRegistry(registry, 'openmetrics');
  assert.deepEqual(namesOf(registry), REGISTERED);
  assert.equal(ours, await registry.metrics());
  assert.match(ours, /work_seconds_bucket\{le="0.1",route="\/a"\} 1 # \{trace_id="(ab){16}"\}/);
  assert.ok(ours.endsWith('# EOF\n'));
  // prom-client's own render leaves counters' names without `_total`; a render after it is still whole.
  assert.equal(await renderRegistry(registry, 'openmetrics'), ours);
  assert.equal(await renderRegistry(registry, 'openmetrics', { cachedLabelText: true }), ours);
});

test('Prometheus text: every counter ends in _total, no exemplars, and the registry keeps its own content type afterwards', async () => {
  const registry = sampleRegistry(Registry.OPENMETRICS_CONTENT_TYPE, '');
  const ours = await renderRegistry(registry, 'prometheus');
  const expected = await sampleRegistry(Registry.PROMETHEUS_CONTENT_TYPE, '_total').metrics();
  assert.equal(ours, expected);
  assert.equal(await renderRegistry(registry, 'prometheus', { cachedLabelText: true }), expected);
  assert.match(ours, /^jobs_total\{kind="a"\} 3$/m);
  assert.doesNotMatch(ours, /# \{trace_id/);
  assert.deepEqual(namesOf(registry), REGISTERED);
  assert.equal(registry.contentType, Registry.OPENMETRICS_CONTENT_TYPE);
});

/** Histograms that exercise the text: escapes, no labels, +Inf, exemplars in every bucket, a labels object two histograms share. */
function histogramRegistry(contentType: RegistryContentType): { registry: Registry<RegistryContentType>; observeMore: () => void } {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  const exemplars = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const routes = new Histogram({ name: 'route_seconds', help: 'Per route\\ with "quotes"\nand a new line', labelNames: ['route', 'code'], buckets: [0.005, 0.1, 2.5], enableExemplars: exemplars, registers: [registry] });
  const plain = new Histogram({ name: 'plain_bytes', help: 'No labels', buckets: [1, 10], registers: [registry] });
  const shared = { route: '/shared', code: 200 };
  const twin = new Histogram({ name: 'twin_seconds', help: 'Shares a labels object with route_seconds', labelNames: ['route', 'code'], buckets: [1], registers: [registry] });
  const observe = (labels: Record<string, string | number>, value: number) =>
    exemplars ? routes.observe({ labels, value, exemplarLabels: { trace_id: 'cd'.repeat(16), span_id: 'ef'.repeat(8) } as never }) : routes.observe(labels, value);
  observe({ route: 'a "quoted" \\ back\nslash', code: '200' }, 0.004);
  observe({ route: '/b', code: 503 }, 99);
  observe(shared, 0.05);
  twin.observe(shared, 3);
  plain.observe(5);
  return {
    registry,
    observeMore: () => {
      observe(shared, 0.2);
      observe({ route: '/new', code: '404' }, 1e9);
      twin.observe(shared, 0.5);
      plain.observe(0.5);
      routes.remove({ route: '/b', code: 503 });
    },
  };
}

for (const [format, contentType] of [
  ['openmetrics', Registry.OPENMETRICS_CONTENT_TYPE],
  ['prometheus', Registry.PROMETHEUS_CONTENT_TYPE],
] as const) {
  test(`${format}: histograms render as prom-client renders them, before and after their values, series and exemplars change`, async () => {
    const { registry, observeMore } = histogramRegistry(contentType);
    assert.equal(await renderRegistry(registry, format, { cachedLabelText: true }), await registry.metrics());
    observeMore();
    const after = await renderRegistry(registry, format, { cachedLabelText: true });
    assert.equal(after, await registry.metrics());
    assert.match(after, /^twin_seconds_bucket\{le="1",route="\/shared",code="200"\} 1$/m, 'each histogram keeps its own name for a labels object both use');
    assert.doesNotMatch(after, /route="\/b"/, 'a removed series is gone');
  });
}

/** Counters and gauges that exercise the text: escapes, no labels, odd values, exemplars, collect functions, label objects made anew. */
function scalarRegistry(contentType: RegistryContentType): { registry: Registry<RegistryContentType>; changeAll: () => void; collections: () => number } {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  const exemplars = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const calls = new Counter({ name: 'calls_total', help: 'Per peer\\ with "quotes"\nand a new line', labelNames: ['peer', 'code'], enableExemplars: exemplars, registers: [registry] });
  const count = (labels: Record<string, string | number>, value: number) =>
    exemplars ? calls.inc({ labels, value, exemplarLabels: { trace_id: 'ab'.repeat(16) } as never }) : calls.inc(labels, value);
  count({ peer: 'a "quoted" \\ back\nslash', code: '200' }, 1);
  count({ peer: 'b', code: 503 }, 2.5);
  new Counter({ name: 'bare_total', help: 'No labels', registers: [registry] });
  const level = new Gauge({ name: 'level', help: 'Odd values', labelNames: ['kind'], registers: [registry] });
  level.set({ kind: 'nan' }, Number.NaN);
  level.set({ kind: 'up' }, Number.POSITIVE_INFINITY);
  level.set({ kind: 'down' }, Number.NEGATIVE_INFINITY);
  level.set({ kind: 'small' }, 1e-7);
  let collections = 0;
  let reading = 1;
  // Set with a new labels object on every collection, as prom-client's heap-space gauges are.
  new Gauge({
    name: 'space_bytes',
    help: 'Collected',
    labelNames: ['space'],
    registers: [registry],
    collect() {
      collections += 1;
      for (const space of ['new', 'old']) this.set({ space }, reading * (space === 'new' ? 1 : 2));
    },
  });
  new Gauge({
    name: 'read_later',
    help: 'Collected asynchronously',
    registers: [registry],
    async collect() {
      await setImmediatePromise();
      collections += 1;
      this.set(reading * 10);
    },
  });
  return {
    registry,
    changeAll: () => {
      reading += 1;
      count({ peer: 'b', code: 503 }, 1);
      count({ peer: 'new', code: '404' }, 1);
      calls.remove({ peer: 'a "quoted" \\ back\nslash', code: '200' });
      level.set({ kind: 'small' }, 42);
    },
    collections: () => collections,
  };
}

for (const [format, contentType] of [
  ['openmetrics', Registry.OPENMETRICS_CONTENT_TYPE],
  ['prometheus', Registry.PROMETHEUS_CONTENT_TYPE],
] as const) {
  test(`${format}: counters and gauges render as prom-client renders them, collect functions run once per render, before and after their values and series change`, async () => {
    const { registry, changeAll, collections } = scalarRegistry(contentType);
    const ours = await renderRegistry(registry, format, { cachedLabelText: true });
    assert.equal(collections(), 2, 'each collect function ran once');
    assert.equal(ours, await registry.metrics());
    assert.match(ours, /^read_later 10$/m, 'the asynchronous collection was awaited');
    assert.match(ours, /^level\{kind="nan"\} Nan$/m);
    changeAll();
    const after = await renderRegistry(registry, format, { cachedLabelText: true });
    assert.equal(after, await registry.metrics());
    assert.match(after, /^space_bytes\{space="old"\} 4$/m, 'gauges set anew are read anew');
    assert.match(after, /^level\{kind="small"\} 42$/m);
    assert.doesNotMatch(after, /quoted/, 'a removed series is gone');
    if (format === 'openmetrics') assert.match(after, /^calls_total\{peer="new",code="404"\} 1 # \{trace_id="(ab){16}"\} 1 \d+/m);
  });
}

test("every counter's and gauge's collect function starts before any family is rendered, so an asynchronous reading overlaps the rest", async () => {
  const registry = new Registry<RegistryContentType>();
  const events: string[] = [];
  new Gauge({
    name: 'slow_reading',
    help: 'Read asynchronously, first in the registry',
    registers: [registry],
    async collect() {
      events.push('slow started');
      await setTimeoutPromise(20);
      events.push('slow read');
      this.set(7);
    },
  });
  new Gauge({
    name: 'quick_reading',
    help: 'Read synchronously, after it',
    registers: [registry],
    collect() {
      events.push('quick read');
      this.set(1);
    },
  });
  const text = await renderRegistry(registry, 'prometheus', { cachedLabelText: true });
  assert.deepEqual(events, ['slow started', 'quick read', 'slow read']);
  assert.match(text, /^slow_reading 7$/m);
  assert.equal(text, await registry.metrics().then((expected) => (events.length = 0, expected)));
});

test('a collect function that fails fails the render with its error, and nothing is left unhandled', async () => {
  const registry = new Registry<RegistryContentType>();
  new Gauge({
    name: 'failing_reading',
    help: 'Rejects after a turn of the loop',
    registers: [registry],
    async collect() {
      await setTimeoutPromise(5);
      throw new Error('no reading');
    },
  });
  // Rendered after the rejection, with turns of the loop in between.
  const later = new Gauge({ name: 'later', help: 'Slow to render', labelNames: ['n'], registers: [registry] });
  for (let n = 0; n < 2000; n += 1) later.set({ n: String(n) }, n);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(renderRegistry(registry, 'prometheus', { cachedLabelText: true, sliceMs: 0 }), /no reading/);
    await setTimeoutPromise(20);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

test('the kit renders the histograms of its own registry from the cache, as prom-client does; other registries, with default labels or not, as prom-client', async () => {
  const labels = { http_request_method: 'GET', http_route: '/render/:id', http_response_status_code: '200' };
  httpServerDuration.observe({ labels, value: 0.02, exemplarLabels: { trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8) } as never });
  const family = (text: string) => text.split('\n').filter((line) => line.includes('http_server_request_duration_seconds')).join('\n');
  kitRegistry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  assert.equal(family(await renderRegistry(kitRegistry, 'openmetrics')), await kitRegistry.getSingleMetricAsString('http_server_request_duration_seconds'));
  kitRegistry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
  assert.equal(family(await renderRegistry(kitRegistry, 'prometheus')), await kitRegistry.getSingleMetricAsString('http_server_request_duration_seconds'));
  assert.match(await renderRegistry(kitRegistry, 'openmetrics'), /http_route="\/render\/:id".* # \{trace_id=/);

  const registry = new Registry<RegistryContentType>();
  registry.setDefaultLabels({ service: 'demo' });
  new Histogram({ name: 'labelled_seconds', help: 'With defaults', labelNames: ['route'], buckets: [1], registers: [registry] }).observe({ route: '/a' }, 0.5);
  assert.equal(await renderRegistry(registry, 'prometheus'), await registry.metrics());
  assert.match(await renderRegistry(registry, 'prometheus'), /service="demo"/);
});

test('a histogram that collects its values on a scrape is left to prom-client, which runs its collect function', async () => {
  const collecting = new Registry<RegistryContentType>();
  let collected = 0;
  new Histogram({
    name: 'collected_seconds',
    help: 'Observed when collected',
    buckets: [1],
    registers: [collecting],
    collect() {
      collected += 1;
      this.reset();
      this.observe(0.5);
    },
  });
  const ours = await renderRegistry(collecting, 'prometheus', { cachedLabelText: true });
  assert.equal(collected, 1, 'its collect function ran for the render');
  assert.match(ours, /^collected_seconds_count 1$/m);
  assert.equal(ours, await collecting.metrics());
});

/** 200 histograms of 20 series each: a render long enough to be sliced many times over. */
function largeRegistry(): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (let family = 0; family < 200; family += 1) {
    const histogram = new Histogram({ name: `family_${family}_seconds`, help: 'Load', labelNames: ['route'], registers: [registry] });
    for (let route = 0; route < 20; route += 1) histogram.observe({ route: `/r${route}` }, route / 20);
  }
  return registry;
}

/** Renders while another callback runs on every turn of the loop, each holding it for `busyMs`; counts those that ran during the render. */
async function renderBeside(registry: Registry<RegistryContentType>, busyMs: number, yieldingMs: number): Promise<{ text: string; turns: number }> {
  // Once before, so the measured render is not the one that compiles prom-client's formatting.
  await renderRegistry(registry, 'prometheus');
  const turns: number[] = [];
  let rendering = true;
  const tick = (): void => {
    turns.push(performance.now());
    const until = performance.now() + busyMs;
    while (performance.now() < until);
    if (rendering) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const text = await renderRegistry(registry, 'prometheus', { yieldingMs });
  const finished = performance.now();
  rendering = false;
  return { text, turns: turns.filter((at) => at > started && at < finished).length };
}

test('a large registry is rendered in slices: the event loop runs other work during the render', async () => {
  const { text, turns } = await renderBeside(largeRegistry(), 0, Number.POSITIVE_INFINITY);
  assert.equal(text.match(/_bucket\{/g)?.length, 200 * 20 * 12, 'every series is there');
  assert.ok(turns >= 3, `other callbacks ran ${turns} times during the render`);
});

test('on a saturated loop a render stops giving turns away after its first few milliseconds, so the scrape still ends', async () => {
  // Every turn given away costs 5 ms here, as a batch of requests would on a saturated service.
  const { text, turns } = await renderBeside(largeRegistry(), 5, 10);
  assert.equal(text.match(/_bucket\{/g)?.length, 200 * 20 * 12);
  // Each turn given away costs 5 ms, so within the first 10 ms of the render there is room for two at most, three with rounding.
  assert.ok(turns <= 3, `the render gave ${turns} turns away`);
});
