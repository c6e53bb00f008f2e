import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { createAuthProvider, type AuthProvider, type DownstreamAuth } from './auth.js';
import { DownstreamBreaker, type BreakerStateName } from './breaker.js';
import { compose, type Call, type DownstreamResponse } from './call.js';
import { DownstreamUnavailableError } from './errors.js';
import { authenticate } from './layers/auth.js';
import { throughBreaker } from './layers/breaker.js';
import { attemptDeadline, callDeadline } from './layers/deadline.js';
import { defaultHeaders, lowerCaseKeys } from './layers/headers.js';
import { retryWithBudget } from './layers/retry.js';
import { attemptMetrics, attemptSpans, callTelemetry, countAttempts } from './layers/telemetry.js';
import { attemptTarget, type AttemptTarget } from './attempt-span.js';
import { mergePolicy, type DownstreamPolicy, type DownstreamPolicyOverrides } from './policy.js';
import { Transport } from './transport.js';

export interface DownstreamOptions extends DownstreamPolicyOverrides {
  /** Scheme, host, port and an optional path prefix: `http://rating:8082`. */
  baseUrl: string;
  /** When false, the downstream being down is reported by readiness but does not make the service unready. */
  critical?: boolean;
  auth?: DownstreamAuth;
  /** Headers sent on every call to this downstream (the call's own headers win). */
  headers?: Record<string, string>;
  /** Liveness endpoint, probed by the breaker (`/.well-known/alive`). */
  healthPath?: string;
  /** Readiness endpoint, whose status this service's readiness takes (`/.well-known/health`). */
  readinessPath?: string;
}

export interface CallOptions {
  method?: string;
  /** Appended to the base URL; encode path segments yourself (`encodeURIComponent`). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** A string or bytes are sent as they are; anything else as JSON. Bodies must be replayable (no streams). */
  body?: unknown;
  /** Sent as `Idempotency-Key`; makes a POST or PATCH safe, hence retriable. */
  idempotencyKey?: string;
  /** Bound on each attempt, instead of the downstream's `timeoutMs` (the budget still wins). */
  timeoutMs?: number;
  /** This call's own budget; the caller's remaining budget still wins when it is smaller. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface DownstreamClientContext {
  logger: Logger;
  policy: DownstreamPolicy;
  /** Used for token requests (the token endpoint is another origin). */
  tokenDispatcher: Dispatcher;
}

interface DownstreamParts {
  peer: string;
  policy: DownstreamPolicy;
  logger: Logger;
  headers: Record<string, string>;
  auth: AuthProvider;
  breaker: DownstreamBreaker;
  transport: Transport;
  /** Where the attempts go, for their spans. */
  attempts: AttemptTarget;
}

/**
 * The client's layers, outermost first. A logical call is one span and one log line; it has one
 * budget and one set of headers; the retries happen inside that budget; every attempt gets fresh
 * credentials (over the default headers) and its own share of the budget, then passes the breaker
 * (which sees each attempt), is measured and traced, and goes out over the pool.
 */
export function downstreamCall({ peer, policy, logger, headers, auth, breaker, transport, attempts }: DownstreamParts): Call {
  return compose(
    [
      callTelemetry(peer, logger, () => breaker.state),
      callDeadline(policy.defaultDeadlineMs),
      defaultHeaders(headers),
      retryWithBudget(policy.retry),
      authenticate(auth),
      countAttempts,
      attemptDeadline(peer),
      throughBreaker(breaker),
      attemptMetrics(peer),
      attemptSpans(attempts),
    ],
    transport.send,
  );
}

/**
 * One registered downstream service: a keep-alive connection pool, per-attempt timeouts bounded by
 * the caller's deadline, safe retries with backoff, jitter and a retry budget, a circuit breaker,
 * authentication and default headers, composed by `downstreamCall`.
 */
export class DownstreamClient {
  readonly policy: DownstreamPolicy;
  readonly critical: boolean;
  private readonly prefix: string;
  private readonly healthPath: string;
  private readonly readinessPath: string;
  private readonly transport: Transport;
  private readonly breaker: DownstreamBreaker;
  private readonly auth: AuthProvider;
  private readonly call: Call;

