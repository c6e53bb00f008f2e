import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import { encode, heap, time } from '@datadog/pprof';
import type { Logger } from 'pino';

/** Defaults of the profiling variables (docs/profiling.md explains the costs). */
export const PROFILING_DEFAULTS = {
  /** 100 Hz, as Go's CPU profiler: about one sample per 10 ms of wall time on the main thread. */
  cpuIntervalMicros: 10_000,
  /** One heap sample per 512 KiB allocated on average, as dd-trace does in production. */
  heapIntervalBytes: 512 * 1024,
  heapStackDepth: 64,
  heapSnapshotEnabled: false,
} as const;

export const CPU_PROFILE_DEFAULT_SECONDS = 10;
export const CPU_PROFILE_MAX_SECONDS = 60;

export interface ProfilerOptions {
  logger: Logger;
  /** Sampling interval of CPU profiles in microseconds. */
  cpuIntervalMicros?: number;
  /** Average bytes between heap samples; 0 turns heap sampling (and /debug/pprof/heap) off. */
  heapIntervalBytes?: number;
  heapStackDepth?: number;
  /** `/debug/heapsnapshot` answers only when true. */
  heapSnapshotEnabled?: boolean;
}

export type ProfileKind = 'CPU profile' | 'heap profile' | 'heap snapshot';

/** Another profile is being taken: one at a time per process. */
export class ProfileInProgressError extends Error {
  constructor(readonly running: ProfileKind) {
    super(`A ${running} is already being taken in this process; one profile at a time — retry when it has finished`);
    this.name = 'ProfileInProgressError';
  }
}

/** This process was configured without what the asked-for profile needs. */
export class ProfilingDisabledError extends Error {
  constructor(
    readonly kind: 'heap profile' | 'heap snapshot',
    message: string,
  ) {
    super(message);
    this.name = 'ProfilingDisabledError';
  }
}

let labelling = false;

/** True while a CPU profile with labels is being taken: request labels are attached only then. */
export function isLabellingRequests(): boolean {
  return labelling;
}

/**
 * The process's profiles: CPU (on demand, one at a time), sampled heap (sampling from boot) and V8
 * heap snapshots (when enabled). Nothing samples the CPU unless a profile was asked for.
 */
export class Profiler {
  private running: ProfileKind | undefined;
  private heapSampling = false;
  private readonly cpuIntervalMicros: number;
  private readonly heapIntervalBytes: number;
  private readonly heapStackDepth: number;
  private readonly heapSnapshotEnabled: boolean;

  constructor(private readonly options: ProfilerOptions) {
    this.cpuIntervalMicros = options.cpuIntervalMicros ?? PROFILING_DEFAULTS.cpuIntervalMicros;
    this.heapIntervalBytes = options.heapIntervalBytes ?? PROFILING_DEFAULTS.heapIntervalBytes;
    this.heapStackDepth = options.heapStackDepth ?? PROFILING_DEFAULTS.heapStackDepth;
    this.heapSnapshotEnabled = options.heapSnapshotEnabled ?? PROFILING_DEFAULTS.heapSnapshotEnabled;
  }

  /** Starts V8's sampling heap profiler (at boot), unless HEAP_PROFILE_INTERVAL_BYTES is 0. */
  startHeapSampling(): void {
    if (this.heapIntervalBytes === 0 || this.heapSampling) return;
    heap.start(this.heapIntervalBytes, this.heapStackDepth);
    this.heapSampling = true;
  }

  stop(): void {
    if (this.heapSampling) heap.stop();
    this.heapSampling = false;
  }

  /**
   * Samples the CPU for `seconds` (or until `signal` aborts: the caller went away) and returns the
   * gzipped pprof protobuf; undefined when aborted. With `labels` (the default), samples taken while
   * a request was running carry its `route` and `trace_id` labels, at a cost per request.
   */
  async cpuProfile(seconds: number, signal: AbortSignal, { labels = true }: { labels?: boolean } = {}): Promise<Buffer | undefined> {
    const release = this.acquire('CPU profile');
    const started = performance.now();
    try {
      // withContexts + useCPED: labels follow the request through async hops (AsyncContextFrame, Node 24);
      // contexts are also what CPU time per sample is collected with, so they are on even without labels.
      time.start({ intervalMicros: this.cpuIntervalMicros, withContexts: true, useCPED: true, collectCpuTime: true });
      labelling = labels;
      this.options.logger.info({ seconds, interval_us: this.cpuIntervalMicros, labels }, 'cpu profile started');
      try {
        await delay(seconds * 1000, undefined, { signal });
      } catch {
        // Aborted: the client went away; stop at once.
      } finally {
        labelling = false;
      }
      const profile = time.stop();
      if (signal.aborted) {
        this.options.logger.info({ duration_ms: Math.round(performance.now() - started) }, 'cpu profile abandoned by the client');
        return undefined;
      }
      const encoded = await encode(profile);
      this.options.logger.info({ seconds, bytes: encoded.length, samples: profile.sample.length }, 'cpu profile finished');
      return encoded;
    } finally {
      labelling = false;
      if (time.isStarted()) time.stop();
      release();
    }
  }

  /** The live heap as sampled since boot, as a gzipped pprof protobuf (inuse_objects, inuse_space). */
  async heapProfile(): Promise<Buffer> {
    if (!this.heapSampling) {
      throw new ProfilingDisabledError('heap profile', 'Heap sampling is off in this process (HEAP_PROFILE_INTERVAL_BYTES=0); no heap profile to give');
    }
    const release = this.acquire('heap profile');
    try {
      const encoded = await encode(heap.profile());
      this.options.logger.info({ bytes: encoded.length }, 'heap profile taken');
      return encoded;
    } finally {
      release();
    }
  }

  /**
   * A V8 heap snapshot as a stream (Chrome DevTools format). Taking it pauses the process and can
   * double its memory, hence off unless HEAP_SNAPSHOT_ENABLED=true.
   */
  heapSnapshot(): Readable {
    if (!this.heapSnapshotEnabled) {
      throw new ProfilingDisabledError(
        'heap snapshot',
        'Heap snapshots are disabled: set HEAP_SNAPSHOT_ENABLED=true to enable them (a snapshot pauses the process and can double its memory)',
      );
    }
    const release = this.acquire('heap snapshot');
    const started = performance.now();
    let stream: Readable;
    try {
      stream = v8.getHeapSnapshot();
    } catch (error) {
      release();
      throw error;
    }
    this.options.logger.warn({ pause_ms: Math.round(performance.now() - started) }, 'heap snapshot taken');
    stream.once('close', release);
    return stream;
  }

  private acquire(kind: ProfileKind): () => void {
    if (this.running !== undefined || time.isStarted()) {
      throw new ProfileInProgressError(this.running ?? 'CPU profile');
    }
    this.running = kind;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running = undefined;
    };
  }
}
