import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parseSamples, startProcess, sumOf } from '@cinemetrics/testing';
import { freePortBase, interrupt, npmStart, READY_LINE, STOP_TIMEOUT_MS } from './support/npm-start.js';

const LOADGEN_JS = path.resolve(__dirname, '../src/loadgen.js');
const ADMIN_TOKEN = 'loadgen-test-admin-token-0123456789';

/** Runs the load generator to its end; resolves with its output. */
async function loadgen(base: number, env: Record<string, string | undefined>, args: string[] = []): Promise<string> {
  const proc = await startProcess({
    name: 'loadgen',
    args: [LOADGEN_JS, '--rate', '40', '--duration', '3', '--base-port', String(base), '--auth-admin-url', `http://127.0.0.1:${base + 14}`, ...args],
    env: { NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, OTEL_SDK_DISABLED: 'true', ...env },
  });
  assert.deepEqual(await proc.exited, { code: 0, signal: null }, proc.lines().join('\n'));
  return proc.lines().join('\n');
}

/** Ratings PUT the rating service answered, by status code. */
async function ratingPuts(base: number, status: string): Promise<number> {
  const exposition = await (await fetch(`http://127.0.0.1:${base + 12}/metrics`)).text();
  return sumOf(parseSamples(exposition), 'http_server_request_duration_seconds_count', { http_request_method: 'PUT', http_response_status_code: status });
}

test('the load generator rates as load-user-N users it makes and signs in; without an admin token it sends reads only', async () => {
  const base = await freePortBase();
  const proc = await npmStart({ CINEMETRICS_PORT_BASE: String(base), MYSQL_URL: undefined, LOG_LEVEL: 'warn', ADMIN_TOKEN }, ['--no-seed']);
  try {
    await proc.waitForLine(READY_LINE, 120_000);

    const writes = await loadgen(base, { ADMIN_TOKEN });
    assert.match(writes, /ratings are given by load-user-N users/);
    assert.match(writes, /actions: .*rate [1-9]/);
    assert.doesNotMatch(writes, /sign-in failed/);
    assert.ok((await ratingPuts(base, '201')) + (await ratingPuts(base, '200')) > 0, 'ratings were accepted');
    assert.equal(await ratingPuts(base, '401'), 0, 'no rating went without a valid token');

    const before = (await ratingPuts(base, '201')) + (await ratingPuts(base, '200'));
    const readsOnly = await loadgen(base, { ADMIN_TOKEN: undefined, MY_TOKEN: undefined }, ['--admin-token-env', 'MY_TOKEN']);
    assert.match(readsOnly, /MY_TOKEN is not set: sending reads only/);
    assert.doesNotMatch(readsOnly, /actions: .*rate \d/);
    assert.equal((await ratingPuts(base, '201')) + (await ratingPuts(base, '200')), before);
    await interrupt(proc);
  } finally {
    await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
  }
});
