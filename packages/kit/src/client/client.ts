import { context, SpanStatusCode, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { DelegateBackoff, fullJitterGenerator, handleType, retry, type RetryPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import { Pool, type Dispatcher } from 'undici';
import { httpClientDuration, httpClientRetries } from '../metrics/registry.js';
import { redactQuery } from '../telemetry/query-redaction.js';
import { withSpan } from '../telemetry/spans.js';
import { createAuthProvider, type AuthProvider, type DownstreamAuth } from './auth.js';
import { CircuitOpenError, DownstreamBreaker, type BreakerStateName } from './breaker.js';
import { currentRequestScope, DEADLINE_HEADER } from './deadline.js';
import { DownstreamUnavailableError, type DownstreamFailureKind } from './errors.js';
import { mergePolicy, type DownstreamPolicy, type DownstreamPolicyOverrides } from './policy.js';
import { RetryBudget } from './retry-budget.js';

/** Methods that may be repeated without changing the result (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Statuses that say "try again": too many requests, and the gateway/unavailable family. Never 4xx otherwise, never 500. */
export const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** An attempt is not started with less than this left of the budget: it could not get an answer. */
export const MIN_ATTEMPT_MS = 5;

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

export interface DownstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Attempts sent for this call, the first included. */
  attempts: number;
  text(): string;
  /** Parses the body; throws SyntaxError when it is not JSON. */
  json(): unknown;
}

interface Outcome {
  response?: DownstreamResponse;
  error?: DownstreamUnavailableError;
  authHeaders: Record<string, string>;
}

/** Thrown inside the retry policy to make cockatiel retry after `delayMs`. */
class RetryScheduled extends Error {
  constructor(
    readonly delayMs: number,
    readonly outcome: Outcome,
  ) {
    super('retry scheduled');
  }
}

function isRetriableFailure(kind: DownstreamFailureKind): boolean {
  return kind === 'timeout' || kind === 'connection';
}

/** Breaker failures: the downstream did not answer, or answered 5xx. Not: the caller gave up, the breaker itself. */
function isBreakerFailure(error: unknown): boolean {
  return error instanceof DownstreamUnavailableError && (error.kind === 'timeout' || error.kind === 'connection' || error.kind === 'other');
}

function isBreakerFailureResult(value: unknown): boolean {
  return (value as DownstreamResponse).status >= 500;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
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

/** A bounded `error_type` label: `timeout`, an errno / undici code, or `_OTHER`. */
function errorTypeOf(error: DownstreamUnavailableError): string {
  if (error.kind === 'timeout' || error.kind === 'aborted') return error.kind;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  return '_OTHER';
}

function encodeBody(body: unknown, headers: Record<string, string>): string | Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  headers['content-type'] ??= 'application/json';
  return JSON.stringify(body);
}

function splitBaseUrl(baseUrl: string): { origin: string; prefix: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

export interface DownstreamClientContext {
  logger: Logger;
  policy: DownstreamPolicy;
  /** Used for token requests (the token endpoint is another origin). */
  tokenDispatcher: Dispatcher;
}

/**
 * One registered downstream service: a keep-alive connection pool, per-attempt timeouts bounded by
 * the caller's deadline, safe retries with backoff, jitter and a retry budget, a circuit breaker,
 * authentication and default headers. Every call is a span `Downstream/<name> <METHOD>` whose
 * children are the undici client spans of its attempts; every attempt is measured in
 * `http_client_request_duration_seconds`, every retry counted in `http_client_retries_total`.
 */
export class DownstreamClient {
  readonly policy: DownstreamPolicy;
  readonly critical: boolean;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly defaultHeaders: Record<string, string>;
  private readonly healthPath: string;
  private readonly readinessPath: string;
  private readonly breaker: DownstreamBreaker;
  private readonly budget: RetryBudget;
  private readonly retryPolicy: RetryPolicy;
  private readonly auth: AuthProvider;
  private readonly logger: Logger;

  constructor(
    readonly name: string,
    readonly options: DownstreamOptions,
    clientContext: DownstreamClientContext,
  ) {
    this.policy = mergePolicy(clientContext.policy, options);
    this.critical = options.critical ?? true;
    this.logger = clientContext.logger;
    const { origin, prefix } = splitBaseUrl(options.baseUrl);
    this.prefix = prefix;
    this.defaultHeaders = lowerCaseKeys(options.headers);
    this.healthPath = options.healthPath ?? '/.well-known/alive';
    this.readinessPath = options.readinessPath ?? '/.well-known/health';
    // Idle connections are dropped well before the services' own keep-alive (HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // 65 s by default), so the pool never writes to a socket the server is closing. Timeouts per attempt come from the abort signal; the
    // pool's own are a backstop.
    this.pool = new Pool(origin, {
      connections: this.policy.maxConnections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 4_000,
      connectTimeout: Math.max(this.policy.timeoutMs, this.policy.healthTimeoutMs),
      headersTimeout: Math.max(this.policy.timeoutMs, this.policy.defaultDeadlineMs) + 1_000,
      bodyTimeout: Math.max(this.policy.timeoutMs, this.policy.defaultDeadlineMs) + 1_000,
      maxResponseSize: this.policy.maxResponseBytes,
    });
    this.auth = createAuthProvider(name, options.auth, clientContext.tokenDispatcher);
    this.budget = new RetryBudget(this.policy.retry.budget);
    this.breaker = new DownstreamBreaker({
      peer: name,
      settings: this.policy.breaker,
      logger: this.logger,
      probe: () => this.checkAlive(this.policy.healthTimeoutMs),
      isFailure: isBreakerFailure,
      isFailureResult: isBreakerFailureResult,
    });
    this.retryPolicy = retry(handleType(RetryScheduled), {
      maxAttempts: this.policy.retry.maxAttempts - 1,
      backoff: new DelegateBackoff((retryContext) => {
        const result = retryContext.result as { error?: unknown };
        return result.error instanceof RetryScheduled ? result.error.delayMs : 0;
      }),
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
    const method = (options.method ?? 'GET').toUpperCase();
    const started = performance.now();
    const scope = currentRequestScope();
    const callerLeft = scope === undefined ? this.policy.defaultDeadlineMs : scope.deadline - started;
    const budgetMs = Math.min(callerLeft, options.deadlineMs ?? Number.POSITIVE_INFINITY);
    const deadlineAt = started + budgetMs;
    const path = this.buildPath(options);
    // What spans and log lines show of it: credential query values redacted.
    const shownPath = redactQuery(path);
    this.budget.recordCall();
    return withSpan(
      `Downstream/${this.name} ${method}`,
      {
        'peer.service': this.name,
        'http.request.method': method,
        'url.path': shownPath,
        'cinemetrics.deadline.budget_ms': Math.max(0, Math.round(budgetMs)),
        'cinemetrics.circuit_breaker.state': this.breaker.state,
      },
      (span) => this.call(span, method, path, shownPath, options, started, deadlineAt),
    );
  }

  private async call(span: Span, method: string, path: string, shownPath: string, options: CallOptions, started: number, deadlineAt: number): Promise<DownstreamResponse> {
    const signals = [AbortSignal.timeout(Math.max(0, Math.ceil(deadlineAt - performance.now())))];
    if (options.signal) signals.push(options.signal);
    const callSignal = AbortSignal.any(signals);
    const retriable = IDEMPOTENT_METHODS.has(method) || options.idempotencyKey !== undefined;
    let attempts = 0;
    let authRefreshed = false;
    const attemptOnce = async (): Promise<Outcome> => {
      attempts += 1;
      return this.attempt(method, path, options, deadlineAt, callSignal, attempts > 1);
    };
    const finish = (fields: Record<string, unknown>, failed: boolean) => {
      span.setAttributes({ 'cinemetrics.downstream.attempts': attempts, 'cinemetrics.circuit_breaker.state': this.breaker.state });
      const line = {
        peer_service: this.name,
        'http.method': method,
        'url.path': shownPath,
        attempts,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        ...fields,
      };
      if (failed) this.logger.warn(line, 'downstream call failed');
      else this.logger.info(line, 'downstream call completed');
    };

    try {
      const response = await this.retryPolicy.execute(async ({ attempt }) => {
        let outcome = await attemptOnce();
        if (outcome.response?.status === 401 && !authRefreshed && !callSignal.aborted) {
          authRefreshed = true;
          const refreshed = await this.auth.refreshAfterUnauthorized(outcome.authHeaders, callSignal).catch((error: unknown) => {
            outcome = { error: this.toUnavailable(error, 0, options.signal), authHeaders: {} };
            return false;
          });
          if (refreshed) {
            span.addEvent('credentials refreshed after 401');
            outcome = await attemptOnce();
          }
        }
        const delayMs = this.retryDelay(outcome, attempt, retriable, deadlineAt, callSignal, span);
        if (delayMs !== undefined) throw new RetryScheduled(delayMs, outcome);
        if (outcome.error) throw outcome.error;
        return outcome.response as DownstreamResponse;
      }, callSignal);
      response.attempts = attempts;
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `status ${response.status}` });
      finish({ 'http.status_code': response.status }, response.status >= 500);
      return response;
    } catch (caught) {
      // cockatiel gives up with the last RetryScheduled only if attempts and policy disagree; its outcome stands.
      if (caught instanceof RetryScheduled && caught.outcome.response !== undefined) {
        const response = caught.outcome.response;
        response.attempts = attempts;
        finish({ 'http.status_code': response.status }, response.status >= 500);
        return response;
      }
      const error = caught instanceof RetryScheduled ? caught.outcome.error : caught;
      const failure = error instanceof DownstreamUnavailableError ? error : this.toUnavailable(error, 0, options.signal);
      failure.attempts = attempts;
      finish({ kind: failure.kind, reason: failure.reason }, true);
      throw failure;
    }
  }

  /** The wait before the next attempt, or undefined when this outcome is final. */
  private retryDelay(outcome: Outcome, attempt: number, retriable: boolean, deadlineAt: number, callSignal: AbortSignal, span: Span): number | undefined {
    const status = outcome.response?.status;
    const worthRetrying =
      outcome.error !== undefined ? isRetriableFailure(outcome.error.kind) : status !== undefined && RETRIABLE_STATUSES.has(status);
    if (!worthRetrying) return undefined;
    const reason = outcome.error?.kind ?? `status ${String(status)}`;
    const skip = (why: string) => {
      span.addEvent('retry skipped', { 'cinemetrics.retry.skipped_because': why, 'cinemetrics.retry.outcome': reason });
      return undefined;
    };
    if (!retriable) return skip('method not idempotent');
    if (attempt + 1 >= this.policy.retry.maxAttempts) return skip('max attempts');
    if (callSignal.aborted) return skip('aborted');
    const [jitter] = fullJitterGenerator(attempt, {
      generator: fullJitterGenerator,
      initialDelay: this.policy.retry.baseDelayMs,
      maxDelay: this.policy.retry.maxDelayMs,
      exponent: 2,
    });
    const retryAfterMs = parseRetryAfter(outcome.response?.headers['retry-after']);
    const delayMs = Math.max(jitter, retryAfterMs ?? 0);
    if (performance.now() + delayMs + MIN_ATTEMPT_MS >= deadlineAt) return skip('deadline');
    if (!this.budget.tryAcquireRetry()) return skip('retry budget');
    span.addEvent('retry', {
      'cinemetrics.retry.attempt': attempt + 2,
      'cinemetrics.retry.delay_ms': delayMs,
      'cinemetrics.retry.outcome': reason,
      ...(retryAfterMs === undefined ? {} : { 'cinemetrics.retry.retry_after_ms': retryAfterMs }),
    });
    return delayMs;
  }

  /** One attempt through the breaker; never throws. A retry is counted when it is actually sent. */
  private async attempt(
    method: string,
    path: string,
    options: CallOptions,
    deadlineAt: number,
    callSignal: AbortSignal,
    isRetry: boolean,
  ): Promise<Outcome> {
    let authHeaders: Record<string, string> = {};
    try {
      authHeaders = await this.auth.headers(callSignal);
    } catch (error) {
      return { error: this.toUnavailable(error, 0, options.signal), authHeaders };
    }
    const remaining = deadlineAt - performance.now();
    if (remaining < MIN_ATTEMPT_MS) {
      const error = new DownstreamUnavailableError(this.name, 'deadline_exceeded', `deadline exceeded (${Math.max(0, Math.floor(remaining))} ms left)`);
      return { error, authHeaders };
    }
    const timeoutMs = Math.max(1, Math.floor(Math.min(options.timeoutMs ?? this.policy.timeoutMs, remaining)));
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.defaultHeaders,
      ...lowerCaseKeys(options.headers),
      ...authHeaders,
      [DEADLINE_HEADER]: String(timeoutMs),
    };
    const requestId = currentRequestScope()?.requestId;
    if (requestId !== undefined && headers['x-request-id'] === undefined) headers['x-request-id'] = requestId;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    const body = encodeBody(options.body, headers);
    try {
      const response = await this.breaker.execute(() => {
        if (isRetry) httpClientRetries.inc({ peer_service: this.name });
        return this.send(method, path, headers, body, timeoutMs, callSignal, options.signal);
      });
      return { response, authHeaders };
    } catch (error) {
      return { error: this.toUnavailable(error, timeoutMs, options.signal), authHeaders };
    }
  }

  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    timeoutMs: number,
    callSignal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<DownstreamResponse> {
    const started = performance.now();
    const observe = (status: string, errorType: string) =>
      httpClientDuration.observe(
        { peer_service: this.name, http_request_method: method, http_response_status_code: status, error_type: errorType },
        (performance.now() - started) / 1000,
      );
    try {
      const response = await this.pool.request({
        path,
        method,
        headers,
        body: body ?? null,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), callSignal]),
      });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      const status = response.statusCode;
      observe(String(status), status >= 400 ? String(status) : '');
      return {
        status,
        headers: response.headers,
        body: bytes,
        attempts: 0,
        text: () => bytes.toString('utf8'),
        json: () => JSON.parse(bytes.toString('utf8')) as unknown,
      };
    } catch (caught) {
      const error = this.toUnavailable(caught, timeoutMs, callerSignal);
      observe('', errorTypeOf(error));
      throw error;
    }
  }

  /** Maps anything thrown by undici, the breaker or the token source to DownstreamUnavailableError. */
  private toUnavailable(error: unknown, timeoutMs: number, callerSignal: AbortSignal | undefined): DownstreamUnavailableError {
    if (error instanceof DownstreamUnavailableError) return error;
    if (error instanceof CircuitOpenError) return new DownstreamUnavailableError(this.name, 'circuit_open', error.message, { cause: error });
    if (callerSignal?.aborted) return new DownstreamUnavailableError(this.name, 'aborted', 'aborted by the caller', { cause: error });
    const code = (error as { code?: unknown } | undefined)?.code;
    const name = (error as { name?: unknown } | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_ABORTED') {
      return new DownstreamUnavailableError(this.name, 'timeout', `no answer within ${timeoutMs} ms`, { cause: error });
    }
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return new DownstreamUnavailableError(this.name, 'other', `response larger than ${this.policy.maxResponseBytes} bytes`, { cause: error });
    }
    return new DownstreamUnavailableError(this.name, 'connection', describeError(error), { cause: error });
  }

  /**
   * Liveness of the downstream: `GET /.well-known/alive` answers 200 within `timeoutMs`. Outside the
   * breaker and untraced (probes every few seconds would bury the traces that matter).
   */
  async checkAlive(timeoutMs = this.policy.healthTimeoutMs): Promise<void> {
    const { status } = await this.probe(this.healthPath, timeoutMs);
    if (status !== 200) throw new DownstreamUnavailableError(this.name, 'other', `status ${status}`);
  }

  /**
   * Readiness of the downstream, as it reports it: `GET /.well-known/health` answers 200 within
   * `timeoutMs`. A downstream that answers but is not ready itself (its database is down, it is
   * stopping) is not usable either; the reason names what it reported down. Untraced, like checkAlive.
   */
  async checkReady(timeoutMs = this.policy.healthTimeoutMs): Promise<void> {
    const { status, body } = await this.probe(this.readinessPath, timeoutMs);
    if (status !== 200) throw new DownstreamUnavailableError(this.name, 'other', notReadyReason(status, body));
  }

  /** One untraced GET outside the breaker; the body parsed as JSON when it is JSON. */
  private async probe(path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
    try {
      const response = await context.with(suppressTracing(context.active()), () =>
        this.pool.request({ path: `${this.prefix}${path}`, method: 'GET', signal: AbortSignal.timeout(timeoutMs) }),
      );
      const text = await response.body.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.statusCode, body };
    } catch (error) {
      throw this.toUnavailable(error, timeoutMs, undefined);
    }
  }

  async close(): Promise<void> {
    this.breaker.close();
    this.auth.close();
    await this.pool.close();
  }

  private buildPath(options: CallOptions): string {
    const path = options.path.startsWith('/') ? options.path : `/${options.path}`;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(key, String(value));
    const search = query.toString();
    return `${this.prefix}${path}${search === '' ? '' : `?${search}`}`;
  }
}
