import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPOSITORY_ROOT, startProcess } from '@cinemetrics/testing';

/** Runs `script` on this Node made to report an older version, as if started with the machine's own `node`. */
async function runAsNode20(script: string): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cinemetrics-node-version-'));
  try {
    const fake = path.join(dir, 'pretend-node-20.cjs');
    await writeFile(fake, "Object.defineProperty(process.versions, 'node', { value: '20.20.2' });\n");
    // Without the check nothing may start: the start script only prints its usage, a service rejects its port.
    const proc = await startProcess({ name: 'old-node', args: ['--require', fake, script, '--help'], env: { PORT: 'not-a-port' } });
    const status = await proc.exited;
    return { code: status.code, output: proc.lines().join('\n') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const script of ['scripts/dist/src/start.js', 'scripts/dist/src/seed.js', 'services/movie/dist/src/main.js']) {
  test(`${script} on a Node older than 24 stops at once, saying which Node is needed and to use npm`, async () => {
    const { code, output } = await runAsNode20(path.join(REPOSITORY_ROOT, script));
    assert.equal(code, 2, output);
    assert.match(output, /Cinemetrics needs Node 24 or newer; this is Node 20\.20\.2/);
    assert.match(output, /npm start/);
  });
}
