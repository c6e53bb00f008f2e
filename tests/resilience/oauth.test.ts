import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startService, type StartedService } from '@cinemetrics/testing';
import { getMovie } from './support.js';
import { startScriptedServer, type ScriptedServer } from '@cinemetrics/testing';

/**
 * OAuth 2.0 client credentials from a real movie process: RATING_AUTH=oauth2 makes it fetch a token
 * and send it as a bearer token to rating.
 *
 * The token endpoint is a small in-test server: the auth service's `POST /oauth/token` does not exist
 * yet (design: auth issues client-credentials tokens). When it does, point RATING_TOKEN_URL at it.
 * Rating is in-test too, because the real one does not check tokens yet: this one accepts only the
 * tokens the token server says are valid, and answers 401 to the others.
 */

const LIFETIME_S = 4;
const quiet = { MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, LOG_FORMAT: 'json' };

let tokens: ScriptedServer;
let ratingServer: ScriptedServer;
let metadataServer: ScriptedServer;
let movie: StartedService;
const valid = new Set<string>();
const issuedAt: number[] = [];

const record = (id: string) => ({ id, title: id, year: 2000, description: '', director: 'Someone', actors: [] });

before(async () => {
  [tokens, ratingServer, metadataServer] = await Promise.all([startScriptedServer(), startScriptedServer(), startScriptedServer()]);
  tokens.fallback = (request, response) => {
    const form = new URLSearchParams(request.body);
    const basic = `Basic ${Buffer.from('movie:movie-secret').toString('base64')}`;
    if (request.url !== '/oauth/token' || form.get('grant_type') !== 'client_credentials' || request.headers['authorization'] !== basic) {
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    issuedAt.push(performance.now());
    const token = `token-${issuedAt.length}`;
    valid.add(token);
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: LIFETIME_S }));
  };
  ratingServer.fallback = (request, response) => {
    const token = /^Bearer (.+)$/.exec(request.headers['authorization'] ?? '')?.[1];
    if (token === undefined || !valid.has(token)) {
      response.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer error="invalid_token"' });
      response.end(JSON.stringify({ status: 401 }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ recordType: 'movie', recordId: 'x', average: 4, count: 2 }));
  };
  metadataServer.fallback = (request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(record(request.url.split('/').pop() ?? '')));
  };
  movie = await startService('movie', {
    env: {
      ...quiet,
      METADATA_URL: metadataServer.url,
      RATING_URL: ratingServer.url,
      RATING_AUTH: 'oauth2',
      RATING_TOKEN_URL: `${tokens.url}/oauth/token`,
      RATING_CLIENT_ID: 'movie',
      RATING_CLIENT_SECRET: 'movie-secret',
    },
  });
});

after(async () => {
  await movie?.stop('SIGTERM', 5_000);
  await Promise.all([tokens?.close(), ratingServer?.close(), metadataServer?.close()]);
});

const bearers = () => ratingServer.seen.map((request) => request.headers['authorization']);

test('one token fetch serves many concurrent and later calls', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => getMovie(movie, `concurrent-${i}`)));
  for (const { response } of answers) {
    assert.equal(response.status, 200);
    assert.deepEqual((response.body as { rating: unknown }).rating, { average: 4, count: 2 }, JSON.stringify(response.body));
  }
  for (let i = 0; i < 10; i += 1) assert.equal((await getMovie(movie, `sequential-${i}`)).response.status, 200);
  assert.equal(tokens.seen.length, 1, 'one token request for 30 calls');
  assert.equal(ratingServer.seen.length, 30);
  assert.deepEqual(new Set(bearers()), new Set(['Bearer token-1']));
  assert.ok(performance.now() - (issuedAt[0] ?? 0) < LIFETIME_S * 900, 'the calls above outlived the token: machine too slow');
});

test('an expired token is replaced before use', async () => {
  await delay(Math.max(0, (issuedAt[0] ?? 0) + LIFETIME_S * 1000 - performance.now()));
  ratingServer.seen.length = 0;
  assert.equal((await getMovie(movie, 'after-expiry')).response.status, 200);
  assert.equal(tokens.seen.length, 2);
  assert.deepEqual(bearers(), ['Bearer token-2']);
});

test('a 401 makes movie fetch a new token and repeat the call once', async () => {
  valid.delete('token-2');
  ratingServer.seen.length = 0;
  const { response } = await getMovie(movie, 'after-revocation');
  assert.deepEqual(response.body, { metadata: record('after-revocation'), rating: { average: 4, count: 2 }, degraded: [] });
  assert.equal(tokens.seen.length, 3);
  assert.deepEqual(bearers(), ['Bearer token-2', 'Bearer token-3']);
});
