import { STATUS_CODES } from 'node:http';

/** One failed rule on one field, as returned in a problem's `errors` member. */
export interface FieldError {
  /** Where the value came from and its path, e.g. `body.actors[2]`, `query.limit`, `path.id`. */
  field: string;
  /** The rule that failed, e.g. `too_big`, `invalid_type`, `required`. */
  rule: string;
  message: string;
}

export interface ProblemInit {
  status: number;
  title?: string;
  detail?: string;
  /** A URI naming the problem type; `about:blank` when the status says it all. */
  type?: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error that is answered as an RFC 9457 `application/problem+json` document.
 * Anything thrown that is not a ProblemError is answered as a bare 500.
 */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(init: ProblemInit) {
    super(init.detail ?? init.title ?? STATUS_CODES[init.status] ?? 'Error', { cause: init.cause });
    this.name = 'ProblemError';
    this.status = init.status;
    this.title = init.title ?? STATUS_CODES[init.status] ?? 'Error';
    this.detail = init.detail;
    this.type = init.type ?? 'about:blank';
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(instance === undefined ? {} : { instance }),
      ...this.extensions,
    };
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function notFound(detail: string): ProblemError {
  return new ProblemError({ status: 404, detail });
}

/** The base of the problem type URIs the services answer with (docs/architecture.md lists them). */
export const PROBLEM_TYPE_BASE = 'https://cinemetrics.dev/problems/';

export function validationFailed(errors: FieldError[]): ProblemError {
  const first = errors[0];
  const detail = first
    ? `${first.field}: ${first.message} (rule: ${first.rule})` +
      (errors.length > 1 ? ` and ${errors.length - 1} more` : '')
    : 'The request is not valid';
  return new ProblemError({
    status: 400,
    title: 'Invalid request',
    type: `${PROBLEM_TYPE_BASE}validation`,
    detail,
    extensions: { errors },
  });
}

/** Seconds a shed client is asked to wait: overload has no schedule to compute it from. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

/** The instance is too busy for this request now (503, `Retry-After`); `detail` says what is full. */
export function overloaded(detail: string): ProblemError {
  return new ProblemError({
    status: 503,
    type: `${PROBLEM_TYPE_BASE}overloaded`,
    title: 'Overloaded',
    detail: `${detail}; retry after ${OVERLOAD_RETRY_AFTER_SECONDS} s`,
    headers: { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) },
  });
}

/** The body is not JSON at all (a syntax error), as opposed to JSON of the wrong shape (`validation`). */
export function malformedJson(): ProblemError {
  return new ProblemError({
    status: 400,
    title: 'Malformed JSON',
    type: `${PROBLEM_TYPE_BASE}malformed-json`,
    detail: 'The request body is not valid JSON',
  });
}

/** The body does not decompress with the coding its `Content-Encoding` names. */
export function undecodableBody(encoding: string): ProblemError {
  return new ProblemError({
    status: 400,
    title: 'Undecodable body',
    type: `${PROBLEM_TYPE_BASE}undecodable-body`,
    detail: `The request body is not valid ${encoding} data (Content-Encoding: ${encoding})`,
  });
}

export function unsupportedContentEncoding(encoding: string, supported: readonly string[]): ProblemError {
  return new ProblemError({
    status: 415,
    title: 'Unsupported content encoding',
    type: `${PROBLEM_TYPE_BASE}unsupported-content-encoding`,
    detail: `Content-Encoding ${encoding} is not supported; use one of ${supported.join(', ')}`,
    headers: { 'accept-encoding': supported.filter((coding) => coding !== 'identity').join(', ') },
  });
}

export function unsupportedMediaType(mediaType = 'application/json'): ProblemError {
  return new ProblemError({
    status: 415,
    title: 'Unsupported media type',
    type: `${PROBLEM_TYPE_BASE}unsupported-media-type`,
    detail: `The request body must be ${mediaType}`,
  });
}

export function bodyTooLarge(limitBytes: number | undefined): ProblemError {
  return new ProblemError({
    status: 413,
    title: 'Request body too large',
    type: `${PROBLEM_TYPE_BASE}body-too-large`,
    detail: `The request body exceeds the limit of ${limitBytes ?? '?'} bytes`,
  });
}

/**
 * An error raised where a dependency failed, naming it: whatever throws one, a request that does not
 * handle it is answered as DependencyUnavailableError (503), never as a 500.
 */
export abstract class DependencyOutageError extends Error {
  /** How the answer names the dependency: `metadata service`. */
  abstract readonly dependency: string;
}

/**
 * A dependency (database, downstream service) cannot be used right now. Answered as 503 so callers
 * and load balancers know to retry elsewhere or later; the dependency is named, its error is not.
 */
export class DependencyUnavailableError extends ProblemError {
  readonly dependency: string;

  constructor(dependency: string, cause?: unknown) {
    super({
      status: 503,
      title: 'Dependency unavailable',
      type: 'https://cinemetrics.dev/problems/dependency-unavailable',
      detail: `The ${dependency} is unavailable; try again later`,
      extensions: { dependency },
      headers: { 'retry-after': '1' },
      cause,
    });
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
  }
}
