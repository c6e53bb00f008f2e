import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, serviceMain, startProcess, startService, TELEMETRY_PRELOAD } from '@cinemetrics/testing';

/**
 * The admin listener (metrics, profiling, faults, log level) is reachable from the machine itself
 * only, unless ADMIN_HOST opens it. 127.0.0.2 is a loopback address too, but not the one the admin
 * listener binds by default: a listener on 127.0.0.1 refuses it, one on every interface accepts it.
 */

const ADMIN_TOKEN = 'admin-listener-token-0123456789';

async function reachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

test('the admin listener binds loopback by default and every interface with ADMIN_HOST=0.0.0.0; the API listener every interface', async () => {
  const closed = await startService('metadata', { env: { OTEL_SDK_DISABLED: 'true', LOG_FORMAT: 'json' } });
  const open = await startService('metadata', { env: { OTEL_SDK_DISABLED: 'true', LOG_FORMAT: 'json', ADMIN_HOST: '0.0.0.0' } });
  try {
    assert.equal(await reachable(`http://127.0.0.1:${closed.adminPort}/metrics`), true);
    assert.equal(await reachable(`http://127.0.0.2:${closed.adminPort}/metrics`), false, 'the admin port answers on an address other than 127.0.0.1');
    assert.equal(await reachable(`http://127.0.0.2:${closed.port}/.well-known/alive`), true);
    assert.equal(await reachable(`http://127.0.0.2:${open.adminPort}/metrics`), true);
    // Log lines reach stdout a few milliseconds after they are written: wait for it.
    const started = JSON.parse(await closed.waitForLine((_line, json) => json?.['msg'] === 'service started')) as Record<string, unknown>;
    assert.equal(started['admin_host'], '127.0.0.1');
  } finally {
    await Promise.all([closed.stop(), open.stop()]);
  }
});

test('the admin token is accepted whatever the case of the Bearer scheme; a wrong token or another scheme is not', async () => {
  const service = await startService('rating', { env: { OTEL_SDK_DISABLED: 'true', ADMIN_TOKEN } });
  try {
    const status = async (authorization: string) => (await fetch(`${service.adminUrl}/admin/log-level`, { headers: { authorization } })).status;
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) assert.equal(await status(`${scheme} ${ADMIN_TOKEN}`), 200, scheme);
    assert.equal(await status(`Bearer  ${ADMIN_TOKEN}`), 200, 'more than one space after the scheme');
    assert.equal(await status(`bearer ${ADMIN_TOKEN}x`), 401);
    assert.equal(await status(`Basic ${ADMIN_TOKEN}`), 401);
    assert.equal(await status(`Bearer${ADMIN_TOKEN}`), 401);
  } finally {
    await service.stop();
  }
});

async function startMisconfigured(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = await startProcess({
    name: 'metadata-misconfigured',
    args: ['--require', TELEMETRY_PRELOAD, serviceMain('metadata')],
    env: { PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), OTEL_SDK_DISABLED: 'true', NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, ...env },
  });
  // A service that accepted the configuration runs (or waits for its database) until stopped.
  const timer = setTimeout(() => void proc.stop(), 15_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, output: proc.lines().join('\n') };
}

test('a bad ADMIN_HOST stops start-up with exit code 2, naming the variable and the rule', async () => {
  const { code, output } = await startMisconfigured({ ADMIN_HOST: '0.0.0.0:8091' });
  assert.equal(code, 2);
  assert.match(output, /ADMIN_HOST: must be an IP address or a host name to bind/);
});

test('MYSQL_URL with a database or options stops start-up with exit code 2, naming the rule, never the password', async () => {
  for (const url of ['mysql://app:pw-not-to-echo@127.0.0.1:1/movies', 'mysql://app:pw-not-to-echo@127.0.0.1:1?ssl=true']) {
    const { code, output } = await startMisconfigured({ MYSQL_URL: url });
    assert.equal(code, 2, output);
    assert.match(output, /MYSQL_URL: must name only the server .*its own database/);
    assert.doesNotMatch(output, /pw-not-to-echo/);
  }
});
