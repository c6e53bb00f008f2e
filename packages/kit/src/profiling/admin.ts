import type Router from '@koa/router';
import { strictRouter } from '../http/route.js';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseInput } from '../http/validation.js';
import { ProblemError } from '../problem.js';
import { CPU_PROFILE_DEFAULT_SECONDS, CPU_PROFILE_MAX_SECONDS, ProfileInProgressError, ProfilingDisabledError, type Profiler } from './profiler.js';

const cpuProfileQuery = z.object({
  seconds: z.coerce.number().int().min(1).max(CPU_PROFILE_MAX_SECONDS).default(CPU_PROFILE_DEFAULT_SECONDS),
  /** `labels=false` skips the per-request route and trace_id labels, and their cost. */
  labels: z.enum(['true', 'false']).default('true'),
});

function sendProfile(ctx: Context, body: Buffer, filename: string): void {
  ctx.type = 'application/octet-stream';
  ctx.set('content-disposition', `attachment; filename="${filename}"`);
  ctx.set('cache-control', 'no-store');
  ctx.set('x-content-type-options', 'nosniff');
  ctx.body = body;
}

/** The profiler's refusals as problems: busy is a 409, a heap profile without sampling a 404, a disabled snapshot a 403. */
function asProblem(error: unknown): unknown {
  if (error instanceof ProfileInProgressError) {
    return new ProblemError({
      status: 409,
      title: 'Profile in progress',
      type: 'https://cinemetrics.dev/problems/profile-in-progress',
      detail: error.message,
      extensions: { running: error.running },
    });
  }
  if (error instanceof ProfilingDisabledError) return new ProblemError({ status: error.kind === 'heap profile' ? 404 : 403, detail: error.message });
  return error;
}

/** Runs `work`, answering the profiler's refusals as problems. */
async function refusalsAsProblems<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asProblem(error);
  }
}

/** Aborts when the client's connection closes before the answer was sent. */
function clientGone(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Go's `/debug/pprof` for Node, on the admin port (admin token required): `profile?seconds=N` (CPU),
 * `heap` (sampled live heap) and `/debug/heapsnapshot` (V8 snapshot, off unless enabled).
 */
export function profilingRouter(profiler: Profiler, access: Koa.Middleware, service: string): Router {
  const router = strictRouter();
  router.use(access);
  router.get('cpuProfile', '/debug/pprof/profile', async function cpuProfile(ctx) {
    const { seconds, labels } = parseInput(cpuProfileQuery, ctx.query, 'query');
    const profile = await refusalsAsProblems(() => profiler.cpuProfile(seconds, clientGone(ctx), { labels: labels === 'true' }));
    if (profile === undefined) {
      // Nobody is listening any more; 499 (nginx's "client closed request") keeps the access log honest.
      throw new ProblemError({ status: 499, title: 'Client Closed Request', detail: 'The client went away before the profile was finished' });
    }
    sendProfile(ctx, profile, `${service}-cpu.pb.gz`);
  });
  router.get('heapProfile', '/debug/pprof/heap', async function heapProfile(ctx) {
    sendProfile(ctx, await refusalsAsProblems(() => profiler.heapProfile()), `${service}-heap.pb.gz`);
  });
  router.get('heapSnapshot', '/debug/heapsnapshot', async function heapSnapshot(ctx) {
    const stream = await refusalsAsProblems(() => profiler.heapSnapshot());
    ctx.type = 'application/octet-stream';
    ctx.set('content-disposition', `attachment; filename="${service}-${process.pid}-${Date.now()}.heapsnapshot"`);
    ctx.set('cache-control', 'no-store');
    ctx.body = stream;
  });
  return router;
}
