import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, startMariaDb, startService, waitUntil, type MariaDb, type StartedService } from '@cinemetrics/testing';

/**
 * Movie's readiness takes its downstreams' own readiness, not merely that they answer: metadata
 * answering while its database is down cannot serve a movie either. Rating stays non-critical.
 * Each downstream has its own MariaDB, so either can be taken away alone.
 */

interface Check {
  status: 'up' | 'down';
  critical: boolean;
  error?: string;
}

let metadataDb: MariaDb;
let ratingDb: MariaDb;
let metadata: StartedService;
let rating: StartedService;
let movie: StartedService;

async function readiness(service: StartedService): Promise<{ status: number; body: { status: string; checks: Record<string, Check> } }> {
  const response = await httpJson('GET', `${service.url}/.well-known/health`);
  return { status: response.status, body: response.body as { status: string; checks: Record<string, Check> } };
}

const readyAgain = () => waitUntil(async () => ((await readiness(movie)).status === 200 ? true : undefined), { timeoutMs: 20_000, what: 'movie ready again' });

before(async () => {
  // Each kept as soon as it runs, so `after` stops it even when the other failed to start.
  await Promise.all([startMariaDb().then((started) => (metadataDb = started)), startMariaDb().then((started) => (ratingDb = started))]);
  [metadata, rating] = await Promise.all([
    startService('metadata', { env: { MYSQL_URL: metadataDb.url, OTEL_SDK_DISABLED: 'true' } }),
    startService('rating', { env: { MYSQL_URL: ratingDb.url, OTEL_SDK_DISABLED: 'true' } }),
  ]);
  movie = await startService('movie', { env: { OTEL_SDK_DISABLED: 'true', METADATA_URL: metadata.url, RATING_URL: rating.url } });
});

after(async () => {
  await Promise.all([movie, metadata, rating].map((service) => service?.stop()));
  await Promise.all([metadataDb?.dispose(), ratingDb?.dispose()]);
});

test('metadata alive but its database stopped: movie reports metadata down, naming why, and is unready', async () => {
  // Ready once both downstreams report ready (on a busy machine a first check may still be pending).
  await readyAgain();
  await metadataDb.stop();
  try {
    assert.equal((await fetch(`${metadata.url}/.well-known/alive`)).status, 200, 'metadata still answers');
    assert.equal((await readiness(metadata)).status, 503);
    const report = await readiness(movie);
    assert.equal(report.status, 503);
    assert.equal(report.body.status, 'unavailable');
    assert.equal(report.body.checks['metadata']?.status, 'down');
    assert.equal(report.body.checks['metadata']?.critical, true);
    assert.match(report.body.checks['metadata']?.error ?? '', /status 503, unavailable \(down: database\)/);
    assert.equal(report.body.checks['rating']?.status, 'up');
  } finally {
    await metadataDb.start();
  }
  await readyAgain();
});

test('rating alive but its database stopped: movie reports rating down and stays ready (rating is not critical)', async () => {
  await ratingDb.stop();
  try {
    const report = await readiness(movie);
    assert.equal(report.status, 200);
    assert.equal(report.body.status, 'ok');
    assert.equal(report.body.checks['rating']?.status, 'down');
    assert.equal(report.body.checks['rating']?.critical, false);
    assert.match(report.body.checks['rating']?.error ?? '', /down: database/);
    assert.equal(report.body.checks['metadata']?.status, 'up');
  } finally {
    await ratingDb.start();
  }
  await readyAgain();
  assert.equal((await readiness(movie)).body.checks['rating']?.status, 'up');
});
