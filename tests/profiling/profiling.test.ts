import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { httpJson, startService, type StartedService } from '@cinemetrics/testing';

/** The /debug/pprof endpoints of a real metadata process, read back with pprof-format. */

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

let metadata: StartedService;

before(async () => {
  metadata = await startService('metadata', { env: { ADMIN_TOKEN } });
});

after(async () => {
  await metadata?.stop();
});

async function fetchProfile(path: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const response = await fetch(`${metadata.adminUrl}${path}`, { headers: auth });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

function decode(gzipped: Buffer): Profile {
  assert.deepEqual([...gzipped.subarray(0, 2)], [0x1f, 0x8b], 'a gzipped protobuf');
  return Profile.decode(gunzipSync(gzipped));
}

const text = (profile: Profile, index: number | bigint): string => profile.stringTable.strings[Number(index)] ?? '';

/** Self samples per function: the leaf frame of each sample, weighted by its sample count. */
function selfSamples(profile: Profile): Array<[string, number]> {
  const functions = new Map(profile.function.map((fn) => [Number(fn.id), text(profile, fn.name)]));
  const locations = new Map(profile.location.map((location) => [Number(location.id), location]));
  const self = new Map<string, number>();
  for (const sample of profile.sample) {
    const leaf = locations.get(Number(sample.locationId[0]));
    const name = functions.get(Number(leaf?.line[0]?.functionId)) ?? '?';
    self.set(name, (self.get(name) ?? 0) + Number(sample.value[0]));
  }
  return [...self].sort((a, b) => b[1] - a[1]);
}

function labelsOf(profile: Profile, sample: Profile['sample'][number]): Record<string, string> {
  return Object.fromEntries(sample.label.map((label) => [text(profile, label.key), text(profile, label.str)]));
}

test('every profiling endpoint needs the admin token', async () => {
  for (const path of ['/debug/pprof/profile?seconds=1', '/debug/pprof/heap', '/debug/heapsnapshot']) {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }] as Array<Record<string, string>>) {
      const response = await httpJson('GET', `${metadata.adminUrl}${path}`, undefined, headers);
      assert.equal(response.status, 401, `${path} with ${JSON.stringify(headers)}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
    }
  }
});

test('a bad seconds is a 400 problem naming query.seconds', async () => {
  for (const seconds of ['0', '61', 'ten', '1.5', '-3']) {
    const response = await httpJson('GET', `${metadata.adminUrl}/debug/pprof/profile?seconds=${seconds}`, undefined, auth);
    assert.equal(response.status, 400, `seconds=${seconds}`);
    assert.equal((response.body as { errors: Array<{ field: string }> }).errors[0]?.field, 'query.seconds');
  }
});

test('heap snapshots are off by default, with a message saying how to turn them on', async () => {
  const response = await httpJson('GET', `${metadata.adminUrl}/debug/heapsnapshot`, undefined, auth);
  assert.equal(response.status, 403);
  assert.match((response.body as { detail: string }).detail, /HEAP_SNAPSHOT_ENABLED=true/);
});

test('a CPU profile taken under the CPU-burn fault shows burnCpu on top, labelled with route and trace id', async () => {
  const rules = await httpJson('PUT', `${metadata.adminUrl}/admin/faults`, { rules: [{ route: '/metadata/:id', cpuBurnMs: 10 }] }, auth);
  assert.equal(rules.status, 200);
  let load = true;
  const clients = Array.from({ length: 4 }, async () => {
    while (load) await (await fetch(`${metadata.url}/metadata/tt${Math.floor(Math.random() * 1000)}`)).arrayBuffer();
  });
  try {
    const started = performance.now();
    const profiling = fetchProfile('/debug/pprof/profile?seconds=3');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = await httpJson('GET', `${metadata.adminUrl}/debug/pprof/profile?seconds=1`, undefined, auth);
    assert.equal(second.status, 409, 'one profile at a time');
    assert.match((second.body as { detail: string }).detail, /already being taken/);
    assert.equal((await httpJson('GET', `${metadata.adminUrl}/debug/pprof/heap`, undefined, auth)).status, 409);

    const { status, body, headers } = await profiling;
    assert.equal(status, 200, body.toString());
    assert.ok(performance.now() - started >= 2900, 'the profile covers the seconds asked for');
    assert.equal(headers.get('content-type'), 'application/octet-stream');
    const profile = decode(body);
    assert.deepEqual(profile.sampleType.map((type) => text(profile, type.type)), ['sample', 'wall', 'cpu']);
    const top = selfSamples(profile).filter(([name]) => name !== '(idle)' && name !== '(program)');
    assert.ok(top.slice(0, 3).some(([name]) => name === 'burnCpu'), `top frames by self samples: ${JSON.stringify(top.slice(0, 5))}`);
    const burning = profile.sample.filter((sample) => {
      const leaf = profile.location.find((location) => location.id === sample.locationId[0]);
      const fn = profile.function.find((candidate) => candidate.id === leaf?.line[0]?.functionId);
      return fn !== undefined && text(profile, fn.name) === 'burnCpu';
    });
    const count = (samples: typeof burning) => samples.reduce((sum, sample) => sum + Number(sample.value[0]), 0);
    assert.ok(count(burning) > 50, `burnCpu samples: ${count(burning)}`);
    const labelled = burning.filter((sample) => {
      const labels = labelsOf(profile, sample);
      return labels['route'] === '/metadata/:id' && /^[0-9a-f]{32}$/.test(labels['trace_id'] ?? '');
    });
    assert.ok(count(labelled) >= count(burning) * 0.9, `${count(labelled)} of ${count(burning)} burnCpu samples carry route and trace_id`);
    assert.ok(new Set(labelled.map((sample) => labelsOf(profile, sample)['trace_id'])).size > 10, 'one trace id per request');
  } finally {
    load = false;
    await Promise.all(clients);
    await httpJson('DELETE', `${metadata.adminUrl}/admin/faults`, undefined, auth);
  }
  const again = await fetchProfile('/debug/pprof/profile?seconds=1');
  assert.equal(again.status, 200, 'the slot is free again');
});

test('the heap profile decodes and has samples', async () => {
  const { status, body } = await fetchProfile('/debug/pprof/heap');
  assert.equal(status, 200);
  const profile = decode(body);
  assert.deepEqual(profile.sampleType.map((type) => `${text(profile, type.type)}/${text(profile, type.unit)}`), ['inuse_objects/count', 'inuse_space/bytes']);
  // One sample per 512 KiB allocated on average, of what is still live: how many depends on when the
  // last garbage collection ran, so only that there are some is asserted, and the bytes they stand for.
  assert.ok(profile.sample.length > 0, `${profile.sample.length} samples`);
  const bytes = profile.sample.reduce((sum, sample) => sum + Number(sample.value[1]), 0);
  assert.ok(bytes > 1024 * 1024, `${bytes} bytes of sampled live heap`);
});

test('with HEAP_SNAPSHOT_ENABLED=true a V8 heap snapshot streams', async () => {
  const enabled = await startService('metadata', { env: { ADMIN_TOKEN, HEAP_SNAPSHOT_ENABLED: 'true' } });
  try {
    const response = await fetch(`${enabled.adminUrl}/debug/heapsnapshot`, { headers: auth });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-disposition') ?? '', /\.heapsnapshot"$/);
    const snapshot = JSON.parse(await response.text()) as { snapshot: { meta: unknown; node_count: number } };
    assert.ok(snapshot.snapshot.node_count > 10_000, `${snapshot.snapshot.node_count} nodes`);
  } finally {
    await enabled.stop();
  }
});
