import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpJson, startAuth, startOtlpReceiver, startService, type OtlpReceiver, type StartedAuth, type ReceivedSpan, type StartedService } from '@cinemetrics/testing';
import { eventually, getMovie, sampleSum, scrape, servedOn } from './support.js';
import { replies, startScriptedServer, type ScriptedServer } from '@cinemetrics/testing';
const { delayed, status } = replies;

/**
 * Retries, deadlines and the metadata cache, seen from outside a real movie process.
 *
 * - "real": movie in front of real metadata and rating processes: what they really answer (404) and
 *   really do (freeze under SIGSTOP), counted from their own metrics.
 * - "scripted": movie in front of in-test servers, for what no real service does on cue: 503 then 200,
 *   a 400, Retry-After, a slow answer that reports the budget it was given. Movie exports its traces
 *   to an OTLP receiver, to see the attempts under one call.
 */

const MARGIN_MS = 400;
const quiet = { MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, LOG_FORMAT: 'json' };

const record = (id: string) => ({ id, title: `Title of ${id}`, year: 2000, description: '', director: 'Someone', actors: [] });

let auth: StartedAuth;
let metadata: StartedService;
let rating: StartedService;
let realMovie: StartedService;
let scriptedMetadata: ScriptedServer;
let scriptedRating: ScriptedServer;
let scriptedMovie: StartedService;
let otlp: OtlpReceiver;

/** Scripted metadata answers the record for any id unless scripted otherwise; rating has no ratings. */
function resetScripts(): void {
  for (const server of [scriptedMetadata, scriptedRating]) {
    server.seen.length = 0;
    server.script();
  }
  scriptedMetadata.fallback = (request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(record(decodeURIComponent(request.url.split('/').pop() ?? ''))));
  };
  scriptedRating.fallback = status(404, { status: 404 });
}

