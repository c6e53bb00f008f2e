import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, quantile, quartiles, slope, windowPeaks } from '../src/spread.js';

test('the median of an odd count is the middle value, of an even count the mean of the middle two', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('quartiles interpolate between neighbours and do not depend on input order', () => {
  assert.deepEqual(quartiles([10, 1, 4, 7]), [3.25, 5.5, 7.75]);
  assert.deepEqual(quartiles([1, 4, 7, 10]), quartiles([10, 7, 4, 1]));
});

test('quantile of no values is NaN, of one value that value', () => {
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.equal(quantile([42], 0.25), 42);
});

test('slope is the least-squares rise per unit, zero for a flat series, NaN without two distinct xs', () => {
  assert.equal(slope([0, 1, 2, 3], [10, 12, 14, 16]), 2);
  assert.equal(slope([0, 1, 2, 3], [5, 7, 5, 7]), 0.4);
  assert.equal(slope([0, 1, 2], [3, 3, 3]), 0);
  assert.ok(Number.isNaN(slope([1], [1])));
  assert.ok(Number.isNaN(slope([2, 2], [1, 5])));
});

test('windowPeaks gives the highest value of each window from the start on, in order, without empty windows', () => {
  const xs = [0.5, 1, 2.5, 3, 4.9, 5, 12];
  const ys = [99, 10, 30, 20, 25, 40, 35];
  assert.deepEqual(windowPeaks(xs, ys, 1, 2), [
    { start: 1, peak: 30 },
    { start: 3, peak: 25 },
    { start: 5, peak: 40 },
    { start: 11, peak: 35 },
  ]);
  assert.deepEqual(windowPeaks([], [], 0, 5), []);
});
