import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choiceOption, numberOption, OptionError } from '../src/options.js';

test('a number option not given is its default; given, it is parsed', () => {
  assert.equal(numberOption(undefined, 'rounds', 5, { min: 1, max: 100 }), 5);
  assert.equal(numberOption('12', 'rounds', 5, { min: 1, max: 100 }), 12);
  assert.equal(numberOption('0.7', 'load', 1, { min: 0.05, max: 1, integer: false }), 0.7);
});

test('a number option that is not a number, not whole, or out of range is refused, naming the option', () => {
  assert.throws(() => numberOption('ten', 'rounds', 5, { min: 1, max: 100 }), { name: 'Error', message: '--rounds: "ten" is not a whole number' });
  assert.throws(() => numberOption('', 'rounds', 5, { min: 1, max: 100 }), OptionError);
  assert.throws(() => numberOption('2.5', 'rounds', 5, { min: 1, max: 100 }), /--rounds: "2.5" is not a whole number/);
  assert.throws(() => numberOption('0', 'rounds', 5, { min: 1, max: 100 }), /--rounds: 0 is outside 1–100/);
  assert.throws(() => numberOption('Infinity', 'load', 1, { min: 0, max: 1, integer: false }), /--load: "Infinity" is not a number/);
});

test('a choice option must be one of its values', () => {
  assert.equal(choiceOption(undefined, 'phase', 'both', ['both', 'latency']), 'both');
  assert.equal(choiceOption('latency', 'phase', 'both', ['both', 'latency']), 'latency');
  assert.throws(() => choiceOption('fast', 'phase', 'both', ['both', 'latency']), /--phase: "fast" is not one of both, latency/);
});
