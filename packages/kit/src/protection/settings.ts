import { ConfigError } from '../config-error.js';

/**
 * How many may wait for each slot of a bounded resource (the MySQL pool's connections, auth's password
 * checks) before more are refused at once: overload becomes fast 503s instead of unbounded memory and
 * latency.
 */
export const WAITING_PER_SLOT = 50;

/** What the public listener refuses before any handler work; every policy is optional. */
export interface InboundProtectionSettings {
  /** Token bucket for the whole instance; absent: no rate limit. */
  rateLimit?: { ratePerSecond: number; burst: number };
  /** The most requests in flight at once; absent: no concurrency limit. */
  maxInFlight?: number;
  /** Shed while the event loop runs later than this on average; absent: off. */
  eventLoopDelayLimitMs?: number;
}

/** The variables read here, as `loadConfig` parsed them. */
interface ProtectionEnv {
  RATE_LIMIT_RPS: number;
  RATE_LIMIT_BURST?: number | undefined;
  MAX_IN_FLIGHT: number;
  EVENT_LOOP_DELAY_LIMIT_MS: number;
}

/**
 * The inbound protection the environment asks for. `RATE_LIMIT_RPS` unset or 0 turns rate limiting
 * off; the burst defaults to one second's worth (at least 1). `MAX_IN_FLIGHT` 0 and
 * `EVENT_LOOP_DELAY_LIMIT_MS` 0 turn their policy off. A burst without a rate is a mistake worth
 * stopping for, not a setting to ignore.
 */
export function protectionSettingsFromEnv(env: ProtectionEnv): InboundProtectionSettings {
  const rate = env.RATE_LIMIT_RPS;
  if (rate === 0 && env.RATE_LIMIT_BURST !== undefined) {
    throw new ConfigError(['RATE_LIMIT_BURST: is set but RATE_LIMIT_RPS is not; set RATE_LIMIT_RPS above 0 to turn the rate limit on']);
  }
  return {
    ...(rate > 0 ? { rateLimit: { ratePerSecond: rate, burst: env.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(rate)) } } : {}),
    ...(env.MAX_IN_FLIGHT > 0 ? { maxInFlight: env.MAX_IN_FLIGHT } : {}),
    ...(env.EVENT_LOOP_DELAY_LIMIT_MS > 0 ? { eventLoopDelayLimitMs: env.EVENT_LOOP_DELAY_LIMIT_MS } : {}),
  };
}
