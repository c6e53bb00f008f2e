import type { Logger } from 'pino';
import type { ServiceEnv } from '../config.js';
import { listenerTimeoutsFromEnv, type ListenerTimeouts } from '../http/listener.js';
import { protectionSettingsFromEnv, type InboundProtectionSettings } from '../protection/settings.js';

export interface InboundSettings {
  protection: InboundProtectionSettings;
  timeouts: ListenerTimeouts;
}

/** The inbound protection and listener timeouts in force, logged once so an operator sees what applies. */
export function inboundSettings(env: ServiceEnv, logger: Logger): InboundSettings {
  const protection = protectionSettingsFromEnv(env);
  const timeouts = listenerTimeoutsFromEnv(env);
  logger.info(
    {
      rate_limit_rps: protection.rateLimit?.ratePerSecond ?? 'off',
      rate_limit_burst: protection.rateLimit?.burst ?? 'off',
      max_in_flight: protection.maxInFlight ?? 'off',
      event_loop_delay_limit_ms: protection.eventLoopDelayLimitMs ?? 'off',
      headers_timeout_ms: timeouts.headersTimeoutMs,
      request_timeout_ms: timeouts.requestTimeoutMs,
      keep_alive_timeout_ms: timeouts.keepAliveTimeoutMs,
    },
    'inbound protection',
  );
  return { protection, timeouts };
}
