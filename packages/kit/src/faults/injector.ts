import { setTimeout as delay } from 'node:timers/promises';
import type { Context, Next } from 'koa';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { routeTemplate } from '../request-context.js';
import { registry } from '../metrics/registry.js';
import { ProblemError } from '../problem.js';
import { burnCpu } from './cpu-burn.js';
import { LeakStore } from './memory-leak.js';
import { faultRuleMatches, sampleFaultLatencyMs, unknownFaultRoutes, type FaultRule, type FaultServedRoute, type UnknownFaultRoute } from './rules.js';

export const INJECTED_FAULT_TYPE = 'https://cinemetrics.dev/problems/injected-fault';

export type FaultKind = 'error' | 'latency' | 'hang' | 'cpu_burn' | 'memory_leak';

/** `fault_injections_total{fault}`: one increment per fault applied to a request. */
export const faultInjections = new Counter({
  name: 'fault_injections',
  help: 'Faults injected into requests, by kind (error, latency, hang, cpu_burn, memory_leak)',
  labelNames: ['fault'] as const,
  registers: [registry],
});

/** Raised when rules name a route the service does not serve. */
export class UnknownFaultRouteError extends Error {
  constructor(readonly problems: UnknownFaultRoute[]) {
    super(problems.map((problem) => `rules[${problem.index}].route ${problem.message}`).join('; '));
    this.name = 'UnknownFaultRouteError';
  }
}

export interface FaultInjectorOptions {
  logger: Logger;
  /** The service's public routes: rules may only name these templates (or `*`). */
  routes: readonly FaultServedRoute[];
  /** For tests: the source of errorRate and latency draws. */
  random?: () => number;
  leaks?: LeakStore;
}

export type FaultSource = 'admin' | 'environment';

interface HungRequest {
  release: (problem: ProblemError) => void;
}

function ruleKey(rule: FaultRule): string {
  return JSON.stringify(rule);
}

/**
 * Runtime-switchable faults for the public routes. `middleware` runs inside every matched route
 * (the route template is known), before validation and the handler, so an injected error is
 * answered, logged, traced and measured exactly like a real one.
 */
export class FaultInjector {
  private rules: readonly FaultRule[] = [];
  private readonly hung = new Set<HungRequest>();
  private readonly random: () => number;
  private readonly leaks: LeakStore;

  constructor(private readonly options: FaultInjectorOptions) {
    this.random = options.random ?? Math.random;
    this.leaks = options.leaks ?? new LeakStore();
  }

  get activeRules(): readonly FaultRule[] {
    return this.rules;
  }

  get leakedBytes(): number {
    return this.leaks.bytes;
  }

  /** Replaces every rule; memory leaked by rules that are gone is freed. Throws on unknown routes. */
  replace(rules: readonly FaultRule[], source: FaultSource): void {
    const unknown = unknownFaultRoutes(rules, this.options.routes);
    if (unknown.length > 0) throw new UnknownFaultRouteError(unknown);
    this.rules = [...rules];
    this.leaks.retainOnly(new Set(this.rules.filter((rule) => rule.leakKbPerRequest !== undefined).map(ruleKey)));
    this.options.logger.warn({ rules: this.rules, source }, 'fault rules changed');
  }

  /** Answers every hung request (503): used at shutdown so draining is not held up by the hang fault. */
  releaseHangs(): void {
    for (const request of [...this.hung]) {
      request.release(new ProblemError({ status: 503, detail: 'The service is shutting down', headers: { 'retry-after': '1' } }));
    }
  }

  // With no rules (the usual case) the request passes on without an async frame of its own.
  readonly middleware = (ctx: Context, next: Next): Promise<void> => (this.rules.length === 0 ? next() : this.applyMatching(ctx, next));

  private async applyMatching(ctx: Context, next: Next): Promise<void> {
    const template = routeTemplate(ctx);
    for (const rule of this.rules) {
      if (!faultRuleMatches(rule, ctx.method, template)) continue;
      await this.apply(rule, ctx, template ?? '');
    }
    await next();
  }

  private async apply(rule: FaultRule, ctx: Context, template: string): Promise<void> {
    if (rule.leakKbPerRequest !== undefined) {
      this.leaks.leakMemory(ruleKey(rule), rule.leakKbPerRequest * 1024);
      faultInjections.inc({ fault: 'memory_leak' });
    }
    if (rule.cpuBurnMs !== undefined) {
      burnCpu(rule.cpuBurnMs);
      faultInjections.inc({ fault: 'cpu_burn' });
    }
    if (rule.latency !== undefined) {
      faultInjections.inc({ fault: 'latency' });
      await delay(sampleFaultLatencyMs(rule.latency, this.random));
    }
    if (rule.hang === true) {
      faultInjections.inc({ fault: 'hang' });
      await this.hang(ctx);
    }
    if (rule.errorRate !== undefined && rule.errorRate > 0 && this.random() < rule.errorRate) {
      faultInjections.inc({ fault: 'error' });
      throw new ProblemError({
        status: 500,
        title: 'Injected fault',
        type: INJECTED_FAULT_TYPE,
        detail: `A fault injected on ${rule.method ?? 'every method'} ${rule.route} answered this request (errorRate ${rule.errorRate})`,
        extensions: { route: template },
      });
    }
  }

  /** Waits until the client closes the connection (then fails the request) or releaseHangs(). */
  private hang(ctx: Context): Promise<void> {
    return new Promise<void>((_resolve, reject) => {
      const request: HungRequest = {
        release: (problem) => {
          this.hung.delete(request);
          ctx.res.off('close', onClose);
          reject(problem);
        },
      };
      const onClose = (): void => {
        // 499, nginx's "client closed request": the client saw a timeout, the server never answered.
        request.release(new ProblemError({ status: 499, title: 'Client Closed Request', type: INJECTED_FAULT_TYPE, detail: 'An injected hang lasted until the client gave up' }));
      };
      this.hung.add(request);
      ctx.res.once('close', onClose);
      // The client may have gone during an earlier fault (latency): then 'close' has already fired.
      if (ctx.res.destroyed) onClose();
    });
  }
}
