import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Dataset, datasetProblems, defaultUserCount, inBatches, MAX_YEAR, MIN_YEAR, type DatasetOptions } from '../src/dataset.js';

function fingerprint(options: DatasetOptions): string {
  const dataset = new Dataset(options);
  const hash = createHash('sha256');
  for (const movie of dataset.movies()) hash.update(`${JSON.stringify(movie)}\n`);
  for (const rating of dataset.ratings()) hash.update(`${JSON.stringify(rating)}\n`);
  return hash.digest('hex');
}

test('the same seed gives byte-identical data; another seed gives different data', () => {
  const options = { seed: 42, movies: 500, ratings: 8000 };
  const first = fingerprint(options);
  assert.equal(fingerprint(options), first);
  assert.equal(fingerprint({ ...options }), first, 'a fresh Dataset object, same result');
  assert.notEqual(fingerprint({ ...options, seed: 43 }), first);
});

test('movies look real: tt ids in order, years 1920-2025, titles, directors, distinct actors, one sentence', () => {
  const dataset = new Dataset({ seed: 7, movies: 2000, ratings: 0 });
  const movies = [...dataset.movies()];
  assert.equal(movies.length, 2000);
  assert.equal(movies[0]?.id, 'tt0000001');
  assert.equal(movies[1999]?.id, 'tt0002000');
  const titles = new Set<string>();
  const decades = new Set<number>();
  for (const [index, movie] of movies.entries()) {
    assert.deepEqual(dataset.movie(index), movie, 'random access equals the stream');
    assert.match(movie.id, /^tt\d{7}$/);
    assert.ok(Number.isInteger(movie.year) && movie.year >= MIN_YEAR && movie.year <= MAX_YEAR, `year ${movie.year}`);
    assert.match(movie.title, /^[A-Z][\p{L}' :-]+$/u);
    assert.match(movie.director, /^\S+ \S+/);
    assert.match(movie.description, /^An? [^.]+\.$/);
    assert.ok(movie.actors.length >= 2 && movie.actors.length <= 6);
    assert.equal(new Set(movie.actors).size, movie.actors.length, 'actors are distinct');
    assert.ok(!movie.actors.includes(movie.director));
    titles.add(movie.title);
    decades.add(Math.floor(movie.year / 10));
  }
  assert.ok(titles.size > 1000, `titles vary (${titles.size} distinct of 2000)`);
  assert.equal(decades.size, 11, 'every decade from the 1920s to the 2020s appears');
});

test('ratings: exact count, unique (movie, user) pairs in primary-key order, skewed like real ratings', () => {
  const dataset = new Dataset({ seed: 3, movies: 1000, ratings: 30_000 });
  assert.equal(dataset.userCount, defaultUserCount(1000, 30_000));
  const histogram = [0, 0, 0, 0, 0, 0];
  const perMovie = new Map<string, number>();
  const perUser = new Map<string, number>();
  let previous = '';
  let count = 0;
  let sum = 0;
  for (const rating of dataset.ratings()) {
    count += 1;
    const key = `${rating.recordId}/${rating.userId}`;
    assert.ok(key > previous, `${key} comes after ${previous}: unique and ordered`);
    previous = key;
    assert.equal(rating.recordType, 'movie');
    assert.match(rating.userId, /^user\d{5}$/);
    assert.ok(Number(rating.userId.slice(4)) <= dataset.userCount);
    assert.ok([1, 2, 3, 4, 5].includes(rating.value));
    assert.ok(rating.updatedAt.getTime() % 1000 === 0 && rating.updatedAt.getUTCFullYear() >= 2005);
    assert.ok(rating.updatedAt.getUTCFullYear() <= MAX_YEAR);
    histogram[rating.value] = (histogram[rating.value] ?? 0) + 1;
    sum += rating.value;
    perMovie.set(rating.recordId, (perMovie.get(rating.recordId) ?? 0) + 1);
    perUser.set(rating.userId, (perUser.get(rating.userId) ?? 0) + 1);
  }
  assert.equal(count, 30_000);
  for (let i = 0; i < dataset.movieCount; i += 1) {
    assert.equal(perMovie.get(dataset.movie(i).id) ?? 0, dataset.ratingsOfMovie(i));
  }
  const mean = sum / count;
  assert.ok(mean > 3.2 && mean < 3.8, `mean ${mean}`);
  const [, ones = 0, twos = 0, threes = 0, fours = 0, fives = 0] = histogram;
  assert.ok(fours > threes && fours > fives && fives > twos && twos > ones, `histogram ${histogram.join(',')}`);
  // Long tails: the most-rated movie and most active user are far above the median.
  const movieCounts = [...perMovie.values()].sort((a, b) => b - a);
  const userCounts = [...perUser.values()].sort((a, b) => b - a);
  assert.ok((movieCounts[0] ?? 0) > 10 * (movieCounts[movieCounts.length >> 1] ?? 0), 'popular movies dominate');
  assert.ok((userCounts[0] ?? 0) > 10 * (userCounts[userCounts.length >> 1] ?? 0), 'some users rate a lot');
  // Popularity is shuffled, not "the first ids are the popular ones".
  const topMovie = [...perMovie.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  assert.notEqual(topMovie, 'tt0000001');
});

test('dense data sets still have unique pairs: 20 movies × 10 users fully rated', () => {
  const dataset = new Dataset({ seed: 1, movies: 20, ratings: 200, users: 10 });
  const pairs = new Set([...dataset.ratings()].map((r) => `${r.recordId}/${r.userId}`));
  assert.equal(pairs.size, 200);
  assert.deepEqual(datasetProblems({ seed: 1, movies: 20, ratings: 201, users: 10 }), [
    'ratings (201) cannot exceed movies × users (20 × 10): each user rates a movie at most once',
  ]);
  assert.throws(() => new Dataset({ seed: 1, movies: 0, ratings: 0 }), /movies must be an integer from 1/);
  assert.throws(() => new Dataset({ seed: -1, movies: 1, ratings: 0 }), /seed must be an integer/);
});

test('batches are lazy and batch size does not change the data', () => {
  const options = { seed: 9, movies: 300, ratings: 3000 };
  const whole = [...new Dataset(options).ratings()];
  for (const size of [1, 7, 250, 5000]) {
    const batches = [...inBatches(new Dataset(options).ratings(), size)];
    assert.ok(batches.every((batch, i) => batch.length === size || i === batches.length - 1));
    assert.deepEqual(batches.flat(), whole);
  }
  // A data set far too big to hold (20M ratings, gigabytes as objects) yields its first batch without
  // building the rest: the plan is O(movies + users), a few tens of MB.
  const residentBefore = process.memoryUsage().rss;
  const huge = new Dataset({ seed: 1, movies: 1_000_000, ratings: 20_000_000 });
  const first = inBatches(huge.ratings(), 2000).next();
  assert.equal(first.done, false);
  assert.equal(first.value?.length, 2000);
  const grownMiB = (process.memoryUsage().rss - residentBefore) / 2 ** 20;
  assert.ok(grownMiB < 512, `the first batch grew the process by ${Math.round(grownMiB)} MiB: the whole stream was built`);
});
