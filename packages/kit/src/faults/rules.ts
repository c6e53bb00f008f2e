import { z } from 'zod';

/**
 * Fault rules: what to break, on which public route. The same JSON is accepted by
 * `PUT /admin/faults` and by the `FAULTS` environment variable at start-up (docs/faults.md).
 */

const MAX_LATENCY_MS = 300_000;
const milliseconds = z.number().min(0).max(MAX_LATENCY_MS);

export const faultLatencySchema = z.union(
  [
    z.strictObject({ fixedMs: milliseconds }),
    z
      .strictObject({ minMs: milliseconds, maxMs: milliseconds })
      .refine((value) => value.minMs <= value.maxMs, { path: ['maxMs'], message: 'must be at least minMs' }),
    z.strictObject({ meanMs: milliseconds, stddevMs: milliseconds }),
  ],
  { error: 'must be {"fixedMs": n}, {"minMs": a, "maxMs": b} or {"meanMs": m, "stddevMs": s}, in milliseconds' },
);
export type LatencyFault = z.infer<typeof faultLatencySchema>;

export const FAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const faultRuleSchema = z
  .strictObject({
    /** `*` for every public route, or a route template exactly as the service declares it (`/metadata/:id`). */
    route: z.union([
      z.literal('*'),
      z.string().max(200).regex(/^\/\S*$/, 'must be * or a route template starting with /, e.g. /movies/:id'),
    ]),
    method: z.enum(FAULT_METHODS).optional(),
    /** Share of matching requests answered 500 (problem type injected-fault). */
    errorRate: z.number().min(0).max(1).optional(),
    latency: faultLatencySchema.optional(),
    /** Never answer until the client gives up or the service shuts down. */
    hang: z.boolean().optional(),
    /** Synchronous busy loop of this many milliseconds per matching request (`burnCpu`). */
    cpuBurnMs: z.number().int().min(1).max(10_000).optional(),
    /** Retain this many KiB per matching request until the rule is removed. */
    leakKbPerRequest: z.number().int().min(1).max(10_240).optional(),
  })
  .refine(
    (rule) =>
      rule.errorRate !== undefined ||
      rule.latency !== undefined ||
      rule.hang === true ||
      rule.cpuBurnMs !== undefined ||
      rule.leakKbPerRequest !== undefined,
    { message: 'a rule needs at least one fault: errorRate, latency, hang, cpuBurnMs or leakKbPerRequest' },
  );
export type FaultRule = z.infer<typeof faultRuleSchema>;

export const faultSetSchema = z.strictObject({ rules: z.array(faultRuleSchema).max(50) });
export type FaultSet = z.infer<typeof faultSetSchema>;

/** The `FAULTS` variable: the JSON text of a fault set, parsed then validated like the admin body. */
export const faultsEnvironmentSchema = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON like {"rules":[{"route":"*","errorRate":0.1}]}' });
      return z.NEVER;
    }
  })
  .pipe(faultSetSchema);

/** A route the service serves, as declared (lower-case Koa method names are accepted). */
export interface FaultServedRoute {
  method: string;
  path: string;
}

/** One rule whose route the service does not serve, with the message to report. */
export interface UnknownFaultRoute {
  index: number;
  message: string;
}

/**
 * Rules must name a route the service has: a typo such as `/movies/{id}` would otherwise silently
 * inject nothing.
 */
export function unknownFaultRoutes(rules: readonly FaultRule[], served: readonly FaultServedRoute[]): UnknownFaultRoute[] {
  const templates = [...new Set(served.map((route) => route.path))];
  return rules.flatMap((rule, index) =>
    rule.route === '*' || templates.includes(rule.route)
      ? []
      : [{ index, message: `is not a route of this service; use * or one of: ${templates.join(', ')}` }],
  );
}

/** Whether a rule applies to a request that matched `template` (undefined: no route matched). */
export function faultRuleMatches(rule: FaultRule, method: string, template: string | undefined): boolean {
  if (template === undefined) return false;
  if (rule.method !== undefined && rule.method !== method.toUpperCase()) return false;
  return rule.route === '*' || rule.route === template;
}

/** One draw of the configured latency in milliseconds; normal draws are clamped at 0. */
export function sampleFaultLatencyMs(latency: LatencyFault, random: () => number = Math.random): number {
  if ('fixedMs' in latency) return latency.fixedMs;
  if ('minMs' in latency) return latency.minMs + random() * (latency.maxMs - latency.minMs);
  // Box-Muller; 1 - random() is in (0, 1], so the logarithm is finite.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(MAX_LATENCY_MS, Math.max(0, latency.meanMs + latency.stddevMs * normal));
}
