import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { time } from '@datadog/pprof';
import { Profile } from 'pprof-format';
import { burnCpu } from '../src/faults/cpu-burn.js';
import { profilingLabels } from '../src/profiling/labels.js';
import { isLabellingRequests, ProfileInProgressError, Profiler, ProfilingDisabledError } from '../src/profiling/profiler.js';
import { capturingLogger } from './support.js';

const { logger } = capturingLogger();
const profiler = new Profiler({ logger, heapSnapshotEnabled: true, cpuIntervalMicros: 1000 });
profiler.startHeapSampling();
after(() => profiler.stop());

function decode(gzipped: Buffer): Profile {
  assert.deepEqual([...gzipped.subarray(0, 2)], [0x1f, 0x8b], 'gzipped');
  return Profile.decode(gunzipSync(gzipped));
}

function str(profile: Profile, index: number | bigint): string {
  return profile.stringTable.strings[Number(index)] ?? '';
}

/** How many samples these are (each sample's first value is its count). */
function sampleCount(samples: Profile['sample']): number {
  return samples.reduce((sum, sample) => sum + Number(sample.value[0]), 0);
}

/** The name of the function a sample was taken in (its innermost frame). */
function leafFunction(profile: Profile, sample: Profile['sample'][number]): string {
  const location = profile.location.find((candidate) => String(candidate.id) === String(sample.locationId[0]));
  const functionId = location?.line[0]?.functionId;
  const fn = profile.function.find((candidate) => String(candidate.id) === String(functionId));
  return fn === undefined ? '' : str(profile, fn.name);
}

test('nothing samples the CPU until a profile is asked for, and the labels middleware is then a no-op', async () => {
  assert.equal(time.isStarted(), false);
  assert.equal(isLabellingRequests(), false);
  let called = false;
  await profilingLabels({ routerPath: '/x' } as never, () => {
    called = true;
    assert.throws(() => time.getContext(), /not started/, 'no profiler context is set');
    return Promise.resolve();
  });
  assert.ok(called);
});

test('a CPU profile has labelled samples of the request that burned the CPU', async () => {
  const profiling = profiler.cpuProfile(1, new AbortController().signal);
  assert.equal(isLabellingRequests(), true);
  const deadline = performance.now() + 800;
  while (performance.now() < deadline) {
    await profilingLabels({ routerPath: '/burn/:id' } as never, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      burnCpu(20);
    });
  }
  const profile = decode((await profiling)!);
  assert.equal(time.isStarted(), false, 'the profiler stops with the profile');
  assert.deepEqual(profile.sampleType.map((type) => str(profile, type.type)), ['sample', 'wall', 'cpu']);
  // The samples taken in burnCpu, labelled with the route or not. On a loaded machine the profiler
  // takes fewer samples and counts more of the second as idle, so what is checked is that the burn's
  // samples carry the label, not how many there are.
  const burning = profile.sample.filter((sample) => leafFunction(profile, sample) === 'burnCpu');
  const labelled = burning.filter((sample) => sample.label.some((label) => str(profile, label.key) === 'route' && str(profile, label.str) === '/burn/:id'));
  assert.ok(sampleCount(labelled) >= 10, `labelled samples in burnCpu: ${sampleCount(labelled)}`);
  assert.ok(sampleCount(labelled) >= 0.9 * sampleCount(burning), `labelled samples in burnCpu: ${sampleCount(labelled)} of ${sampleCount(burning)}`);
});

test('labels=false leaves the samples unlabelled and the label middleware idle', async () => {
  const profiling = profiler.cpuProfile(1, new AbortController().signal, { labels: false });
  assert.equal(isLabellingRequests(), false);
  const deadline = performance.now() + 600;
  while (performance.now() < deadline) {
    await profilingLabels({ routerPath: '/burn/:id' } as never, () => {
      burnCpu(20);
      return Promise.resolve();
    });
  }
  const profile = decode((await profiling)!);
  const count = sampleCount(profile.sample);
  assert.ok(count > 100, `${count} samples`);
  assert.equal(profile.sample.filter((sample) => sample.label.length > 0).length, 0);
});

test('one profile at a time: a second gets 409; an aborted one stops at once and frees the slot', async () => {
  const controller = new AbortController();
  const first = profiler.cpuProfile(30, controller.signal);
  await assert.rejects(profiler.cpuProfile(1, new AbortController().signal), (error: unknown) => {
    assert.ok(error instanceof ProfileInProgressError, 'the profiler reports its own refusal; the HTTP layer maps it');
    assert.equal(error.running, 'CPU profile');
    assert.match(error.message, /CPU profile is already being taken/);
    return true;
  });
  await assert.rejects(profiler.heapProfile(), ProfileInProgressError);
  const started = performance.now();
  controller.abort();
  assert.equal(await first, undefined);
  assert.ok(performance.now() - started < 1000);
  assert.equal(time.isStarted(), false);
  decode(await profiler.heapProfile());
});

test('the heap profile decodes and has samples of live memory', async () => {
  const retained = Array.from({ length: 2000 }, (_, i) => new Array<number>(512).fill(i));
  const profile = decode(await profiler.heapProfile());
  assert.deepEqual(profile.sampleType.map((type) => str(profile, type.type)), ['inuse_objects', 'inuse_space']);
  assert.ok(profile.sample.length > 0);
  assert.ok(retained.length > 0);
});

test('heap profiles need heap sampling; snapshots need HEAP_SNAPSHOT_ENABLED (errors of the profiler, not HTTP problems)', async () => {
  const off = new Profiler({ logger, heapIntervalBytes: 0 });
  off.startHeapSampling();
  await assert.rejects(off.heapProfile(), (error: unknown) => error instanceof ProfilingDisabledError && error.kind === 'heap profile');
  assert.throws(() => off.heapSnapshot(), (error: unknown) => {
    assert.ok(error instanceof ProfilingDisabledError);
    assert.equal(error.kind, 'heap snapshot');
    assert.match(error.message, /HEAP_SNAPSHOT_ENABLED=true/);
    return true;
  });
});

test('a heap snapshot streams in the DevTools format and holds the slot while it streams', async () => {
  const stream = profiler.heapSnapshot();
  assert.throws(() => profiler.heapSnapshot(), ProfileInProgressError);
  let head = '';
  let bytes = 0;
  for await (const chunk of stream) {
    if (head.length < 20) head += String(chunk);
    bytes += (chunk as Buffer).length;
  }
  assert.match(head, /^\{"snapshot":/);
  assert.ok(bytes > 100_000, `${bytes} bytes`);
  await new Promise((resolve) => setImmediate(resolve));
  decode(await profiler.heapProfile());
});
