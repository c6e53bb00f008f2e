import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentLogger } from '../src/logger.js';
import { LOG_GATHER_INTERVAL_MS } from '@cinemetrics/telemetry';
import { startProcess } from '@cinemetrics/testing';
import { capturingLogger } from './support.js';
import { BURST_LINES, SPREAD_LINES } from './fixtures/stdout-writes.js';

test('credentials under the redacted names never reach a line; everything else does', () => {
  const { logger, lines } = capturingLogger('metadata');
  logger.info(
    {
      password: 'pw-1',
      token: 'tk-2',
      accessToken: 'at-3',
      access_token: 'at-4',
      refreshToken: 'rt-5',
      refresh_token: 'rt-6',
      client_secret: 'cs-7',
      secret: 'sc-8',
      authorization: 'Bearer au-9',
      cookie: 'session=ck-10',
      body: { password: 'pw-11', client_secret: 'cs-12', username: 'alice' },
      headers: { authorization: 'Bearer au-13', cookie: 'session=ck-14', 'set-cookie': ['session=ck-15'], accept: 'application/json' },
      req: { headers: { authorization: 'Bearer au-16', cookie: 'session=ck-17', 'user-agent': 'curl/8' } },
      res: { headers: { 'set-cookie': 'session=ck-18', 'content-type': 'application/json' } },
      'movie.id': 'tt0113277',
    },
    'credentials seen',
  );
  const [line] = lines;
  assert.ok(line);
  assert.doesNotMatch(JSON.stringify(line), /pw-|tk-|at-|rt-|cs-|sc-|au-|ck-/);
  assert.deepEqual(line['body'], { password: '[redacted]', client_secret: '[redacted]', username: 'alice' });
  assert.deepEqual(line['headers'], { authorization: '[redacted]', cookie: '[redacted]', 'set-cookie': '[redacted]', accept: 'application/json' });
  assert.deepEqual(line['req'], { headers: { authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'curl/8' } });
  assert.deepEqual(line['res'], { headers: { 'set-cookie': '[redacted]', 'content-type': 'application/json' } });
  for (const field of ['password', 'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'client_secret', 'secret', 'authorization', 'cookie']) {
    assert.equal(line[field], '[redacted]', field);
  }
  assert.equal(line['movie.id'], 'tt0113277');
});

test('a line: level as text, ISO time, service, component on child loggers, constant message with data in fields', () => {
  const { logger, lines } = capturingLogger('rating');
  componentLogger(logger, 'controller').warn({ 'record.type': 'movie' }, 'aggregate stale');
  const [line] = lines;
  assert.ok(line);
  assert.equal(line['level'], 'warn');
  assert.match(String(line['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(
    [line['service'], line['component'], line['msg'], line['record.type']],
    ['rating', 'controller', 'aggregate stale', 'movie'],
  );
});

test('raw request bytes on an error, or on its cause, never reach a line', () => {
  const { logger, lines } = capturingLogger('metadata');
  const parseError = Object.assign(new Error('Parse Error: Invalid character in chunk size'), {
    code: 'HPE_INVALID_CHUNK_SIZE',
    rawPacket: Buffer.from('POST / HTTP/1.1\r\nAuthorization: Bearer raw-secret-1\r\n\r\n'),
  });
  const wrapped = Object.assign(new Error('request failed', { cause: parseError }), { rawHeaders: ['Cookie', 'session=raw-secret-2'] });
  logger.error({ err: wrapped }, 'request failed');
  const [line] = lines;
  assert.ok(line);
  const text = JSON.stringify(line);
  assert.doesNotMatch(text, /raw-secret|rawPacket|rawHeaders/);
  assert.doesNotMatch(text, new RegExp([...Buffer.from('raw-secret')].join(',')));
  const err = line['err'] as Record<string, unknown>;
  assert.equal(err['message'], 'request failed: Parse Error: Invalid character in chunk size');
  assert.equal(err['type'], 'Error');
});

test('stdout lines logged on separate turns of the event loop share writes, one per gathering interval at most, a burst leaves in one, and a line logged right before exit is not lost', async () => {
  const fixture = await startProcess({
    name: 'stdout-writes',
    args: [require.resolve('./fixtures/stdout-writes.js')],
    env: { OTEL_SDK_DISABLED: 'true', NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined },
  });
  assert.deepEqual(await fixture.exited, { code: 0, signal: null });
  const lines = fixture.jsonLines();
  assert.deepEqual(
    lines.filter((line) => line['msg'] === 'spread line').map((line) => line['sequence']),
    Array.from({ length: SPREAD_LINES }, (_, sequence) => sequence),
  );
  assert.ok(lines.some((line) => line['msg'] === 'last words'), fixture.lines().join('\n'));
  const tally = lines.find((line) => typeof line['spreadWrites'] === 'number');
  assert.ok(tally, fixture.lines().join('\n'));
  // However slowly a loaded machine ran the loop: no more than one write per interval it took.
  const allowed = Math.ceil((tally['spreadMs'] as number) / LOG_GATHER_INTERVAL_MS) + 1;
  assert.ok((tally['spreadWrites'] as number) <= allowed, `${String(tally['spreadWrites'])} writes to stdout for ${SPREAD_LINES} lines logged over ${String(tally['spreadMs'])} ms`);
  assert.equal(tally['burstWrites'], 1, `writes for ${BURST_LINES} lines logged in one turn`);
});
