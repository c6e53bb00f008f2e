import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson } from '@cinemetrics/testing';
import { startMovieStack, type MovieStack } from '../support/stack.js';

/** The book's integration flow, on MariaDB, through the public APIs of the three services. */
let stack: MovieStack;

before(async () => {
  stack = await startMovieStack({ METADATA_CACHE_TTL_MS: '1' });
  // Movie's first request fetches its token from auth and opens the first connections to metadata,
  // rating and their databases. On a loaded machine that can outlast a call's timeout, and movie then
  // answers degraded, as it should; the flow below starts warm. Metadata and rating are called in
  // parallel, so an unknown id warms both.
  await httpJson('GET', `${stack.movie.url}/movies/warm-up`);
});

after(async () => {
  await stack?.stop();
});

const json = { 'content-type': 'application/json' };

test('put metadata, read it, movie without rating, two ratings average 3, movie with rating 3', async () => {
  const metadata = { title: 'The Movie', year: 2001, description: 'A movie', director: 'Foo Bars', actors: ['Ann', 'Bob'] };
  const admin = await stack.identities.adminHeaders();
  assert.equal((await httpJson('PUT', `${stack.metadata.url}/metadata/the-movie`, metadata, json)).status, 401, 'writes need a token');
  assert.equal((await httpJson('PUT', `${stack.metadata.url}/metadata/the-movie`, metadata, { ...json, ...admin })).status, 201);
  assert.deepEqual((await httpJson('GET', `${stack.metadata.url}/metadata/the-movie`)).body, { id: 'the-movie', ...metadata });

  const before = await httpJson('GET', `${stack.movie.url}/movies/the-movie`);
  assert.equal(before.status, 200);
  assert.deepEqual(before.body, { metadata: { id: 'the-movie', ...metadata }, rating: null, degraded: [] });

  for (const [user, value] of [['user0', 5], ['user1', 1]] as const) {
    const { headers } = await stack.identities.user(user);
    const put = await httpJson('PUT', `${stack.rating.url}/ratings/movie/the-movie`, { value }, { ...json, ...headers });
    assert.equal(put.status, 201);
  }
  const aggregate = await httpJson('GET', `${stack.rating.url}/ratings/movie/the-movie`);
  assert.deepEqual(aggregate.body, { recordType: 'movie', recordId: 'the-movie', average: 3, count: 2 });

  const after = await httpJson('GET', `${stack.movie.url}/movies/the-movie`);
  assert.deepEqual((after.body as { rating: unknown }).rating, { average: 3, count: 2 });

  const stored = (await stack.mariadb.query('SELECT COUNT(*) AS n FROM rating.ratings')) as Array<{ n: number }>;
  assert.equal(Number(stored[0]?.n), 2, 'the ratings are in MariaDB, not in memory');
});
