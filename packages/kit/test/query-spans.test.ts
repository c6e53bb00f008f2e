import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '@cinemetrics/testing';
import { Database } from '../src/mysql/database.js';
import { capturingLogger } from './support.js';

let mariadb: MariaDb;
let database: Database;
let unspanned: Database;
const exporter = new InMemorySpanExporter();
const tracer = trace.getTracer('query-spans-test');
const { logger } = capturingLogger();

before(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
  );
  mariadb = await startMariaDb();
  database = await Database.open({ url: mariadb.url, database: 'kit_spans', poolSize: 2, logger, querySpans: true });
  unspanned = await Database.open({ url: mariadb.url, database: 'kit_spans', poolSize: 1, logger, querySpans: false });
  await database.execute('CREATE TABLE movies (id VARCHAR(16) PRIMARY KEY, title VARCHAR(200) NOT NULL)');
  await database.execute('INSERT INTO movies (id, title) VALUES (?, ?)', ['tt0113277', 'Heat']);
});

after(async () => {
  await database.close();
  await unspanned.close();
  await mariadb.dispose();
});

beforeEach(() => exporter.reset());

function inSpan<T>(parent: Span, work: () => Promise<T>): Promise<T> {
  return context.with(trace.setSpan(context.active(), parent), work);
}

const queries = () => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);

test('a query under a sampled request gets a client span: named by operation and table, the conventions’ attributes, the statement without its values', async () => {
  const request = tracer.startSpan('GET /metadata/:id');
  const rows = await inSpan(request, () => database.query<RowDataPacket>('SELECT id, title FROM movies WHERE id = ?', ['tt0113277']));
  request.end();
  assert.equal(rows[0]?.['title'], 'Heat');
  const [span, ...others] = queries();
  assert.ok(span, 'the query span is exported');
  assert.equal(others.length, 0, 'one span per query');
  assert.equal(span.name, 'SELECT movies');
  assert.equal(span.parentSpanContext?.spanId, request.spanContext().spanId, 'a child of the request’s span');
  assert.equal(span.instrumentationScope.name, '@cinemetrics/kit');
  assert.deepEqual(span.attributes, {
    'db.system.name': 'mysql',
    'db.namespace': 'kit_spans',
    'db.operation.name': 'SELECT',
    'db.collection.name': 'movies',
    'db.query.text': 'SELECT id, title FROM movies WHERE id = ?',
    'server.address': '127.0.0.1',
    'server.port': Number(new URL(mariadb.url).port),
  });
  assert.equal(span.status.code, SpanStatusCode.UNSET);
});

test('a failed query’s span says how it failed: the server’s error code and number, status ERROR, the exception', async () => {
  const request = tracer.startSpan('GET /metadata/:id');
  await assert.rejects(inSpan(request, () => database.query('SELECT id FROM missing_table WHERE id = ?', ['x'])), { code: 'ER_NO_SUCH_TABLE' });
  request.end();
  const [span] = queries();
  assert.ok(span);
  assert.equal(span.name, 'SELECT missing_table');
  assert.deepEqual([span.attributes['error.type'], span.attributes['db.response.status_code']], ['ER_NO_SUCH_TABLE', '1146']);
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.equal(span.events[0]?.name, 'exception');
});

test('queries on the connection withConnection and transaction hand out are spanned too; the connection still works as one', async () => {
  const request = tracer.startSpan('PUT /metadata/:id');
  await inSpan(request, () =>
    database.transaction(async (connection) => {
      await connection.query('UPDATE movies SET title = ? WHERE id = ?', ['Heat (1995)', 'tt0113277']);
      const [rows] = await connection.query<RowDataPacket[]>({ sql: 'SELECT title FROM movies WHERE id = ?' }, ['tt0113277']);
      assert.equal(rows[0]?.['title'], 'Heat (1995)', 'the transaction sees its own write');
    }),
  );
  request.end();
  assert.deepEqual(
    queries().map((span) => [span.name, span.attributes['db.query.text']]),
    [
      ['UPDATE movies', 'UPDATE movies SET title = ? WHERE id = ?'],
      ['SELECT movies', 'SELECT title FROM movies WHERE id = ?'],
    ],
  );
  const [[row]] = await unspanned.withConnection((connection) => connection.query<RowDataPacket[]>('SELECT title FROM movies WHERE id = ?', ['tt0113277']));
  assert.equal(row?.['title'], 'Heat (1995)', 'committed');
});

test('no span under an unsampled request, outside any request, or with query spans off', async () => {
  const unsampled = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });
  await inSpan(unsampled, () => database.query('SELECT id FROM movies WHERE id = ?', ['tt0113277']));
  await database.query('SELECT id FROM movies WHERE id = ?', ['tt0113277']);
  const request = tracer.startSpan('GET /metadata/:id');
  await inSpan(request, () => unspanned.query('SELECT id FROM movies WHERE id = ?', ['tt0113277']));
  request.end();
  assert.deepEqual(queries(), []);
});
