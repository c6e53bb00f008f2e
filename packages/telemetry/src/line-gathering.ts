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

/** Past this many characters gathered, lines leave at once: memory stays bounded under any load. */
const MAX_GATHERED_CHARS = 64 * 1024;

export interface LineGathering {
  write(this: void, line: string): void;
  /** Passes on whatever has gathered, now. */
  passOnNow(this: void): void;
}

const gatherings = new Set<LineGathering>();

/**
 * Lines gather and reach `passOn` joined in one string: LOG_GATHER_INTERVAL_MS after the first of them,
 * at once past MAX_GATHERED_CHARS, and at exit before any other exit hook (pino's own end the streams
 * there).
 */
export function gatherLines(passOn: (lines: string) => void): LineGathering {
  let gathered = '';
  let timer: NodeJS.Timeout | undefined;
  const passOnNow = () => {
    clearTimeout(timer);
    timer = undefined;
    if (gathered === '') return;
    const lines = gathered;
    gathered = '';
    passOn(lines);
  };
  const gathering: LineGathering = {
    write(line) {
      gathered += line;
      if (gathered.length >= MAX_GATHERED_CHARS) passOnNow();
      else timer ??= setTimeout(passOnNow, LOG_GATHER_INTERVAL_MS).unref();
    },
    passOnNow,
  };
  watchForExit();
  gatherings.add(gathering);
  return gathering;
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
