import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api';
import { startOtlpReceiver, startProcess, TELEMETRY_PRELOAD, type OtlpReceiver, type RunningProcess } from '@cinemetrics/testing';
import { BURST_LINES } from './fixtures/log-burst.js';

/** Runs a fixture process under the telemetry preload, exporting to a receiver of its own, until it exits; then `check`s what it left. */
async function afterFixture(
  fixture: string,
  env: Record<string, string>,
  check: (fixtureProcess: RunningProcess, otlp: OtlpReceiver) => Promise<void>,
): Promise<void> {
  const otlp = await startOtlpReceiver();
  try {
    const fixtureProcess = await startProcess({
      name: fixture,
      args: ['--require', TELEMETRY_PRELOAD, require.resolve(`./fixtures/${fixture}.js`)],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, LOG_FORMAT: 'json', ...env },
    });
    await fixtureProcess.exited;
    await check(fixtureProcess, otlp);
  } finally {
    await otlp.close();
  }
}

test('a crash is logged on stdout, and its log record and the spans still queued are exported before the process exits', async () => {
  // Batch delays far longer than the test: only flushes at the crash can deliver anything.
  const longDelays = { OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_BLRP_SCHEDULE_DELAY: '600000' };
  await afterFixture('crash-after-start', longDelays, async (crashing, otlp) => {
    assert.equal((await crashing.exited).code, 1);
    const fatal = crashing.jsonLines().find((line) => line['msg'] === 'uncaught exception');
    assert.equal(fatal?.['level'], 'fatal', 'the crash is on stdout');
    assert.match(String((fatal?.['err'] as { message?: string } | undefined)?.message), /boom/);
    const record = otlp.logs().find((log) => log.body === 'uncaught exception');
    assert.ok(record, `the crash's log record was exported; received: ${otlp.logs().map((log) => String(log.body)).join(', ')}`);
    assert.equal(record.severityNumber, SeverityNumber.FATAL);
    assert.equal(record.resource['service.name'], 'kit');
    assert.ok(otlp.spans().some((span) => span.name === 'work before the crash'), 'the span queued before the crash was exported');
  });
});

test('a line logged after the log-export worker has ended still reaches stdout, and nothing crashes', async () => {
  await afterFixture('log-after-shutdown', {}, async (late, otlp) => {
    assert.deepEqual(await late.exited, { code: 0, signal: null });
    const messages = late.jsonLines().map((line) => line['msg']);
    assert.deepEqual(
      messages.filter((msg) => msg === 'before shutdown' || msg === 'after shutdown'),
      ['before shutdown', 'after shutdown'],
      `everything the fixture printed:\n${late.lines().join('\n')}`,
    );
    assert.ok(otlp.logs().some((log) => log.body === 'before shutdown'), 'the line before the shutdown was exported');
  });
});

test('a burst of lines handed to the worker together reaches stdout whole and in order, and each line is exported once', async () => {
  await afterFixture('log-burst', {}, async (burst, otlp) => {
    assert.deepEqual(await burst.exited, { code: 0, signal: null });
    const stdoutSequence = burst.jsonLines().filter((line) => line['msg'] === 'burst line').map((line) => line['sequence']);
    const expected = Array.from({ length: BURST_LINES }, (_, sequence) => sequence);
    assert.deepEqual(stdoutSequence, expected, 'every line once on stdout, in the order logged');
    const exported = otlp.logs().filter((log) => log.body === 'burst line').map((log) => Number(log.attributes['sequence']));
    assert.deepEqual(exported.sort((a, b) => a - b), expected, 'every line exported exactly once');
  });
});

test('a line logged right before process.exit, with no flush, still reaches stdout', async () => {
  await afterFixture('exit-right-after-log', {}, async (exiting) => {
    assert.deepEqual(await exiting.exited, { code: 0, signal: null });
    assert.ok(exiting.jsonLines().some((line) => line['msg'] === 'last words'), `stdout: ${exiting.lines().join('\n')}`);
  });
});
