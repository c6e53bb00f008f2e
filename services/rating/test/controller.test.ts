import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { RatingController, RatingsNotFoundError, UserRatingNotFoundError } from '../src/controller.js';
import { MemoryRatingRepository } from '../src/repository/memory.js';

const movie = { recordType: 'movie', recordId: 'tt0078748' };

let controller: RatingController;

beforeEach(() => {
  controller = new RatingController(new MemoryRatingRepository());
});

test('the average of 5 and 1 by two users is 3', async () => {
  assert.equal(await controller.put({ ...movie, userId: 'alice', value: 5 }), 'created');
  assert.equal(await controller.put({ ...movie, userId: 'bob', value: 1 }), 'created');
  assert.deepEqual(await controller.aggregate(movie), { ...movie, average: 3, count: 2 });
});

test('the average is the exact mean, not rounded', async () => {
  for (const [userId, value] of [['a', 1], ['b', 2], ['c', 2]] as const) await controller.put({ ...movie, userId, value });
  const { average, count } = await controller.aggregate(movie);
  assert.equal(count, 3);
  assert.equal(average, 5 / 3);
});

test('the same user rating again replaces the rating instead of adding one', async () => {
  assert.equal(await controller.put({ ...movie, userId: 'alice', value: 5 }), 'created');
  assert.equal(await controller.put({ ...movie, userId: 'alice', value: 2 }), 'replaced');
  assert.deepEqual(await controller.aggregate(movie), { ...movie, average: 2, count: 1 });
  assert.equal(await controller.put({ ...movie, userId: 'alice', value: 2 }), 'replaced', 'same value again is still a replace');
  assert.deepEqual(await controller.aggregate(movie), { ...movie, average: 2, count: 1 });
});

test("delete removes only the caller's rating", async () => {
  await controller.put({ ...movie, userId: 'alice', value: 5 });
  await controller.put({ ...movie, userId: 'bob', value: 1 });
  await controller.delete(movie, 'alice');
  assert.deepEqual(await controller.aggregate(movie), { ...movie, average: 1, count: 1 });
});

test('deleting a rating the user does not have throws UserRatingNotFoundError', async () => {
  await controller.put({ ...movie, userId: 'alice', value: 5 });
  await assert.rejects(controller.delete(movie, 'bob'), (error: unknown) => {
    assert.ok(error instanceof UserRatingNotFoundError);
    assert.deepEqual(error.key, movie);
    assert.equal(error.userId, 'bob');
    return true;
  });
  await controller.delete(movie, 'alice');
  await assert.rejects(controller.delete(movie, 'alice'), UserRatingNotFoundError, 'deleting twice fails the second time');
});

test('a record without ratings is not found', async () => {
  await assert.rejects(controller.aggregate(movie), (error: unknown) => {
    assert.ok(error instanceof RatingsNotFoundError);
    assert.equal(error.message, 'ratings not found for a record');
    assert.deepEqual(error.key, movie);
    return true;
  });
});

test('a record whose last rating was deleted is not found again', async () => {
  await controller.put({ ...movie, userId: 'alice', value: 4 });
  await controller.delete(movie, 'alice');
  await assert.rejects(controller.aggregate(movie), RatingsNotFoundError);
});

test('ratings of the same id under different record types are kept apart', async () => {
  const actor = { recordType: 'actor', recordId: movie.recordId };
  await controller.put({ ...movie, userId: 'alice', value: 5 });
  await controller.put({ ...actor, userId: 'alice', value: 1 });
  assert.deepEqual(await controller.aggregate(movie), { ...movie, average: 5, count: 1 });
  assert.deepEqual(await controller.aggregate(actor), { ...actor, average: 1, count: 1 });
});
