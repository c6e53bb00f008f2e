import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { httpJson, startAuth, startScriptedServer, startService, type ScriptedServer, type StartedAuth, type StartedService } from '@cinemetrics/testing';
import { getMovie, sampleSum, scrape } from './support.js';

/**
 * OAuth 2.0 client credentials from a real movie process to a real rating process, with tokens from a
 * real auth service (AUTH_CLIENT_SECRET): movie fetches one token, caches it until shortly before it
 * expires, and after a 401 fetches a new one and repeats the call once. Token fetches are counted from
 * auth's own metrics, 401s from rating's. Metadata is an in-test server called without a token, so
 * only the rating calls use the client.
 */

/** The shortest lifetime auth gives; movie refreshes a tenth of it before the end. */
const TOKEN_TTL_S = 60;
const REFRESH_MARGIN_S = TOKEN_TTL_S / 10;
const quiet = { MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, LOG_FORMAT: 'json' };
const CLIENT_ID = 'movie';
const CLIENT_SECRET = 'movie-client-secret-for-tests';

let auth: StartedAuth;
let rating: StartedService;
let metadataServer: ScriptedServer;
let movie: StartedService;
let firstCallStarted = 0;
let firstCallEnded = 0;

const record = (id: string) => ({ id, title: id, year: 2000, description: '', director: 'Someone', actors: [] });

async function launchAuth(ports: Record<string, string> = {}): Promise<StartedAuth> {
  const started = await startAuth({ env: { ...quiet, ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_TTL_S), ...ports } });
  const created = await httpJson('POST', `${started.service.adminUrl}/admin/clients`, { clientId: CLIENT_ID, secret: CLIENT_SECRET, roles: ['service'] }, { authorization: `Bearer ${started.adminToken}` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return started;
}

async function launchRating(ports: Record<string, string> = {}): Promise<StartedService> {
  return startService('rating', { env: { ...quiet, ...auth.env, ...ports } });
}

/** `POST /oauth/token` requests this auth process has served. */
async function tokenFetches(): Promise<number> {
  return sampleSum(await scrape(auth.service), 'http_server_request_duration_seconds_count', { http_route: '/oauth/token' });
}

/** Rating's answers with `status`; a refused token is answered before routing, so any route counts. */
async function ratingAnswers(status: number): Promise<number> {
  return sampleSum(await scrape(rating), 'http_server_request_duration_seconds_count', { http_response_status_code: String(status) });
}

before(async () => {
  auth = await launchAuth();
  [rating, metadataServer] = await Promise.all([launchRating(), startScriptedServer()]);
  metadataServer.fallback = (request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(record(request.url.split('/').pop() ?? '')));
  };
  movie = await startService('movie', {
    env: {
      ...quiet,
      ...auth.env,
      METADATA_URL: metadataServer.url,
      METADATA_AUTH: 'none',
      RATING_URL: rating.url,
      AUTH_CLIENT_SECRET: CLIENT_SECRET,
      // Tokens are the subject here, not deadlines: twenty first calls at once on a busy machine must
      // not be cut short (and degraded) by movie's default deadline and per-attempt timeout.
      REQUEST_DEADLINE_MS: '10000',
      DOWNSTREAM_TIMEOUT_MS: '10000',
    },
  });
});

after(async () => {
  await Promise.all([movie, rating, auth?.service].filter(Boolean).map((service) => service.stop('SIGTERM', 5_000)));
  await metadataServer?.close();
});

function assertServedWithRating(response: { status: number; body: unknown }, id: string): void {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body, { metadata: record(id), rating: null, degraded: [] }, 'rating answered (404: no ratings yet), not degraded');
}

test('one token fetch serves many concurrent and later calls, and rating accepts it', async () => {
  firstCallStarted = performance.now();
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => ({ ...(await getMovie(movie, `concurrent-${i}`)), at: performance.now() })));
  // The token was fetched before any call that used it ended: the first answer closes the window.
  firstCallEnded = Math.min(...answers.map(({ at }) => at));
  answers.forEach(({ response }, i) => assertServedWithRating(response, `concurrent-${i}`));
  for (let i = 0; i < 10; i += 1) assertServedWithRating((await getMovie(movie, `sequential-${i}`)).response, `sequential-${i}`);
  assert.equal(await tokenFetches(), 1, 'one token request for 30 calls');
  assert.equal(await ratingAnswers(404), 30, 'every call reached rating with an accepted token');
  assert.equal(await ratingAnswers(401), 0);
});

test('the token is replaced shortly before it expires, not after', async () => {
  // Past movie's refresh point (fetched between the two marks) yet before auth's expiry.
  const refreshBy = firstCallEnded + (TOKEN_TTL_S - REFRESH_MARGIN_S + 1) * 1000;
  const expiresAfter = firstCallStarted + TOKEN_TTL_S * 1000;
  assert.ok(refreshBy < expiresAfter - 1000, 'the first calls took too long to place a call between refresh and expiry: machine too slow');
  await delay(Math.max(0, refreshBy - performance.now()));
  assert.equal(await tokenFetches(), 1, 'no fetch while idle');
  assertServedWithRating((await getMovie(movie, 'before-expiry')).response, 'before-expiry');
  assert.ok(performance.now() < expiresAfter, 'the call came after the expiry: machine too slow');
  assert.equal(await tokenFetches(), 2, 'a new token, while the old one was still valid');
  assert.equal(await ratingAnswers(401), 0, 'rating never saw an expired token');
});

test('a 401 from rating makes movie fetch a new token and repeat the call once', async () => {
  // In-memory auth forgets its keys: restarted, it signs with a new key. A restarted rating knows only
  // that one, so movie's cached token (old key) is refused once.
  const ports = (service: StartedService) => ({ PORT: String(service.port), ADMIN_PORT: String(service.adminPort) });
  const [authPorts, ratingPorts] = [ports(auth.service), ports(rating)];
  await Promise.all([auth.service.stop('SIGTERM', 5_000), rating.stop('SIGTERM', 5_000)]);
  auth = await launchAuth({ ...authPorts, ADMIN_TOKEN: auth.adminToken });
  rating = await launchRating(ratingPorts);

  assertServedWithRating((await getMovie(movie, 'after-restart')).response, 'after-restart');
  assert.equal(await ratingAnswers(401), 1, 'the old token was refused once');
  assert.equal(await ratingAnswers(404), 1, 'the repeated call with the new token was served');
  assert.equal(await tokenFetches(), 1, 'one new token');
  assertServedWithRating((await getMovie(movie, 'later')).response, 'later');
  assert.equal(await tokenFetches(), 1, 'the new token is cached');
  assert.equal(await ratingAnswers(401), 1);
});
