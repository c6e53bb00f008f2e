/**
 * The baseline: the same read (a record from an in-memory map by id) on plain Koa and @koa/router,
 * with no kit and no telemetry.
 */
import Router from '@koa/router';
import Koa from 'koa';

const records = new Map([['bench-1', { id: 'bench-1', title: 'Heat', year: 1995, description: '', director: 'Michael Mann', actors: ['Al Pacino'] }]]);
const app = new Koa();
const router = new Router();
router.get('/metadata/:id', (ctx) => {
  const record = records.get(ctx.params['id'] ?? '');
  if (!record) {
    ctx.status = 404;
    return;
  }
  ctx.body = record;
});
router.get('/.well-known/health', (ctx) => {
  ctx.body = { status: 'ok' };
});
app.use(router.routes());
app.listen(Number(process.env['PORT']), '127.0.0.1');
// Exit on SIGTERM like the services do, so `--cpu-prof` profiles of this baseline get written.
process.on('SIGTERM', () => process.exit(0));
