/**
 * bench/unsampled-work: what the instrumentations cost the work a service does while an unsampled request
 * is served, where no span records. Each case alternates arms round after round, the order rotating,
 * and reports this process's CPU time per operation, with the per-round difference to the uninstrumented
 * floor.
 *
 *   npm run bench:unsampled [-- --rounds 12 --calls 4000 --queries 4000]
 *
 * 1. A downstream call through a keep-alive undici pool to a `node:http` server in another process:
 *    the undici instrumentation doing its full work (`full`), the kit's way — the caller puts the trace
 *    context in and the instrumentation skips the call (`skipped`; `withUnsampledTraceContext`,
 *    `carriesTraceparent`) — and no instrumentation (`none`).
 * 2. A query through a mysql2 pool to a private MariaDB, as the kit's repositories make it: the mysql2
 *    instrumentation (`instrumented`), which builds the query's attributes and statement text before the
 *    sampler is asked and has no way to skip that, against none. Only upstream can remove this one
 *    (docs/performance.md, *Upstream hot spots*, the draft report).
 *
 * Both under the preload's parent-based sampler and a parent span that does not record.
 */
import path from 'node:path';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { AlwaysOffSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { carriesTraceparent, withUnsampledTraceContext } from '@cinemetrics/telemetry';
import { startMariaDb } from '@cinemetrics/testing';
import { Pool } from 'undici';
import { cell } from './cells.js';
import { numberOption, readCommandLine } from './options.js';
import { alternate, perRound } from './rounds.js';
import { median, quartiles } from './spread.js';

const { rounds, calls, queries } = readCommandLine({
  rounds: numberOption(12, { min: 2, max: 100 }),
  calls: numberOption(4000, { min: 100, max: 1_000_000 }),
  queries: numberOption(4000, { min: 100, max: 1_000_000 }),
});

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
trace.setGlobalTracerProvider(new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }));
const undiciInstrumentation = new UndiciInstrumentation();
undiciInstrumentation.enable();
// Before mysql2 is loaded: its require hook patches the module as it loads.
const mysql2Instrumentation = new MySQL2Instrumentation();
mysql2Instrumentation.enable();

const unsampledParent = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });

interface Arm {
  name: string;
  /** Puts the instrumentation in this arm's state. */
  prepare(): void;
  /** The `index`th operation. */
  operation(index: number): Promise<void>;
}

async function cpuMicrosPerOperation(arm: Arm, operations: number): Promise<number> {
  arm.prepare();
  return context.with(trace.setSpan(context.active(), unsampledParent), async () => {
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
  console.log(`\n${title}: ${rounds} rounds of ${operations} per arm; CPU µs per operation of this process`);
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
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, pipelining: 1 });
    const call = (headers: () => Record<string, string>) => async (index: number) => {
      const response = await pool.request({ path: `/metadata/tt${index}`, method: 'GET', headers: headers() });
      await response.body.arrayBuffer();
    };
    await compare(
      'a downstream call (undici)',
      [
        { name: 'full', prepare: () => undiciInstrumentation.setConfig({}), operation: call(() => HEADERS) },
        {
          name: 'skipped',
          prepare: () => undiciInstrumentation.setConfig({ ignoreRequestHook: (request) => carriesTraceparent(request.headers) }),
          operation: call(() => withUnsampledTraceContext(HEADERS)),
        },
        { name: 'none', prepare: () => undiciInstrumentation.setConfig({ enabled: false }), operation: call(() => HEADERS) },
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
    const mysql = (await import('mysql2/promise')).default;
    const pool = mysql.createPool({ uri: mariadb.url, database: 'bench', connectionLimit: 1, timezone: 'Z' });
    const query = async (index: number) => {
      await pool.query({ sql: 'SELECT id, title FROM movies WHERE id = ?', timeout: 5000 }, [`tt${index % MOVIES}`]);
    };
    await compare(
      'a database query (mysql2)',
      [
        { name: 'instrumented', prepare: () => mysql2Instrumentation.enable(), operation: query },
        { name: 'none', prepare: () => mysql2Instrumentation.disable(), operation: query },
      ],
      queries,
    );
    await pool.end();
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