  constructor(
    readonly name: string,
    readonly options: DownstreamOptions,
    clientContext: DownstreamClientContext,
  ) {
    this.policy = mergePolicy(clientContext.policy, options);
    this.critical = options.critical ?? true;
    const url = new URL(options.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.healthPath = options.healthPath ?? '/.well-known/alive';
    this.readinessPath = options.readinessPath ?? '/.well-known/health';
    this.transport = new Transport(name, url.origin, this.policy);
    this.auth = createAuthProvider(name, options.auth, clientContext.tokenDispatcher);
    this.breaker = new DownstreamBreaker({
      peer: name,
      settings: this.policy.breaker,
      logger: clientContext.logger,
      probe: () => this.checkAlive(this.policy.healthTimeoutMs),
    });
    this.call = downstreamCall({
      peer: name,
      policy: this.policy,
      logger: clientContext.logger,
      headers: lowerCaseKeys(options.headers),
      auth: this.auth,
      breaker: this.breaker,
      transport: this.transport,
      attempts: attemptTarget(name, url),
    });
  }

  get breakerState(): BreakerStateName {
    return this.breaker.state;
  }

  get(path: string, options: Omit<CallOptions, 'path' | 'method'> = {}): Promise<DownstreamResponse> {
    return this.request({ ...options, method: 'GET', path });
  }

  /**
   * Calls the downstream. Resolves with the answer whatever its status (after the retries the status
   * allowed); rejects with DownstreamUnavailableError when there was no usable answer.
   */
  request(options: CallOptions): Promise<DownstreamResponse> {
    const { body, json } = encodeBody(options.body);
    return this.call({
      method: (options.method ?? 'GET').toUpperCase(),
      path: this.buildPath(options),
      headers: lowerCaseKeys(options.headers),
      body,
      jsonBody: json,
      idempotencyKey: options.idempotencyKey,
      timeoutMs: options.timeoutMs ?? this.policy.timeoutMs,
      deadlineMs: options.deadlineMs,
      callerSignal: options.signal,
      call: { deadlineAt: Number.POSITIVE_INFINITY, signal: options.signal ?? NEVER_ABORTED, attempts: 0 },
    });
  }

  /**
   * Liveness of the downstream: `GET /.well-known/alive` answers 200 within `timeoutMs`. Outside the
   * breaker and untraced.
   */
  async checkAlive(timeoutMs = this.policy.healthTimeoutMs): Promise<void> {
    const { status } = await this.transport.probe(`${this.prefix}${this.healthPath}`, timeoutMs);
    if (status !== 200) throw new DownstreamUnavailableError(this.name, 'other', `status ${status}`);
  }

  /**
   * Readiness of the downstream, as it reports it: `GET /.well-known/health` answers 200 within
   * `timeoutMs`. A downstream that answers but is not ready itself (its database is down, it is
   * stopping) is not usable either; the reason names what it reported down. Untraced, like checkAlive.
   */
  async checkReady(timeoutMs = this.policy.healthTimeoutMs): Promise<void> {
    const { status, body } = await this.transport.probe(`${this.prefix}${this.readinessPath}`, timeoutMs);
    if (status !== 200) throw new DownstreamUnavailableError(this.name, 'other', notReadyReason(status, body));
  }

  async close(): Promise<void> {
    this.breaker.close();
    this.auth.close();
    await this.transport.close();
  }

  private buildPath(options: CallOptions): string {
    const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(key, String(value));
    const search = query.toString();
    return `${this.prefix}${path}${search === '' ? '' : `?${search}`}`;
  }
}

/** Stands in for a missing caller signal until the deadline layer sets the call's own. */
const NEVER_ABORTED = new AbortController().signal;

function encodeBody(body: unknown): { body: string | Buffer | undefined; json: boolean } {
  if (body === undefined) return { body: undefined, json: false };
  if (typeof body === 'string') return { body, json: false };
  if (body instanceof Uint8Array) return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength), json: false };
  return { body: JSON.stringify(body), json: true };
}

/**
 * Why a downstream is not ready, from its health report (`{status, checks: {name: {status, critical}}}`):
 * `status 503, unavailable (down: database)`. Only names and statuses are taken from the body.
 */
function notReadyReason(status: number, body: unknown): string {
  const report = body as { status?: unknown; checks?: Record<string, { status?: unknown; critical?: unknown }> } | undefined;
  const reported = typeof report?.status === 'string' && /^[a-z_]{1,32}$/.test(report.status) ? `, ${report.status}` : '';
  const down = Object.entries(report?.checks ?? {})
    .filter(([name, check]) => check?.status === 'down' && check.critical !== false && /^[\w.-]{1,64}$/.test(name))
    .map(([name]) => name);
  return `status ${status}${reported}${down.length > 0 ? ` (down: ${down.join(', ')})` : ''}`;
}
