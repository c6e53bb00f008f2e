import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/** Something that knows how late the event loop currently runs, in milliseconds. */
export interface EventLoopDelaySource {
  delayMs(): number;
}

export interface EventLoopDelayMonitorOptions {
  /** How often the recent delay is summarised; default 500 ms. */
  sampleIntervalMs?: number;
  /** Timer resolution of the underlying histogram; default 10 ms. */
  resolutionMs?: number;
}

/**
 * The event loop's recent lag: every sample interval, the mean delay of node's event-loop delay
 * histogram over that interval, less the timer resolution (an idle loop then reads about 0).
 * A mean rather than a maximum: one garbage collection pause should not shed a whole interval's
 * traffic, a loop that is late on every turn should.
 */
export class EventLoopDelayMonitor implements EventLoopDelaySource {
  private readonly histogram: ELDHistogram;
  private readonly resolutionMs: number;
  private readonly timer: NodeJS.Timeout;
  private current = 0;

  constructor(options: EventLoopDelayMonitorOptions = {}) {
    this.resolutionMs = options.resolutionMs ?? 10;
    this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), options.sampleIntervalMs ?? 500);
    this.timer.unref();
  }

  delayMs(): number {
    return this.current;
  }

  /** Summarises the delay since the previous sample and starts a new interval. */
  sample(): void {
    if (this.histogram.count > 0) this.current = Math.max(0, this.histogram.mean / 1e6 - this.resolutionMs);
    this.histogram.reset();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
