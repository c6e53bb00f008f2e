import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpJson, startAuth, startService, type StartedAuth, type StartedService } from '@cinemetrics/testing';
import { breakerState, eventually, getMovie, sampleSum, scrape, servedOn } from './support.js';

/**
 * The rating breaker of a real movie process in front of real metadata and rating processes. Rating
 * fails in two real ways: its fault injection answering 500 (so the calls that reach it can be counted
 * from its own metrics), and SIGSTOP (it accepts connections and answers nothing).
 */

const ADMIN_TOKEN = 'resilience-admin-token-0123456789';
const TIMEOUT_MS = 300;
const DEADLINE_MS = 700;
const MIN_CALLS = 5;
const PROBE_INTERVAL_MS = 2_000;
/** Timers, scheduling and a busy machine. */
const MARGIN_MS = 400;
/** An answer given without waiting for rating. */
const FAST_MS = 200;
const RATING_ROUTE = '/ratings/:recordType/:recordId';

const heat = { id: 'heat-1995', title: 'Heat', year: 1995, description: '', director: 'Michael Mann', actors: ['Al Pacino'] };
const quiet = { MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, LOG_FORMAT: 'json' };

let auth: StartedAuth;
let metadata: StartedService;
let rating: StartedService;
const movies: StartedService[] = [];

async function launchMovie(): Promise<StartedService> {
  const movie = await startService('movie', {
    env: {
      ...quiet,
      METADATA_URL: metadata.url,
      RATING_URL: rating.url,
      DOWNSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      DOWNSTREAM_BREAKER_MIN_CALLS: String(MIN_CALLS),
      DOWNSTREAM_BREAKER_FAILURE_RATIO: '0.5',
      DOWNSTREAM_BREAKER_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
      DOWNSTREAM_BREAKER_HALF_OPEN_CALLS: '1',
    },
  });
  movies.push(movie);
  return movie;
}

const faults = (method: string, body?: unknown) =>
  httpJson(method, `${rating.adminUrl}/admin/faults`, body, { authorization: `Bearer ${ADMIN_TOKEN}` });

/** The attempts movie sent to rating, from its own client metrics. */
async function attemptsToRating(movie: StartedService, labels: Record<string, string> = {}): Promise<number> {
  return sampleSum(await scrape(movie), 'http_client_request_duration_seconds_count', { peer_service: 'rating', ...labels });
}

function assertDegraded(response: { status: number; body: unknown }, ms: number, bound: number): void {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body, { metadata: heat, rating: null, degraded: ['rating'] });
  assert.ok(ms < bound, `answered in ${Math.round(ms)} ms, bound ${bound} ms`);
}

before(async () => {
  auth = await startAuth({ env: quiet });
  [metadata, rating] = await Promise.all([
    startService('metadata', { env: { ...quiet, ...auth.env } }),
    startService('rating', { env: { ...quiet, ...auth.env, ADMIN_TOKEN } }),
  ]);
  const [admin, alice] = await Promise.all([auth.identities.adminHeaders(), auth.identities.user('alice')]);
  assert.equal((await httpJson('PUT', `${metadata.url}/metadata/${heat.id}`, heat, admin)).status, 201);
  assert.equal((await httpJson('PUT', `${rating.url}/ratings/movie/${heat.id}`, { value: 4 }, alice.headers)).status, 201);
});

after(async () => {
  rating?.signal('SIGCONT');
  await Promise.all([...movies, metadata, rating, auth?.service].filter(Boolean).map((service) => service.stop('SIGTERM', 5_000)));
});