before(async () => {
  auth = await startAuth({ env: quiet });
  [metadata, rating, scriptedMetadata, scriptedRating, otlp] = await Promise.all([
    startService('metadata', { env: { ...quiet, ...auth.env } }),
    startService('rating', { env: { ...quiet, ...auth.env } }),
    startScriptedServer(),
    startScriptedServer(),
    startOtlpReceiver(),
  ]);
  resetScripts();
  [realMovie, scriptedMovie] = await Promise.all([
    startService('movie', { env: { ...quiet, METADATA_URL: metadata.url, RATING_URL: rating.url } }),
    startService('movie', {
      env: {
        ...quiet,
        METADATA_URL: scriptedMetadata.url,
        RATING_URL: scriptedRating.url,
        REQUEST_DEADLINE_MS: '2500',
        // Low enough for the deadline tests' 80 ms caller budgets (the default floor is above that).
        REQUEST_DEADLINE_FLOOR_MS: '50',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    }),
  ]);
  const admin = await auth.identities.adminHeaders();
  for (const id of ['heat-1995', 'alien-1979']) assert.equal((await httpJson('PUT', `${metadata.url}/metadata/${id}`, record(id), admin)).status, 201);
});

after(async () => {
  rating?.signal('SIGCONT');
  await Promise.all([realMovie, scriptedMovie, metadata, rating, auth?.service].filter(Boolean).map((service) => service.stop('SIGTERM', 5_000)));
  await Promise.all([scriptedMetadata?.close(), scriptedRating?.close(), otlp?.close()]);
});

const seenFor = (server: ScriptedServer, id: string) => server.seen.filter((request) => request.url.endsWith(`/${id}`));

describe('retries', () => {
  test('metadata answering 503 then 200: retried, the caller sees 200, one retry counted', async () => {
    resetScripts();
    const retriesBefore = sampleSum(await scrape(scriptedMovie), 'http_client_retries_total', { peer_service: 'metadata' });
    scriptedMetadata.script(status(503, { status: 503 }));
    const { response } = await getMovie(scriptedMovie, 'retried-1');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, { metadata: record('retried-1'), rating: null, degraded: [] });
    assert.equal(seenFor(scriptedMetadata, 'retried-1').length, 2, 'one retry reached metadata');
    assert.equal(sampleSum(await scrape(scriptedMovie), 'http_client_retries_total', { peer_service: 'metadata' }) - retriesBefore, 1);
  });

  test('the retried call is one span with its attempts beneath it, in the request’s trace', async () => {
    let call: ReceivedSpan | undefined;
    await eventually(
      'the Downstream/metadata span of retried-1 and its attempts',
      () => {
        call = otlp.spans().find((span) => span.name === 'Downstream/metadata GET' && span.attributes['url.path'] === '/metadata/retried-1');
        return call !== undefined && otlp.spans().filter((span) => span.parentSpanId === call?.spanId).length === 2;
      },
      5_000,
    );
    assert.ok(call);
    const spans = otlp.spans().filter((span) => span.traceId === call?.traceId);
    const attempts = spans.filter((span) => span.parentSpanId === call?.spanId);
    assert.deepEqual(
      attempts.map((span) => [span.kind, span.scope, span.attributes['http.response.status_code'], span.attributes['http.request.resend_count']]).sort(),
      [
        ['CLIENT', '@cinemetrics/kit', 200, 1],
        ['CLIENT', '@cinemetrics/kit', 503, undefined],
      ],
    );
    assert.equal(call.kind, 'INTERNAL');
    assert.equal(call.attributes['cinemetrics.downstream.attempts'], 2);
    assert.equal(call.attributes['peer.service'], 'metadata');
    assert.equal(call.attributes['http.response.status_code'], 200);
    assert.equal(call.attributes['cinemetrics.circuit_breaker.state'], 'closed');
    assert.deepEqual(call.events.map((event) => event.name), ['retry']);
    // The call sits in the cache lookup (a miss), under the movie's server span.
    const parent = spans.find((span) => span.spanId === call?.parentSpanId);
    assert.equal(parent?.name, 'Cache/metadata Get');
    assert.equal(parent?.attributes['cinemetrics.cache.hit'], false);
    let root: ReceivedSpan | undefined = parent;
    while (root?.parentSpanId !== undefined) root = spans.find((span) => span.spanId === root?.parentSpanId);
    assert.equal(root?.kind, 'SERVER');
    assert.equal(root?.resource['service.name'], 'movie');
  });

  test('400 from metadata is never retried: one request, movie answers 503', async () => {
    resetScripts();
    scriptedMetadata.fallback = status(400, { status: 400 });
    const { response } = await getMovie(scriptedMovie, 'bad-request-1');
    assert.equal(response.status, 503);
    assert.equal(seenFor(scriptedMetadata, 'bad-request-1').length, 1);
  });

  test('404s are never retried: each reaches the real downstream exactly once', async () => {
    const [metadataBefore, ratingBefore] = await Promise.all([servedOn(metadata, '/metadata/:id'), servedOn(rating, '/ratings/:recordType/:recordId')]);
    // Unknown movie: metadata 404 → movie 404. Known but unrated movie: rating 404 → rating null.
    const unknown = await getMovie(realMovie, 'no-such-movie');
    assert.equal(unknown.response.status, 404);
    const unrated = await getMovie(realMovie, 'alien-1979');
    assert.deepEqual(unrated.response.body, { metadata: record('alien-1979'), rating: null, degraded: [] });
    assert.equal((await servedOn(metadata, '/metadata/:id')) - metadataBefore, 2, 'metadata: one request per movie request');
    assert.equal((await servedOn(rating, '/ratings/:recordType/:recordId')) - ratingBefore, 2, 'rating: one request per movie request');
    assert.equal(sampleSum(await scrape(realMovie), 'http_client_retries_total'), 0);
  });

  test('Retry-After is honoured within the budget, and not when the budget is shorter', async () => {
    resetScripts();
    scriptedMetadata.script(status(503, { status: 503 }, { 'retry-after': '1' }));
    const waited = await getMovie(scriptedMovie, 'retry-after-1');
    assert.equal(waited.response.status, 200);
    const [first, second] = seenFor(scriptedMetadata, 'retry-after-1');
    assert.ok(first && second, 'retried');
    assert.ok(second.at - first.at >= 990, `retried after ${Math.round(second.at - first.at)} ms`);

    // The caller allows 600 ms: waiting a second is not an option, so the 503 stands and comes at once.
    scriptedMetadata.script(status(503, { status: 503 }, { 'retry-after': '1' }));
    const short = await getMovie(scriptedMovie, 'retry-after-2', { 'x-timeout-ms': '600' });
    assert.equal(short.response.status, 503);
    assert.equal(seenFor(scriptedMetadata, 'retry-after-2').length, 1);
    assert.ok(short.ms < 500, `answered after ${Math.round(short.ms)} ms`);
  });
});

