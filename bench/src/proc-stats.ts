import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

function statCpuSeconds(file: string): number {
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** User + system CPU seconds a process has used so far, all its threads (Linux /proc). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** The same for the process's main thread alone: the event loop, whose time per request bounds throughput. */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/**
 * A process's CPU at one moment, two ways: `/proc/<pid>/stat`'s total, which counts threads that have
 * exited but only in 10 ms ticks, and each live thread's own count in nanoseconds (`schedstat`'s first
 * field, the scheduler's sum of its time on a CPU). A window of a few hundred requests at a fixed rate
 * uses a few ticks per process: too coarse to divide by its requests.
 */
export interface CpuReading {
  pid: number;
  seconds: number;
  /** The main thread's ticks (its thread id is the process id). */
  mainThreadSeconds: number;
  /** Nanoseconds by thread id; undefined where the kernel keeps no schedstat. */
  threadNanoseconds: Map<string, number> | undefined;
}

function threadNanoseconds(pid: number): Map<string, number> | undefined {
  const threads = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const nanoseconds = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (!Number.isFinite(nanoseconds)) return undefined;
      threads.set(tid, nanoseconds);
    }
  } catch {
    // No schedstat in this kernel, or a thread gone between the listing and its read.
    return undefined;
  }
  return threads;
}

export function readCpu(pid: number): CpuReading {
  return { pid, threadNanoseconds: threadNanoseconds(pid), seconds: cpuSeconds(pid), mainThreadSeconds: mainThreadCpuSeconds(pid) };
}

/**
 * CPU seconds used between two readings of one process: from the threads' nanoseconds when every thread
 * of the first reading is still there (a thread started in between counts from zero), otherwise from the
 * ticks, which keep an exited thread's time. A thread both started and ended in between is seen by
 * neither reading of the threads; the services' threads live as long as the process.
 */
export function cpuSecondsBetween(before: CpuReading, after: CpuReading): number {
  const first = before.threadNanoseconds;
  const last = after.threadNanoseconds;
  if (first === undefined || last === undefined || [...first.keys()].some((tid) => !last.has(tid))) return after.seconds - before.seconds;
  let nanoseconds = 0;
  for (const [tid, now] of last) nanoseconds += now - (first.get(tid) ?? 0);
  return nanoseconds / 1e9;
}

/** The main thread's CPU seconds between two readings of one process: its nanoseconds where both have them, else its ticks. */
export function mainThreadCpuSecondsBetween(before: CpuReading, after: CpuReading): number {
  const tid = String(before.pid);
  const first = before.threadNanoseconds?.get(tid);
  const last = after.threadNanoseconds?.get(tid);
  return first === undefined || last === undefined ? after.mainThreadSeconds - before.mainThreadSeconds : (last - first) / 1e9;
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Where a process's resident memory lies, in MiB, by the kind of mapping that holds it (`/proc/<pid>/smaps`). */
export interface ResidentMemory {
  /** glibc's main malloc arena, `[heap]`: it shrinks only from its top, so a freed block below a live one stays resident. */
  mallocMainArena: number;
  /** glibc's per-thread malloc arenas: anonymous read-write mappings on a 64 MiB boundary, at most 64 MiB long (a heuristic). */
  mallocThreadArenas: number;
  /** Every other anonymous mapping: V8's heap pages and code, malloc blocks large enough for a mapping of their own, stacks. */
  otherAnonymous: number;
  /** Mapped files: the node binary, shared libraries. */
  files: number;
}

const MALLOC_ARENA_BYTES = 64n * 1024n * 1024n;
const MAPPING = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/;

export function residentMemory(pid: number): ResidentMemory {
  const kib = { mallocMainArena: 0, mallocThreadArenas: 0, otherAnonymous: 0, files: 0 };
  let kind: keyof ResidentMemory = 'otherAnonymous';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = MAPPING.exec(line);
    if (mapping) {
      const [, from = '0', to = '0', permissions = '', inode = '0', name = ''] = mapping;
      const start = BigInt(`0x${from}`);
      const length = BigInt(`0x${to}`) - start;
      if (name === '[heap]') kind = 'mallocMainArena';
      else if (inode !== '0') kind = 'files';
      else if (start % MALLOC_ARENA_BYTES === 0n && length <= MALLOC_ARENA_BYTES && permissions.startsWith('rw')) kind = 'mallocThreadArenas';
      else kind = 'otherAnonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kib[kind] += Number(rss[1]);
  }
  return {
    mallocMainArena: kib.mallocMainArena / 1024,
    mallocThreadArenas: kib.mallocThreadArenas / 1024,
    otherAnonymous: kib.otherAnonymous / 1024,
    files: kib.files / 1024,
  };
}
