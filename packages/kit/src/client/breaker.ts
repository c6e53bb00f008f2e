import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  handleWhen,
  SamplingBreaker,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import type { Logger } from 'pino';
import { circuitBreakerState } from '../metrics/registry.js';
import type { DownstreamResponse } from './call.js';
import { DownstreamUnavailableError } from './errors.js';
import type { BreakerSettings } from './policy.js';

export type BreakerStateName = 'closed' | 'open' | 'half_open';

const STATES: readonly BreakerStateName[] = ['closed', 'open', 'half_open'];

/** Failures of the downstream: no answer, or an unusable one. Not: the caller gave up, the breaker itself. */
function isFailure(error: unknown): boolean {
  return error instanceof DownstreamUnavailableError && (error.kind === 'timeout' || error.kind === 'connection' || error.kind === 'other');
}

/** A 5xx answer is a failure of the downstream (still returned to the caller); a 4xx is not. */
function isFailureResult(value: unknown): boolean {
  return (value as DownstreamResponse).status >= 500;
}

/**
 * The time cockatiel waits before letting a call through an open circuit, made conditional: it is
 * infinite until a probe of the downstream's `/.well-known/alive` succeeded, then zero. So no real
 * call reaches a downstream that does not even answer its liveness probe.
 *
 * cockatiel's half-open alone would let the first real call through after a fixed wait, whether the
 * downstream is back or not: while it stays down, every half-open period costs a user's request its
 * whole timeout (a frozen downstream answers nothing), and a downstream that restarts slowly is
 * hit by real traffic the moment its port opens. The probe is cheap, runs in the background, and
 * only a downstream that answers it gets trial calls.
 */
class ProbeGate implements IBackoff<IHalfOpenAfterBackoffContext> {
  passed = false;

  constructor(private readonly factory: IBackoffFactory<IHalfOpenAfterBackoffContext>) {}

  get duration(): number {
    return this.passed ? 0 : Number.POSITIVE_INFINITY;
  }

  next(context: IHalfOpenAfterBackoffContext): IBackoff<IHalfOpenAfterBackoffContext> {
    return this.factory.next(context);
  }
}

export interface DownstreamBreakerOptions {
  peer: string;
  settings: BreakerSettings;
  logger: Logger;
  /** Resolves when the downstream's liveness endpoint answers 200; used while open. */
  probe: () => Promise<void>;
}

/**
 * One circuit breaker per downstream, built on cockatiel's CircuitBreakerPolicy and SamplingBreaker:
 *
 * - closed: calls pass; it opens when more than `failureRatio` of the calls in the last `windowMs`
 *   failed, once there were at least `minCalls` of them;
 * - open: calls fail at once (DownstreamUnavailableError `circuit_open`); every `probeIntervalMs` the downstream's
 *   `/.well-known/alive` is probed;
 * - half-open (after a successful probe): up to `halfOpenCalls` real calls go through as trials,
 *   others fail at once; all trials succeeding closes it, one failing reopens it (and probing resumes).
 *
 * The state is exported as `circuit_breaker_state{peer_service,state}` and every transition is logged.
 */