describe('deadline', () => {
  test('a slow rating is cut at the caller’s budget, which travels downstream as x-timeout-ms', async () => {
    resetScripts();
    scriptedRating.fallback = delayed(3_000, status(200, { recordType: 'movie', recordId: 'x', average: 3, count: 1 }));
    const { response, ms } = await getMovie(scriptedMovie, 'slow-1', { 'x-timeout-ms': '80' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual((response.body as { degraded: string[] }).degraded, ['rating']);
    assert.ok(ms < 80 + MARGIN_MS, `answered after ${Math.round(ms)} ms with an 80 ms budget`);
    const budgets = [...seenFor(scriptedRating, 'slow-1'), ...seenFor(scriptedMetadata, 'slow-1')].map((request) =>
      Number(request.headers['x-timeout-ms']),
    );
    assert.ok(budgets.length >= 2);
    assert.ok(budgets.every((budget) => budget > 0 && budget <= 80), `downstreams were given ${budgets.join(', ')} ms`);
  });

  test('without a caller budget the service’s own deadline applies and is passed on', async () => {
    resetScripts();
    await getMovie(scriptedMovie, 'budget-1');
    const [sent] = seenFor(scriptedMetadata, 'budget-1');
    // DOWNSTREAM_TIMEOUT_MS (1000) is below REQUEST_DEADLINE_MS (2500): the attempt's own timeout is sent.
    assert.equal(sent?.headers['x-timeout-ms'], '1000');
  });

  test('a frozen real rating is cut at the deadline: 200 degraded, no later than the budget', async () => {
    rating.signal('SIGSTOP');
    try {
      const { response, ms } = await getMovie(realMovie, 'heat-1995', { 'x-timeout-ms': '300' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual((response.body as { degraded: string[] }).degraded, ['rating']);
      assert.ok(ms >= 250 && ms < 300 + MARGIN_MS, `answered after ${Math.round(ms)} ms with a 300 ms budget`);
    } finally {
      rating.signal('SIGCONT');
    }
  });
});

describe('metadata cache', () => {
  test('a second lookup is served from the cache: metadata sees one request, the hit is counted', async () => {
    // Whatever earlier tests did, both records are in the cache after these.
    await getMovie(realMovie, 'heat-1995');
    await getMovie(realMovie, 'alien-1979');
    const text = await scrape(realMovie);
    const hits = sampleSum(text, 'cache_requests_total', { cache: 'metadata', result: 'hit' });
    const misses = sampleSum(text, 'cache_requests_total', { cache: 'metadata', result: 'miss' });
    const served = await servedOn(metadata, '/metadata/:id');
    await getMovie(realMovie, 'heat-1995');
    await getMovie(realMovie, 'heat-1995');
    await getMovie(realMovie, 'alien-1979');
    const after = await scrape(realMovie);
    assert.equal(sampleSum(after, 'cache_requests_total', { cache: 'metadata', result: 'hit' }) - hits, 3);
    assert.equal(sampleSum(after, 'cache_requests_total', { cache: 'metadata', result: 'miss' }) - misses, 0);
    assert.equal(await servedOn(metadata, '/metadata/:id'), served, 'cache hits never reached metadata');
  });

  test('hits are visible on the lookup span', async () => {
    resetScripts();
    await getMovie(scriptedMovie, 'cached-1');
    await getMovie(scriptedMovie, 'cached-1');
    assert.equal(seenFor(scriptedMetadata, 'cached-1').length, 1);
    await eventually(
      'two Cache/metadata spans for cached-1',
      () => otlp.spans().filter((span) => span.name === 'Cache/metadata Get' && span.attributes['cinemetrics.cache.key'] === 'cached-1').length === 2,
      5_000,
    );
    const lookups = otlp.spans().filter((span) => span.name === 'Cache/metadata Get' && span.attributes['cinemetrics.cache.key'] === 'cached-1');
    assert.deepEqual(lookups.map((span) => span.attributes['cinemetrics.cache.hit']).sort(), [false, true]);
    const hit = lookups.find((span) => span.attributes['cinemetrics.cache.hit'] === true);
    assert.equal(otlp.spans().filter((span) => span.parentSpanId === hit?.spanId).length, 0, 'a hit calls nothing');
  });
});
