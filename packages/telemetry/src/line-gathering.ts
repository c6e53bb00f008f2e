import pino from 'pino';

/**
 * How long log lines gather on the main thread before they leave together, to stdout or to the
 * log-export worker. Each departure has a fixed cost: a write(2) on the main thread, or a handover that
 * wakes the worker, which then runs its stream machinery and writes stdout once per wake. At a few
 * milliseconds that fixed cost is paid every few requests; at this interval it is paid a few dozen times
 * a second, however busy the service (docs/performance.md, *The log worker's wake-ups*). Lines leave at
 * most this much later; none is lost at exit, on a crash or at a graceful shutdown (passOnAllGathered),
 * and a SIGKILL loses at most this interval's lines.
 */
export const LOG_GATHER_INTERVAL_MS = 50;

/** Past this many bytes gathered, lines leave at once: memory stays bounded under any load. */
const MAX_GATHERED_BYTES = 64 * 1024;

/** A gathering's first buffer; it doubles as lines come, up to MAX_GATHERED_BYTES. */
const FIRST_BUFFER_BYTES = 8 * 1024;

/** The most UTF-8 bytes one UTF-16 code unit of a JavaScript string can take. */
const MAX_BYTES_PER_CODE_UNIT = 3;

/** Where gathered lines go: sonic-boom in its `buffer` content mode, and thread-stream, take bytes. */
export interface ByteSink {
  write(bytes: Uint8Array): boolean;
}

/**
 * Synchronous stdout for gathered lines: one write(2) per gathering, and nothing left in flight at exit.
 * sonic-boom's types name strings only, though in this mode it takes nothing but bytes.
 */
export function stdoutForGatheredLines(): ByteSink {
  return pino.destination({ dest: 1, sync: true, contentMode: 'buffer' }) as unknown as ByteSink;
}

export interface LineGathering {
  write(this: void, line: string): void;
  /** Passes on whatever has gathered, now. */
  passOnNow(this: void): void;
}

const gatherings = new Set<LineGathering>();

/**
 * Lines gather and reach `passOn` as the UTF-8 bytes of all of them: LOG_GATHER_INTERVAL_MS after the
 * first of them, at once past MAX_GATHERED_BYTES, and at exit before any other exit hook (pino's own end
 * the streams there). Each passing-on gets a buffer of its own, which the receiver may keep.
 *
 * Each line is encoded as it is written. pino builds a line by concatenation, a tree of small strings;
 * kept until the gathering leaves, those trees survive young-generation collections and are copied by
 * them, and joining them then walks memory long out of the cache (docs/performance.md, *The access
 * line's bytes*).
 */
export function gatherLines(passOn: (lines: Buffer) => void): LineGathering {
  let gathered: Buffer | undefined;
  let length = 0;
  let timer: NodeJS.Timeout | undefined;
  const passOnNow = () => {
    clearTimeout(timer);
    timer = undefined;
    if (gathered === undefined || length === 0) return;
    const lines = gathered.subarray(0, length);
    gathered = undefined;
    length = 0;
    passOn(lines);
  };
  const gathering: LineGathering = {
    write(line) {
      const room = line.length * MAX_BYTES_PER_CODE_UNIT;
      if (length > 0 && length + room > MAX_GATHERED_BYTES) passOnNow();
      if (gathered === undefined || length + room > gathered.length) gathered = grown(gathered, length, room);
      length += gathered.write(line, length);
      if (length >= MAX_GATHERED_BYTES) passOnNow();
      else timer ??= setTimeout(passOnNow, LOG_GATHER_INTERVAL_MS).unref();
    },
    passOnNow,
  };
  watchForExit();
  gatherings.add(gathering);
  return gathering;
}

/** A buffer with `room` bytes free after the `used` bytes of `current`, which it holds too. */
function grown(current: Buffer | undefined, used: number, room: number): Buffer {
  let size = current?.length ?? FIRST_BUFFER_BYTES;
  while (size < used + room) size *= 2;
  const buffer = Buffer.allocUnsafe(size);
  current?.copy(buffer, 0, 0, used);
  return buffer;
}

export function passOnAllGathered(): void {
  for (const gathering of gatherings) gathering.passOnNow();
}

let watchingExit = false;

function watchForExit(): void {
  if (watchingExit) return;
  watchingExit = true;
  process.prependListener('exit', passOnAllGathered);
}
