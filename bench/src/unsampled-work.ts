/**
 * bench/unsampled-work: what the instrumentations cost the work a service does while an unsampled request
 * is served, where no span records. Each case alternates arms round after round, the order rotating,
 * and reports this process's CPU time per operation, with the per-round difference to the uninstrumented
 * floor. `--parent sampled` runs the same work under a sampled parent, where the spans record.
 *
 *   npm run bench:unsampled [-- --rounds 12 --calls 4000 --queries 4000 --parent unsampled|sampled]
 *
 * 1. A downstream call through a keep-alive undici pool to a `node:http` server in another process, as
 *    the kit's client makes it: the undici instrumentation making the attempt's span and propagating
 *    (`upstream`); the kit's way (`kit`) — the client makes the attempt's span, only when it records,
 *    and puts the trace context in itself, and the instrumentation skips a request that carries one
 *    (`traceAttempt`, `carriesTraceContext`); and no instrumentation (`none`).
 * 2. A query through the kit's `Database` to a private MariaDB, as the repositories make it: the mysql2
 *    instrumentation (`upstream`), which builds the query's attributes and statement text before the
 *    sampler is asked and has no way to skip that (docs/performance.md, *Upstream hot spots*), the kit's
 *    own query spans (`kit`, `packages/kit/src/mysql/query-spans.ts`), and neither (`none`).
 *
 * Under the preload's parent-based sampler, with a remote caller of the chosen sampling; under a sampled
 * one the request has a span of its own that records, and so do the operations' spans (not exported).
 */
import path from 'node:path';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { AlwaysOffSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import pino from 'pino';
import { attemptTarget, Database, endAnsweredAttempt, traceAttempt } from '@cinemetrics/kit';
import { carriesTraceContext, traceContextFields } from '@cinemetrics/telemetry';
import { startMariaDb } from '@cinemetrics/testing';
import { Pool } from 'undici';
import { cell } from './cells.js';
import { choiceOption, numberOption, readCommandLine } from './options.js';
import { alternate, perRound } from './rounds.js';
import { median, quartiles } from './spread.js';

const { rounds, calls, queries, parent } = readCommandLine({
  rounds: numberOption(12, { min: 2, max: 100 }),
  calls: numberOption(4000, { min: 100, max: 1_000_000 }),
  queries: numberOption(4000, { min: 100, max: 1_000_000 }),
  parent: choiceOption('unsampled', ['unsampled', 'sampled']),
});

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
trace.setGlobalTracerProvider(new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }));
const undiciInstrumentation = new UndiciInstrumentation();
undiciInstrumentation.enable();
// Before mysql2 is loaded: its require hook patches the module as it loads.
const mysql2Instrumentation = new MySQL2Instrumentation();
mysql2Instrumentation.enable();

const callerSpan = trace.wrapSpanContext({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: parent === 'sampled' ? TraceFlags.SAMPLED : TraceFlags.NONE,
  isRemote: true,
});
// Under a sampled caller the request's own span records, as a service's server span would; its
// children record too, and are ended, but not exported (no span processor).
const parentSpan = parent === 'sampled' ? trace.getTracer('bench').startSpan('request', {}, trace.setSpan(ROOT_CONTEXT, callerSpan)) : callerSpan;
if (parent === 'sampled' && !parentSpan.isRecording()) throw new Error('the sampled parent does not record');

interface Arm {
  name: string;
  /** Puts the instrumentation in this arm's state. */
  prepare(): void;
  /** The `index`th operation. */
  operation(index: number): Promise<void>;
}

async function cpuMicrosPerOperation(arm: Arm, operations: number): Promise<number> {
  arm.prepare();
  return context.with(trace.setSpan(context.active(), parentSpan), async () => {
    const before = process.cpuUsage();
    for (let i = 0; i < operations; i += 1) await arm.operation(i);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / operations;
  });
}

