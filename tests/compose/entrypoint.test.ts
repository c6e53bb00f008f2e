import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT } from '@cinemetrics/stack';

const run = promisify(execFile);
const ENTRYPOINT = path.join(REPOSITORY_ROOT, 'docker', 'entrypoint.sh');

/** Runs the services' entrypoint as the image does, with this Node on PATH and telemetry off. */
function entrypoint(env: Record<string, string>, script: string): Promise<{ stdout: string; stderr: string }> {
  return run('sh', [ENTRYPOINT, '-e', script], {
    cwd: REPOSITORY_ROOT,
    env: { PATH: `${path.dirname(process.execPath)}:${process.env['PATH']}`, OTEL_SDK_DISABLED: 'true', ...env },
  });
}

test('a secret file becomes its variable; other *_FILE variables stay paths', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'entrypoint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'url'), 'mysql://metadata:s3cret@mysql:3306/metadata');
  await writeFile(path.join(dir, 'token'), 'an-admin-token-of-32-characters!');
  const { stdout } = await entrypoint(
    { MYSQL_URL_FILE: path.join(dir, 'url'), ADMIN_TOKEN_FILE: path.join(dir, 'token'), SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' },
    'console.log(JSON.stringify([process.env.MYSQL_URL, process.env.ADMIN_TOKEN, process.env.MYSQL_URL_FILE ?? null, process.env.SSL_CERT_FILE, process.env.SSL_CERT ?? null]))',
  );
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), [
    'mysql://metadata:s3cret@mysql:3306/metadata',
    'an-admin-token-of-32-characters!',
    null,
    '/etc/ssl/certs/ca-certificates.crt',
    null,
  ]);
});

test('an unreadable secret file stops the container with exit code 2, naming the variable', async () => {
  await assert.rejects(entrypoint({ ADMIN_TOKEN_FILE: '/nonexistent/admin_token' }, '1'), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr ?? '', /ADMIN_TOKEN_FILE names \/nonexistent\/admin_token, which is not readable/);
    return true;
  });
});

test('the program runs with the telemetry preload', async () => {
  const { stdout } = await entrypoint({}, "console.log(process.execArgv.join(' '))");
  assert.match(stdout, /--require @cinemetrics\/telemetry\/register/);
});
