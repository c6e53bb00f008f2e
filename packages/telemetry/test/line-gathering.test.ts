import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { gatherLines, LOG_GATHER_INTERVAL_MS, passOnAllGathered } from '../src/line-gathering.js';

test('lines are passed on together, later than they were written, in the order written', async () => {
  const passed: string[] = [];
  const gathering = gatherLines((lines) => passed.push(lines.toString('utf8')));
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
  const passed: Buffer[] = [];
  const gathering = gatherLines((lines) => passed.push(lines));
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < 64; i += 1) gathering.write(line);
  assert.equal(passed.length, 1, 'past the bound, the gathered lines leave without waiting');
  assert.ok((passed[0]?.length ?? 0) <= 64 * 1024, 'a gathering holds at most 64 KiB');
  gathering.write('tail\n');
  passOnAllGathered();
  const all = Buffer.concat(passed).toString('utf8');
  assert.ok(all === `${line.repeat(64)}tail\n`, 'each gathering keeps its bytes: the next one does not write over them');
});

test('lines keep every character, in UTF-8, whatever their length', () => {
  const passed: Buffer[] = [];
  const gathering = gatherLines((lines) => passed.push(lines));
  const written = ['{"msg":"café ☕ 𝄞 日本"}\n', `{"stack":"${'é𝄞'.repeat(40_000)}"}\n`, '{"msg":"après"}\n'];
  for (const line of written) gathering.write(line);
  passOnAllGathered();
  assert.ok(Buffer.concat(passed).toString('utf8') === written.join(''), 'the bytes passed on are the lines written');
  assert.ok(
    passed.every((lines) => lines.toString('utf8').endsWith('\n')),
    'a gathering leaves at a line end: no line is split between two of them',
  );
});
