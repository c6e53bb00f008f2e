import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { freePort, serviceMain, TELEMETRY_PRELOAD } from '@cinemetrics/testing';

test('a service whose supervisor is gone (its IPC channel closes) shuts down gracefully and exits 0', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), LOG_FORMAT: 'json', LOG_LEVEL: 'info' };
  delete env['MYSQL_URL'];
  delete env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  // As npm start's supervisor runs it: pipes for the output and an IPC channel nobody writes to.
  const child = spawn(process.execPath, ['--require', TELEMETRY_PRELOAD, serviceMain('metadata')], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const lines: Record<string, unknown>[] = [];
  const started = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return;
      }
      if (lines.at(-1)?.['msg'] === 'service started') resolve();
    });
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await Promise.race([started, exited]);
    assert.ok(child.connected, 'the service started with its channel open');
    child.disconnect();
    assert.deepEqual(await exited, [0, null]);
    assert.equal(lines.find((line) => line['msg'] === 'shutdown started')?.['reason'], 'supervisor gone');
    assert.ok(lines.some((line) => line['msg'] === 'shutdown complete'), JSON.stringify(lines.map((line) => line['msg'])));
  } finally {
    clearTimeout(timeout);
    child.kill('SIGKILL');
  }
});
