import type Router from '@koa/router';
import type Koa from 'koa';
import { strictRouter } from '../http/route.js';
import { parseInput } from '../http/validation.js';
import { validationFailed } from '../problem.js';
import { UnknownFaultRouteError, type FaultInjector } from './injector.js';
import { faultSetSchema } from './rules.js';

/**
 * `/admin/faults` on the admin port (admin token required): GET the rules, PUT `{"rules":[...]}` to
 * replace them all, DELETE to remove them all.
 */
export function faultsRouter(faults: FaultInjector, access: Koa.Middleware): Router {
  const router = strictRouter();
  router.use(access);
  router.get('getFaults', '/admin/faults', function getFaults(ctx) {
    ctx.set('cache-control', 'no-store');
    ctx.body = { rules: faults.activeRules };
  });
  router.put('putFaults', '/admin/faults', function putFaults(ctx) {
    const { rules } = parseInput(faultSetSchema, (ctx.request as { body?: unknown }).body, 'body');
    try {
      faults.replace(rules, 'admin');
    } catch (error) {
      if (!(error instanceof UnknownFaultRouteError)) throw error;
      throw validationFailed(
        error.problems.map((problem) => ({ field: `body.rules[${problem.index}].route`, rule: 'unknown_route', message: problem.message })),
      );
    }
    ctx.body = { rules: faults.activeRules };
  });
  router.delete('deleteFaults', '/admin/faults', function deleteFaults(ctx) {
    faults.replace([], 'admin');
    ctx.status = 204;
  });
  return router;
}
