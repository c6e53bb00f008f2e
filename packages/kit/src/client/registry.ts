import type { Logger } from 'pino';
import type { Agent } from 'undici';
import type { HealthRegistry } from '../health.js';
import { componentLogger } from '../logger.js';
import type { ShutdownHook } from '../service.js';
import { DownstreamClient, type DownstreamOptions } from './client.js';
import { UnknownDownstreamError } from './errors.js';
import { DEFAULT_DOWNSTREAM_POLICY, type DownstreamPolicy } from './policy.js';
import { undici } from './undici.js';

export interface DownstreamRegistryOptions {
  logger: Logger;
  /** When given, every registered downstream gets a readiness check: the downstream's own readiness (`/.well-known/health`). */
  health?: HealthRegistry;
  /** What every downstream starts from (`downstreamPolicyFromEnv(env)`); each registration may override parts. */
  policy?: DownstreamPolicy;
}

/**
 * The downstream services of this service, registered by name at start-up (GoFr's `AddHTTPService`)
 * and retrieved by name wherever a call is made (`GetHTTPService`). Each has its own connection pool,
 * retry budget and circuit breaker, and a readiness check.
 */
export class DownstreamRegistry {
  private readonly clients = new Map<string, DownstreamClient>();
  private readonly logger: Logger;
  private readonly policy: DownstreamPolicy;
  /** Token endpoints are other origins: one small shared agent for them, made with the first client. */
  private tokenAgent: Agent | undefined;

  constructor(private readonly options: DownstreamRegistryOptions) {
    this.logger = componentLogger(options.logger, 'downstream');
    this.policy = options.policy ?? DEFAULT_DOWNSTREAM_POLICY;
  }

  register(name: string, options: DownstreamOptions): DownstreamClient {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name)) throw new Error(`downstream name "${name}" must be lower-case letters, digits, _ or -`);
    if (this.clients.has(name)) throw new Error(`downstream "${name}" is already registered`);
    this.tokenAgent ??= new (undici().Agent)({ connections: 4, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000 });
    const client = new DownstreamClient(name, options, { logger: this.logger, policy: this.policy, tokenDispatcher: this.tokenAgent });
    this.clients.set(name, client);
    this.options.health?.register({ name, critical: client.critical, check: () => client.checkReady() });
    this.logger.info(
      {
        peer_service: name,
        base_url: options.baseUrl,
        critical: client.critical,
        auth: options.auth?.type ?? 'none',
        timeout_ms: client.policy.timeoutMs,
        max_attempts: client.policy.retry.maxAttempts,
      },
      'downstream service registered',
    );
    return client;
  }

  /** The downstream registered as `name`; throws UnknownDownstreamError for a name nobody registered. */
  get(name: string): DownstreamClient {
    const client = this.clients.get(name);
    if (client === undefined) throw new UnknownDownstreamError(name);
    return client;
  }

  names(): string[] {
    return [...this.clients.keys()];
  }

  /** Stops the breakers' probes and closes every pool. */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    await this.tokenAgent?.close();
  }

  shutdownHook(): ShutdownHook {
    return { name: 'close downstream connections', run: () => this.close() };
  }
}