/** Alternates the arms (the last is the floor) and prints their quartiles and their excess over the floor. */
async function compare(title: string, arms: Arm[], operations: number): Promise<void> {
  for (const arm of arms) await cpuMicrosPerOperation(arm, operations);
  const samples = await alternate(arms, rounds, async (arm) => ({ micros: await cpuMicrosPerOperation(arm, operations) }));
  const { sampleOf, overRounds } = perRound(samples, rounds);
  const floor = (arms[arms.length - 1] as Arm).name;
  console.log(`\n${title}, under a${parent === 'sampled' ? '' : 'n'} ${parent} parent: ${rounds} rounds of ${operations} per arm; CPU µs per operation of this process`);
  console.log(`${'arm'.padEnd(14)}${'q1'.padStart(9)}${'median'.padStart(9)}${'q3'.padStart(9)}   over ${floor}, median of rounds`);
  for (const { name } of arms) {
    const [q1, mid, q3] = quartiles(overRounds((round) => sampleOf(name, round).micros));
    const over = name === floor ? '' : cell(median(overRounds((round) => sampleOf(name, round).micros - sampleOf(floor, round).micros)), 1);
    console.log(`${name.padEnd(14)}${cell(q1, 1)}${cell(mid, 1)}${cell(q3, 1)}   ${over}`);
  }
}

/** What the kit's client sends besides the trace context: JSON, a bearer token, the request id. */
const HEADERS = { accept: 'application/json', authorization: `Bearer ${'x'.repeat(160)}`, 'x-request-id': 'f6c2a1de-6a3e-4a55-9d0e-1c2b3a4d5e6f' };

async function downstreamCalls(): Promise<void> {
  const server = fork(path.join(__dirname, 'unsampled-work-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const [port] = (await once(server, 'message')) as [number];
    const origin = new URL(`http://127.0.0.1:${port}`);
    const pool = new Pool(origin.origin, { connections: 1, pipelining: 1 });
    const target = attemptTarget('metadata', origin, true);
    const call = (kitSpans: boolean) => async (index: number) => {
      const path = `/metadata/tt${index}`;
      const { headers, span } = kitSpans ? traceAttempt(target, { method: 'GET', path, headers: HEADERS, resends: 0 }) : { headers: HEADERS, span: undefined };
      const response = await pool.request({ path, method: 'GET', headers });
      await response.body.arrayBuffer();
      endAnsweredAttempt(span, response.statusCode);
    };
    // The preload's configuration of the instrumentation, in every arm it is enabled.
    const fields = traceContextFields();
    const preloads = { ignoreRequestHook: (request: { headers: string | (string | string[])[] }) => carriesTraceContext(request.headers, fields) };
    await compare(
      'a downstream call (undici)',
      [
        { name: 'upstream', prepare: () => undiciInstrumentation.setConfig(preloads), operation: call(false) },
        { name: 'kit', prepare: () => undiciInstrumentation.setConfig(preloads), operation: call(true) },
        { name: 'none', prepare: () => undiciInstrumentation.setConfig({ enabled: false }), operation: call(false) },
      ],
      calls,
    );
    await pool.close();
  } finally {
    server.kill();
  }
}

const MOVIES = 1000;

async function databaseQueries(): Promise<void> {
  const mariadb = await startMariaDb();
  try {
    await mariadb.query('CREATE DATABASE bench');
    await mariadb.query('CREATE TABLE bench.movies (id VARCHAR(16) PRIMARY KEY, title VARCHAR(200) NOT NULL)');
    const rows = Array.from({ length: MOVIES }, (_, i) => [`tt${i}`, `Movie ${i}`]);
    await mariadb.query('INSERT INTO bench.movies (id, title) VALUES ?', [rows]);
    const logger = pino({ level: 'silent' });
    const open = (querySpans: boolean) => Database.open({ url: mariadb.url, database: 'bench', poolSize: 1, logger, querySpans });
    const [spanned, plain] = [await open(true), await open(false)];
    const query = (database: Database) => async (index: number) => {
      await database.query('SELECT id, title FROM movies WHERE id = ?', [`tt${index % MOVIES}`]);
    };
    await compare(
      'a database query (the kit\'s Database)',
      [
        { name: 'upstream', prepare: () => mysql2Instrumentation.enable(), operation: query(plain) },
        { name: 'kit', prepare: () => mysql2Instrumentation.disable(), operation: query(spanned) },
        { name: 'none', prepare: () => mysql2Instrumentation.disable(), operation: query(plain) },
      ],
      queries,
    );
    await Promise.all([spanned.close(), plain.close()]);
  } finally {
    await mariadb.dispose();
  }
}

async function main(): Promise<void> {
  console.log(`bench/unsampled-work, Node ${process.version}`);
  await downstreamCalls();
  await databaseQueries();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
