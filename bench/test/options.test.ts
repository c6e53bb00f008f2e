import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choiceOption, derivedNumberOption, flagOption, nodeArgsOption, numberOption, OptionError, textOption } from '../src/options.js';

const rounds = numberOption(5, { min: 1, max: 100 });
const load = numberOption(1, { min: 0.05, max: 1, integer: false });

test('a number option not given is its default; given, it is parsed', () => {
  assert.equal(rounds.read(undefined, 'rounds'), 5);
  assert.equal(rounds.read('12', 'rounds'), 12);
  assert.equal(load.read('0.7', 'load'), 0.7);
  assert.equal(rounds.describe, 'default 5; a whole number in 1–100');
  assert.equal(load.describe, 'default 1; a number in 0.05–1');
});

test('a number option that is not a number, not whole, or out of range is refused, naming the option', () => {
  assert.throws(() => rounds.read('ten', 'rounds'), { name: 'Error', message: '--rounds: "ten" is not a whole number' });
  assert.throws(() => rounds.read('', 'rounds'), OptionError);
  assert.throws(() => rounds.read('2.5', 'rounds'), /--rounds: "2.5" is not a whole number/);
  assert.throws(() => rounds.read('0', 'rounds'), /--rounds: 0 is outside 1–100/);
  assert.throws(() => load.read('Infinity', 'load'), /--load: "Infinity" is not a number/);
});

test('a number whose default comes from other settings is undefined when not given, and checked when given', () => {
  const settle = derivedNumberOption('a fifth of --minutes', { min: 0, max: 60, integer: false });
  assert.equal(settle.read(undefined, 'settle'), undefined);
  assert.equal(settle.read('1.5', 'settle'), 1.5);
  assert.throws(() => settle.read('-1', 'settle'), /--settle: -1 is outside 0–60/);
  assert.equal(settle.describe, 'default a fifth of --minutes; a number in 0–60');
});

test('a choice option must be one of its values', () => {
  const phase = choiceOption('both', ['both', 'latency']);
  assert.equal(phase.read(undefined, 'phase'), 'both');
  assert.equal(phase.read('latency', 'phase'), 'latency');
  assert.throws(() => phase.read('fast', 'phase'), /--phase: "fast" is not one of both, latency/);
  assert.equal(phase.describe, 'default both; one of both, latency');
});

test('text, flags and node options read as given, and as nothing when not given', () => {
  assert.equal(textOption().read(undefined, 'baseline'), undefined);
  assert.equal(textOption().read('/tmp/base', 'baseline'), '/tmp/base');
  assert.equal(flagOption().read(undefined, 'floor'), false);
  assert.equal(flagOption().read(true, 'floor'), true);
  assert.deepEqual(nodeArgsOption().read(undefined, 'node-args'), []);
  assert.deepEqual(nodeArgsOption().read(' --max-semi-space-size=4  --heap-growing-percent=0', 'node-args'), ['--max-semi-space-size=4', '--heap-growing-percent=0']);
});