export class DownstreamBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private gate: ProbeGate | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private exposed: BreakerStateName = 'closed';
  /** Trial calls started in the current half-open period. */
  private trialsStarted = 0;

  constructor(private readonly options: DownstreamBreakerOptions) {
    const { settings } = options;
    const gateFactory: IBackoffFactory<IHalfOpenAfterBackoffContext> = {
      next: () => {
        this.gate = new ProbeGate(gateFactory);
        return this.gate;
      },
    };
    this.policy = circuitBreaker(handleWhen(isFailure).orWhenResult(isFailureResult), {
      halfOpenAfter: gateFactory,
      // SamplingBreaker's minimum is a rate; minCalls in the window is what people reason about.
      breaker: new SamplingBreaker({
        threshold: settings.failureRatio,
        duration: settings.windowMs,
        minimumRps: settings.minCalls / (settings.windowMs / 1000),
      }),
      halfOpenSampling: { calls: settings.halfOpenCalls, threshold: 0 },
    });
    this.policy.onStateChange((state) => {
      if (state === CircuitState.HalfOpen) this.trialsStarted = 0;
      this.expose(this.stateName(), state === CircuitState.Open ? this.policy.lastFailure : undefined);
    });
    this.policy.onBreak(() => this.scheduleProbe());
    this.expose('closed');
  }

  /** The state as exported: open with a passed probe is half-open (the next calls are trials). */
  get state(): BreakerStateName {
    return this.stateName();
  }

  /**
   * Runs one attempt through the breaker. Rejects with DownstreamUnavailableError `circuit_open`
   * without calling `attempt` when the circuit is open, or half-open with every trial slot taken.
   */
  async execute<T>(attempt: () => Promise<T>): Promise<T> {
    const before = this.policy.state;
    if (before === CircuitState.Open && !this.gate?.passed) throw this.refused('circuit breaker open');
    const trial = before !== CircuitState.Closed;
    if (trial && this.trialsStarted >= this.options.settings.halfOpenCalls) {
      throw this.refused('circuit breaker half-open, trial calls taken');
    }
    // cockatiel moves an open circuit with a passed gate to half-open synchronously inside execute.
    const running = this.policy.execute(() => attempt());
    if (trial) this.trialsStarted += 1;
    try {
      return await running;
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.refused('circuit breaker open');
      throw error;
    }
  }

  private refused(reason: string): DownstreamUnavailableError {
    return new DownstreamUnavailableError(this.options.peer, 'circuit_open', reason);
  }

  /** Stops probing (at shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.probeTimer);
  }

  private stateName(): BreakerStateName {
    const state = this.policy.state;
    if (state === CircuitState.Closed) return 'closed';
    if (state === CircuitState.HalfOpen) return 'half_open';
    return this.gate?.passed ? 'half_open' : 'open';
  }

  private expose(next: BreakerStateName, failure?: unknown): void {
    for (const state of STATES) circuitBreakerState.set({ peer_service: this.options.peer, state }, state === next ? 1 : 0);
    const previous = this.exposed;
    if (previous === next) return;
    this.exposed = next;
    const fields: Record<string, unknown> = { peer_service: this.options.peer, from: previous, to: next };
    if (failure !== undefined) fields['reason'] = describeFailure(failure);
    if (next === 'open') this.options.logger.warn(fields, 'circuit breaker state changed');
    else this.options.logger.info(fields, 'circuit breaker state changed');
  }

  private scheduleProbe(): void {
    clearTimeout(this.probeTimer);
    if (this.closed) return;
    this.probeTimer = setTimeout(() => void this.runProbe(), this.options.settings.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async runProbe(): Promise<void> {
    const gate = this.gate;
    if (this.probing || this.closed || gate === undefined || gate.passed || this.policy.state !== CircuitState.Open) return;
    this.probing = true;
    try {
      await this.options.probe();
      // Still the same open period (no trial reopened it meanwhile): let trial calls through.
      if (this.gate === gate && this.policy.state === CircuitState.Open) {
        gate.passed = true;
        this.trialsStarted = 0;
        this.expose('half_open');
      }
    } catch (error) {
      this.options.logger.debug({ peer_service: this.options.peer, reason: describeFailure({ error }) }, 'circuit breaker probe failed');
      if (this.gate === gate) this.scheduleProbe();
    } finally {
      this.probing = false;
    }
  }
}

function describeFailure(failure: unknown): string {
  const reason = failure as { error?: unknown; value?: unknown } | undefined;
  const error = reason?.error;
  if (error instanceof Error) {
    const withReason = error as Error & { reason?: unknown };
    return typeof withReason.reason === 'string' ? withReason.reason : error.message;
  }
  const status = (reason?.value as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number') return `status ${status}`;
  return String(error ?? failure);
}
