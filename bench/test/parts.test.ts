import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Slo, SloDefinitions } from '@cinemetrics/slo';
import { alertSelector, firingTest, firstFiringStep, outageSeries, type OutageScenario } from '../src/alert-search.js';
import { PLAN, schedule } from '../src/bench-plan.js';
import { parseSamples, sumOf } from '@cinemetrics/testing';
import { roundOrder } from '../src/rounds.js';

test('each round starts one arm later, so every arm comes first once every n rounds', () => {
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
});

const EXPOSITION = [
  '# HELP otelcol_receiver_accepted_spans Number of spans.',
  '# TYPE otelcol_receiver_accepted_spans counter',
  'otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 520',
  'otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 30',
  'otelcol_receiver_accepted_spans_other 7',
  'nodejs_heap_size_used_bytes 1048576',
].join('\n');

test('an exposition is summed over the label sets of one metric, not over metrics sharing its prefix', () => {
  const samples = parseSamples(EXPOSITION);
  assert.equal(sumOf(samples, 'otelcol_receiver_accepted_spans'), 550);
  assert.equal(sumOf(samples, 'nodejs_heap_size_used_bytes'), 1048576);
  assert.equal(sumOf(samples, 'absent'), 0);
  assert.deepEqual(
    samples.filter((sample) => sample.name === 'nodejs_heap_size_used_bytes').map((sample) => [sample.labels, sample.value]),
    [[{}, 1048576]],
  );
});

test('the bounded search finds the first firing step with few probes, and says when nothing fires', async () => {
  const probes: number[] = [];
  const firesFrom = (first: number) => (step: number) => {
    probes.push(step);
    return Promise.resolve(step >= first);
  };
  assert.equal(await firstFiringStep(240, firesFrom(11)), 11);
  assert.ok(probes.length <= Math.ceil(Math.log2(240)) + 2, `${probes.length} probes`);
  assert.equal(await firstFiringStep(240, firesFrom(0)), 0);
  assert.equal(await firstFiringStep(240, firesFrom(240)), 240);
  assert.equal(await firstFiringStep(240, firesFrom(241)), undefined);
});

const SLI: SloDefinitions['sli'] = { metric: 'http_server_request_duration_seconds', excludedRoutes: '', errorStatus: '5..', notErrorStatus: '501' };
const slo = (sli: Slo['sli']): Slo => ({ name: `movie-${sli}`, service: 'movie', sli, objective: 99, window: '30d', threshold: 0.25, description: '' });
const scenario = (sli: Slo['sli']): OutageScenario => ({ slo: slo(sli), sli: SLI, stepSeconds: 15, healthySteps: 4, outageSteps: 3, requestsPerSecond: 10 });

test('an availability outage: good answers stop growing and 503s grow from the first outage sample', () => {
  const [good, bad] = outageSeries(scenario('availability'));
  assert.match(good?.series ?? '', /_count\{.*http_response_status_code="200"\}/);
  assert.equal(good?.values, '0+150x4 600x2');
  assert.match(bad?.series ?? '', /http_response_status_code="503"/);
  assert.equal(bad?.values, '0x4 150+150x2');
});

test('a latency outage: the count grows on, the threshold bucket stops', () => {
  const [count, threshold] = outageSeries(scenario('latency'));
  assert.equal(count?.values, '0+150x4 750+150x2');
  assert.match(threshold?.series ?? '', /le="0.25"/);
  assert.equal(threshold?.values, '0+150x4 600x2');
});

test('the probe asks for the alert n steps after the outage first shows', () => {
  const text = firingTest(scenario('availability'), '/rules.yml', alertSelector(slo('availability')), 2);
  // Healthy samples at steps 0-4, the outage from step 5; two steps later is step 7: 105 s.
  assert.match(text, /eval_time: 105s/);
  assert.match(text, /count\(ALERTS\{alertstate="firing",severity="page",slo="movie-availability"\}\)/);
  assert.match(text, /interval: 15s/);
});

test('npm run bench shares its bound by weight, bounds the benches that take --minutes, and refuses unknown names', () => {
  const all = schedule(60);
  assert.equal(all.length, PLAN.length);
  assert.ok(all.reduce((sum, bench) => sum + bench.seconds, 0) <= 3600);
  const fanout = all.find((bench) => bench.name === 'fanout');
  assert.deepEqual(fanout?.args.slice(-2), ['--minutes', String(Math.floor((fanout?.seconds ?? 0) / 60))]);
  assert.deepEqual(schedule(10, ['scrape']).map((bench) => bench.seconds), [600]);
  assert.throws(() => schedule(10, ['nope']), /--only: no bench named nope/);
});
