import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpJson, parseSamples, startMariaDb, sumOf, type RunningProcess } from '@cinemetrics/testing';
import { Dataset } from '../src/dataset.js';
import { DEMO_DATASET } from '../src/start.js';
import { eventually, freePortBase, interrupt, isAlive, npmStart, READY_LINE, servicePids, STOP_TIMEOUT_MS } from './support/npm-start.js';

const MOVIE_ID = new Dataset(DEMO_DATASET).movie(0).id;
const DEMO_RATINGS_OF_MOVIE = [...new Dataset(DEMO_DATASET).ratings()].filter((r) => r.recordId === MOVIE_ID).length;

interface MovieBody {
  rating: { count: number } | null;
  degraded: string[];
}

async function scrapeMovie(base: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${base + 13}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

function breakerIs(exposition: string, state: string): boolean {
  return sumOf(parseSamples(exposition), 'circuit_breaker_state', { peer_service: 'rating', state }) === 1;
}

/** Outbound attempts from movie to rating (one histogram observation per attempt). */
function attemptsToRating(exposition: string): number {
  return sumOf(parseSamples(exposition), 'http_client_request_duration_seconds_count', { peer_service: 'rating' });
}

function restartLines(proc: RunningProcess): string[] {
  return proc.lines().filter((line) => /^\[start\]\s+(\w+ .* unexpectedly$|restarting \w+ in|\w+ restarted, pid)/.test(line));
}

test('kill -9 rating: movie keeps answering degraded and fails fast while its breaker is open; rating is restarted and the breaker closes', async () => {
  const db = await startMariaDb();
  const base = await freePortBase();
  const proc = await npmStart({
    CINEMETRICS_PORT_BASE: String(base),
    MYSQL_URL: db.url,
    LOG_LEVEL: 'warn',
    // A slower probe keeps the breaker open long enough to look at it after rating is back.
    DOWNSTREAM_BREAKER_PROBE_INTERVAL_MS: '5000',
    // The first failed call opens it, well before the supervisor's restart could answer one in full.
    DOWNSTREAM_BREAKER_MIN_CALLS: '1',
  });
  const movieUrl = `http://127.0.0.1:${base + 3}/movies/${MOVIE_ID}`;
  try {
    await proc.waitForLine(READY_LINE, 120_000);
    const before = servicePids(proc);
    const ratingPid = before.get('rating');
    assert.ok(ratingPid);
    process.kill(ratingPid, 'SIGKILL');
    await proc.waitForLine((line) => line.includes('rating was killed by SIGKILL unexpectedly'));

    for (let i = 0; !breakerIs(await scrapeMovie(base), 'open'); i += 1) {
      assert.ok(i < 20, 'the breaker for rating never opened');
      const response = await httpJson('GET', movieUrl);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual((response.body as MovieBody).degraded, ['rating']);
    }
    const openedAt = await scrapeMovie(base);
    for (let i = 0; i < 5; i += 1) {
      const response = await httpJson('GET', movieUrl);
      assert.equal(response.status, 200);
      const body = response.body as MovieBody;
      assert.equal(body.rating, null);
      assert.deepEqual(body.degraded, ['rating']);
    }
    const stillOpen = await scrapeMovie(base);
    assert.ok(breakerIs(stillOpen, 'open'), 'still open');
    assert.equal(attemptsToRating(stillOpen), attemptsToRating(openedAt), 'no attempt reached for rating while its breaker was open');

    await proc.waitForLine((line) => line.includes('rating restarted, pid'), 30_000);
    const restartedPid = servicePids(proc).get('rating');
    assert.ok(restartedPid !== undefined && restartedPid !== ratingPid && isAlive(restartedPid));
    await eventually(
      'movie answering with rating again',
      async () => {
        const response = await httpJson('GET', movieUrl);
        return response.status === 200 && (response.body as MovieBody).degraded.length === 0;
      },
      30_000,
    );
    const healed = await httpJson('GET', movieUrl);
    assert.equal((healed.body as MovieBody).rating?.count, DEMO_RATINGS_OF_MOVIE, 'rating kept its data in MySQL');
    assert.ok(breakerIs(await scrapeMovie(base), 'closed'), 'the breaker closed again');
    for (const name of ['metadata', 'movie', 'auth']) {
      assert.equal(servicePids(proc).get(name), before.get(name), `${name} was never restarted`);
      assert.ok(isAlive(before.get(name) ?? 0), `${name} kept running`);
    }
    await interrupt(proc);
  } finally {
    await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    await db.dispose();
  }
});

test('the database dies during and after seeding: the services answer 503, recover by themselves when it is back, and the demo data is complete', async () => {
  const db = await startMariaDb();
  const base = await freePortBase();
  // Every write waits a little, so the seeding is still under way when the database is killed.
  const slowWrites = JSON.stringify({ rules: [{ route: '*', method: 'PUT', latency: { fixedMs: 25 } }] });
  const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: db.url, LOG_LEVEL: 'warn', FAULTS: slowWrites });
  const metadataUrl = `http://127.0.0.1:${base + 1}/metadata/${MOVIE_ID}`;
  const ratingUrl = `http://127.0.0.1:${base + 2}/ratings/movie/${MOVIE_ID}`;
  const status = async (url: string): Promise<number> => (await httpJson('GET', url)).status;
  try {
    await proc.waitForLine((line) => line.includes('the database is empty: loading the demo data'), 120_000);
    await db.kill();
    // The first failure is a write or, when the database went first, a sign-in for one.
    await proc.waitForLine((line) => /demo data: (PUT|POST) .* gave (status 503|no answer); retrying while the services recover/.test(line), 30_000);
    assert.equal(await status(`http://127.0.0.1:${base + 1}/.well-known/health`), 503);
    assert.equal(await status(`http://127.0.0.1:${base + 2}/.well-known/health`), 503);
    assert.equal(await status(ratingUrl), 503);
    assert.ok(!proc.lines().some(READY_LINE), 'not ready while the seed cannot finish');

    await db.start();
    await proc.waitForLine(READY_LINE, 90_000);
    assert.ok(proc.lines().some((line) => line.includes('loaded demo data into the empty database')), proc.lines().slice(-30).join('\n'));
    assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM metadata.movies'), [{ n: DEMO_DATASET.movies }]);
    assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM rating.ratings'), [{ n: DEMO_DATASET.ratings }]);

    await db.kill();
    await eventually('metadata answering 503', async () => (await status(metadataUrl)) === 503, 10_000);
    assert.equal(await status(ratingUrl), 503);
    await db.start();
    await eventually('metadata and rating answering 200 again', async () => (await status(metadataUrl)) === 200 && (await status(ratingUrl)) === 200, 30_000);
    const movie = await httpJson('GET', `http://127.0.0.1:${base + 3}/movies/${MOVIE_ID}`);
    assert.equal(movie.status, 200);
    assert.equal((movie.body as MovieBody).rating?.count, DEMO_RATINGS_OF_MOVIE);
    assert.deepEqual(restartLines(proc), [], 'no service was restarted');
    await interrupt(proc);
  } finally {
    await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
    await db.dispose();
  }
});
