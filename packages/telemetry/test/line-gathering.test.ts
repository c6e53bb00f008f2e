import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { gatherLines, LOG_GATHER_INTERVAL_MS, passOnAllGathered } from '../src/line-gathering.js';

test('lines are passed on together, later than they were written, in the order written', async () => {
  const passed: string[] = [];
  const gathering = gatherLines((lines) => passed.push(lines));
  gathering.write('one\n');
  gathering.write('two\n');
  assert.deepEqual(passed, [], 'writing passes nothing on by itself');
  await delay(LOG_GATHER_INTERVAL_MS * 4);
  assert.deepEqual(passed, ['one\ntwo\n']);
  gathering.write('three\n');
  await delay(LOG_GATHER_INTERVAL_MS * 4);
  assert.deepEqual(passed, ['one\ntwo\n', 'three\n'], 'the next line starts a new gathering');
});

test('a large gathering leaves at once, and passOnAllGathered (run at exit) passes on what is left', () => {
  const passed: string[] = [];
  const gathering = gatherLines((lines) => passed.push(lines));
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < 64; i += 1) gathering.write(line);
  assert.equal(passed.length, 1, 'past the bound, the gathered lines leave without waiting');
  assert.equal(passed[0]?.length, 64 * 1024);
  gathering.write('tail\n');
  passOnAllGathered();
  assert.deepEqual(passed.slice(1), ['tail\n']);
});
