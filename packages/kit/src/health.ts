import { withinMs } from './time-bound.js';

export interface HealthCheck {
  /** Dependency name as reported, e.g. `database`, `metadata`. */
  name: string;
  /** Resolves when the dependency is usable; rejects (or times out) when it is not. */
  check: () => Promise<void>;
  /**
   * When false, the dependency being down is reported but does not make the service unready
   * (e.g. a downstream the service degrades without). Defaults to true.
   */
  critical?: boolean;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  critical: boolean;
  duration_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable' | 'stopping';
  checks: Record<string, DependencyStatus>;
}

/** Readiness: each registered dependency is checked concurrently, each bounded by a timeout. */
export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];
  private stopping = false;

  constructor(private readonly timeoutMs = 1000) {}

  register(check: HealthCheck): void {
    this.checks.push(check);
  }

  /** From now on readiness fails, so load balancers stop sending new work while in-flight work drains. */
  markStopping(): void {
    this.stopping = true;
  }

  async report(): Promise<HealthReport> {
    const entries = await Promise.all(
      this.checks.map(async ({ name, check, critical = true }): Promise<[string, DependencyStatus]> => {
        const started = performance.now();
        const elapsed = () => Math.round(performance.now() - started);
        try {
          await withinMs(check(), this.timeoutMs, `no answer within ${this.timeoutMs} ms`);
          return [name, { status: 'up', critical, duration_ms: elapsed() }];
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return [name, { status: 'down', critical, duration_ms: elapsed(), error: message }];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const allUp = entries.every(([, status]) => status.status === 'up' || !status.critical);
    return { status: this.stopping ? 'stopping' : allUp ? 'ok' : 'unavailable', checks };
  }
}
