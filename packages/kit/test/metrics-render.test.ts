import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';
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
});

test('Prometheus text: every counter ends in _total, no exemplars, and the registry keeps its own content type afterwards', async () => {
  const registry = sampleRegistry(Registry.OPENMETRICS_CONTENT_TYPE, '');
  const ours = await renderRegistry(registry, 'prometheus');
  const expected = await sampleRegistry(Registry.PROMETHEUS_CONTENT_TYPE, '_total').metrics();
  assert.equal(ours, expected);
  assert.match(ours, /^jobs_total\{kind="a"\} 3$/m);
  assert.doesNotMatch(ours, /# \{trace_id/);
  assert.deepEqual(namesOf(registry), REGISTERED);
  assert.equal(registry.contentType, Registry.OPENMETRICS_CONTENT_TYPE);
});

test('a large registry is rendered in slices: the event loop runs other work during the render', async () => {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (let family = 0; family < 40; family += 1) {
    const histogram = new Histogram({ name: `family_${family}_seconds`, help: 'Load', labelNames: ['route'], registers: [registry] });
    for (let route = 0; route < 100; route += 1) histogram.observe({ route: `/r${route}` }, route / 100);
  }
  const turns: number[] = [];
  let rendering = true;
  const tick = (): void => {
    turns.push(performance.now());
    if (rendering) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const text = await renderRegistry(registry, 'prometheus');
  const took = performance.now() - started;
  rendering = false;
  assert.equal(text.match(/_bucket\{/g)?.length, 40 * 100 * 12, 'every series is there');
  const during = turns.filter((at) => at > started && at < started + took);
  assert.ok(during.length >= 3, `other callbacks ran ${during.length} times during a ${took.toFixed(1)} ms render`);
});
