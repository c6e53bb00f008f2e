import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { bodyTooLarge, DependencyOutageError, DependencyUnavailableError, malformedJson, PROBLEM_CONTENT_TYPE, ProblemError } from '../problem.js';

interface HttpErrorLike {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  limit?: number;
  message: string;
}

/** Errors thrown by Koa, the body parser and http-errors carry a status; translate the known ones. */
function fromHttpError(error: Error & HttpErrorLike): ProblemError | undefined {
  const status = error.status ?? error.statusCode;
  if (status === undefined || status < 400 || status > 599) return undefined;
  if (error.type === 'entity.too.large') return bodyTooLarge(error.limit);
  // co-body rethrows JSON.parse's (and bourne's prototype-poisoning) SyntaxError with status 400.
  if (error.type === 'entity.parse.failed' || (status === 400 && error instanceof SyntaxError)) return malformedJson();
  if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
    return new ProblemError({ status: 415, detail: error.message });
  }
  return new ProblemError({ status, ...(error.expose ? { detail: error.message } : {}) });
}

export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof DependencyOutageError) return new DependencyUnavailableError(error.dependency, error);
  if (error instanceof Error) return fromHttpError(error) ?? new ProblemError({ status: 500 });
  return new ProblemError({ status: 500 });
}

export function sendProblem(ctx: Context, problem: ProblemError): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = problem.toJSON(ctx.path);
}

/**
 * Every failure leaves as problem+json; unexpected errors are logged with their stack and answered
 * as a bare 500 so no internals leak. Empty 404/405 answers from the router become problems too.
 */
export function problemMiddleware(logger: Logger) {
  return async function problemResponses(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) sendProblem(ctx, new ProblemError({ status: 404, detail: `No route for ${ctx.method} ${ctx.path}` }));
        else if (ctx.status === 405) {
          sendProblem(ctx, new ProblemError({ status: 405, detail: `${ctx.method} is not allowed here; allowed: ${ctx.response.get('Allow')}` }));
        } else if (ctx.status === 501) sendProblem(ctx, new ProblemError({ status: 501, detail: `${ctx.method} is not implemented` }));
      }
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status >= 500) {
        logger.error({ err: error, status: problem.status }, 'request failed');
      }
      sendProblem(ctx, problem);
    }
  };
}
