import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { COMPONENTS, component, REPOSITORY_ROOT } from '../src/components.js';
import { cacheRoot, moduleVersion, resolveComponent, stackBinary } from '../src/cache.js';

test('every component pins its upstream module in its own go.mod, and names its release', async () => {
  const releases = Object.fromEntries(
    await Promise.all(COMPONENTS.map(async (c) => [c.name, { module: await moduleVersion(c), release: c.release(await moduleVersion(c)) }] as const)),
  );
  assert.deepEqual(releases, {
    'otel-collector': { module: 'v0.159.0', release: 'v0.159.0' },
    jaeger: { module: 'v1.75.0', release: 'v2.12.0' },
    prometheus: { module: 'v0.316.0', release: 'v3.16.0' },
    alertmanager: { module: 'v0.35.0', release: 'v0.35.0' },
    victorialogs: { module: 'v1.52.2', release: 'v1.52.2' },
    'compose-check': { module: 'v2.16.2', release: 'v2.16.2' },
    kustomize: { module: 'v5.8.2', release: 'v5.8.2' },
    kubeconform: { module: 'v0.8.0', release: 'v0.8.0' },
    etcd: { module: 'v3.7.4', release: 'v3.7.4' },
    'kube-apiserver': { module: 'v1.37.2', release: 'v1.37.2' },
  });
});

test('release names follow upstream numbering', () => {
  assert.equal(component('prometheus').release('v0.300.1'), 'v3.0.1');
  assert.equal(component('prometheus').release('v0.316.0'), 'v3.16.0');
  assert.equal(component('jaeger').release('v1.76.0'), 'v2.13.0');
});

test("kube-apiserver's version names its release, so clients see v1.37.2 rather than a development build", () => {
  const stamp = component('kube-apiserver').binaries[0]?.versionStamp?.('v1.37.2');
  assert.deepEqual(stamp, ['k8s.io/component-base/version.gitVersion=v1.37.2', 'k8s.io/component-base/version.gitMajor=1', 'k8s.io/component-base/version.gitMinor=37']);
});

test('the cache lives outside the repository and honours CINEMETRICS_STACK_CACHE and XDG_CACHE_HOME', () => {
  assert.ok(!cacheRoot({ HOME: os.homedir() }).startsWith(REPOSITORY_ROOT));
  assert.equal(cacheRoot({ CINEMETRICS_STACK_CACHE: '/var/cache/x' }), '/var/cache/x');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/xdg' }), '/xdg/cinemetrics/stack');
});

test('the cache folder is keyed by component, release and the module files: another go.sum is another build', async (t) => {
  const copy = await mkdtemp(path.join(os.tmpdir(), 'stack-cache-test-'));
  t.after(() => rm(copy, { recursive: true, force: true }));
  const moduleDir = component('victorialogs').moduleDir;
  await cp(path.join(REPOSITORY_ROOT, moduleDir), path.join(copy, moduleDir), { recursive: true });
  const resolved = await resolveComponent('victorialogs', process.env, copy);
  assert.match(path.basename(resolved.directory), /^victorialogs-v1\.52\.2-[0-9a-f]{12}$/);
  assert.equal(resolved.directory, (await resolveComponent('victorialogs')).directory, 'same files, same folder');
  await writeFile(path.join(copy, moduleDir, 'go.sum'), '\n', { flag: 'a' });
  assert.notEqual((await resolveComponent('victorialogs', process.env, copy)).directory, resolved.directory);
});

test('asking for a binary that is not built says how to build it', async () => {
  await assert.rejects(stackBinary('jaeger', 'jaeger', { CINEMETRICS_STACK_CACHE: '/nonexistent/cache' }), /jaeger \(jaeger v2\.12\.0\) is not built yet: run npm run stack:build/);
});
