import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, httpJson, startProcess } from '../src/index.js';

/** A tiny JSON HTTP server that logs JSON lines and exits 0 on SIGTERM. */
const serverScript = `
const http = require('node:http');
const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ path: req.url, method: req.method }));
});
server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port })));
process.on('SIGTERM', () => {
  console.error('shutting down');
  server.close(() => process.exit(0));
});
`;

test('startProcess waits for readiness, collects output and stops with SIGTERM', async () => {
  const port = await freePort();
  const proc = await startProcess({
    name: 'tiny-http',
    args: ['-e', serverScript],
    env: { PORT: String(port), NODE_OPTIONS: undefined },
    readyUrl: `http://127.0.0.1:${port}/health`,
  });
  assert.equal(proc.running, true);
  assert.ok(proc.pid > 0);

  const line = await proc.waitForLine((_line, json) => json?.msg === 'listening');
  assert.equal((JSON.parse(line) as { port: number }).port, port);
  assert.deepEqual(proc.jsonLines(), [{ msg: 'listening', port }]);

  const response = await httpJson('POST', `http://127.0.0.1:${port}/movies`, { title: 'Alien' });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { path: '/movies', method: 'POST' });

  const status = await proc.stop();
  assert.deepEqual(status, { code: 0, signal: null });
  assert.equal(proc.running, false);
  assert.ok(proc.lines().includes('shutting down'));
});

test('with stdout drained, a process writing far more than a pipe buffer never blocks, and stderr is still kept', async () => {
  // 8 MiB on stdout: if nobody read the pipe, the child would block on its 64 KiB buffer and never exit.
  const proc = await startProcess({
    name: 'chatty',
    args: ['-e', 'const line = "x".repeat(1023) + "\\n"; for (let i = 0; i < 8192; i++) process.stdout.write(line); console.error("done");'],
    stdout: 'drain',
  });
  assert.deepEqual(await proc.exited, { code: 0, signal: null });
  assert.deepEqual(proc.lines(), ['done']);
});

test('startProcess fails with the output when the process exits before becoming ready', async () => {
  const port = await freePort();
  await assert.rejects(
    startProcess({
      name: 'crasher',
      args: ['-e', 'console.error("boom: missing config"); process.exit(3)'],
      readyUrl: `http://127.0.0.1:${port}/health`,
    }),
    /crasher exited with code 3 before .* answered 200\.\nboom: missing config/s,
  );
});

test('stop() escalates to SIGKILL when the process ignores SIGTERM', async () => {
  const proc = await startProcess({
    name: 'stubborn',
    args: ['-e', 'process.on("SIGTERM", () => {}); console.log("armed"); setInterval(() => {}, 1000)'],
  });
  await proc.waitForLine((line) => line === 'armed');
  const status = await proc.stop('SIGTERM', 300);
  assert.deepEqual(status, { code: null, signal: 'SIGKILL' });
});

test('startProcess reports a missing executable clearly', async () => {
  await assert.rejects(
    startProcess({ name: 'ghost', command: '/nonexistent/binary', args: [] }),
    /ghost: could not start \/nonexistent\/binary: .*ENOENT/,
  );
});
