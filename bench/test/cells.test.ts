import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cell, quartileCells } from '../src/cells.js';

test('a cell is right-aligned with its decimals, and a dash when there is no number', () => {
  assert.equal(cell(3.14159, 2, 7), '   3.14');
  assert.equal(cell(Number.NaN, 1, 4), '   –');
  assert.equal(cell(Number.POSITIVE_INFINITY, 0, 3), '  –');
});

test('quartile cells: first quartile, median and third quartile, a cell each', () => {
  assert.equal(quartileCells([1, 2, 3, 4, 5], 1, 5), '  2.0  3.0  4.0');
});