test('rating failing: breaker opens after the configured failures, nothing reaches rating while open, it closes by itself', async () => {
  const movie = await launchMovie();
  assert.equal(await breakerState(movie, 'rating'), 'closed');
  assert.equal((await faults('PUT', { rules: [{ route: '*', errorRate: 1 }] })).status, 200);
  try {
    const servedBefore = await servedOn(rating, RATING_ROUTE);

    // 500 is not retried: one attempt per request. Below the minimum number of calls it stays closed.
    for (let i = 1; i < MIN_CALLS; i += 1) {
      const { response, ms } = await getMovie(movie, heat.id);
      assertDegraded(response, ms, DEADLINE_MS + MARGIN_MS);
      assert.equal(await breakerState(movie, 'rating'), 'closed', `open after ${i} failures`);
    }
    const { response, ms } = await getMovie(movie, heat.id);
    assertDegraded(response, ms, DEADLINE_MS + MARGIN_MS);
    assert.equal(await breakerState(movie, 'rating'), 'open', `still closed after ${MIN_CALLS} failures out of ${MIN_CALLS}`);
    const openedAt = performance.now();
    const servedAtOpen = await servedOn(rating, RATING_ROUTE);
    assert.equal(servedAtOpen - servedBefore, MIN_CALLS, 'each failed call reached rating once');
    const attemptsAtOpen = await attemptsToRating(movie);

    // Open: degraded answers at once, and rating sees nothing (its own count), nor does movie send anything.
    for (let i = 0; i < 10; i += 1) {
      const fast = await getMovie(movie, heat.id);
      assertDegraded(fast.response, fast.ms, FAST_MS);
    }
    assert.ok(performance.now() - openedAt < PROBE_INTERVAL_MS - 200, 'the open-period checks ran into the first probe: machine too slow');
    assert.equal(await breakerState(movie, 'rating'), 'open');
    assert.equal(await servedOn(rating, RATING_ROUTE), servedAtOpen, 'calls reached rating while the breaker was open');
    assert.equal(await attemptsToRating(movie), attemptsAtOpen);
  } finally {
    assert.equal((await faults('DELETE')).status, 204);
  }

  // Rating is back: the next probe of /.well-known/alive half-opens it, the first call (the trial) closes it.
  await eventually('half-open after a probe', async () => (await breakerState(movie, 'rating')) === 'half_open', PROBE_INTERVAL_MS + MARGIN_MS * 2);
  const back = await getMovie(movie, heat.id);
  assert.deepEqual(back.response.body, { metadata: heat, rating: { average: 4, count: 1 }, degraded: [] });
  assert.equal(await breakerState(movie, 'rating'), 'closed');
});

test('rating frozen: 200 degraded within the deadline; once open, answers are immediate; it closes after rating thaws', async () => {
  const movie = await launchMovie();
  rating.signal('SIGSTOP');
  const timings: number[] = [];
  let openedAfter: number | undefined;
  try {
    for (let i = 1; i <= 6; i += 1) {
      const { response, ms } = await getMovie(movie, heat.id);
      assertDegraded(response, ms, DEADLINE_MS + MARGIN_MS);
      timings.push(ms);
      if (openedAfter !== undefined) assert.ok(ms < FAST_MS, `answers: ${timings.map(Math.round).join(', ')} ms; open after request ${openedAfter}`);
      else if ((await breakerState(movie, 'rating')) === 'open') openedAfter = i;
    }
    // The first call waited for rating: a timed-out attempt, a retry, cut at the deadline...
    assert.ok((timings[0] ?? 0) >= 2 * TIMEOUT_MS - 50, `first answer after ${Math.round(timings[0] ?? 0)} ms: rating was not waited for`);
    // ...each call made at least two attempts, so the fifth timed-out attempt came by the third call...
    assert.ok(openedAfter !== undefined && openedAfter <= 3, `open after request ${String(openedAfter)}`);
    assert.equal(await attemptsToRating(movie, { error_type: 'timeout' }), MIN_CALLS);
    // ...and from then on nothing was sent and nobody waited (checked in the loop).
    assert.equal(await attemptsToRating(movie), MIN_CALLS, 'nothing was sent after it opened');

    const health = await httpJson('GET', `${movie.url}/.well-known/health`);
    assert.equal(health.status, 200, 'rating is not critical: movie stays ready');
    assert.equal((health.body as { checks: Record<string, { status: string }> }).checks['rating']?.status, 'down');
  } finally {
    rating.signal('SIGCONT');
  }
  await eventually('half-open after rating thawed', async () => (await breakerState(movie, 'rating')) === 'half_open', PROBE_INTERVAL_MS + MARGIN_MS * 2);
  const back = await getMovie(movie, heat.id);
  assert.deepEqual(back.response.body, { metadata: heat, rating: { average: 4, count: 1 }, degraded: [] });
  assert.equal(await breakerState(movie, 'rating'), 'closed');
});

test('every transition is logged once, with a constant message and the peer as a field', async () => {
  const [first] = movies;
  assert.ok(first, 'the first test started a movie');
  // Stopping flushes the log buffer, so every line is there to read.
  await first.stop('SIGTERM', 5_000);
  const transitions = first
    .jsonLines()
    .filter((line) => line['msg'] === 'circuit breaker state changed')
    .map((line) => [line['peer_service'], line['from'], line['to'], line['level']]);
  assert.deepEqual(transitions, [
    ['rating', 'closed', 'open', 'warn'],
    ['rating', 'open', 'half_open', 'info'],
    ['rating', 'half_open', 'closed', 'info'],
  ]);
  const opened = first.jsonLines().find((line) => line['msg'] === 'circuit breaker state changed' && line['to'] === 'open');
  assert.equal(opened?.['reason'], 'status 500');
  assert.equal(opened?.['component'], 'downstream');
});
