import { SpanKind, trace, type Attributes } from '@opentelemetry/api';
import { errorType, getTelemetry, recordFailure } from '@cinemetrics/telemetry';
import type { PoolConnection, QueryOptions } from 'mysql2/promise';
import type { StatementLabels } from '../metrics/database.js';

const tracer = trace.getTracer('@cinemetrics/kit');

/** Where a pool's queries go: the attributes every one of its spans carries. */
export interface QueryTarget {
  database: string;
  host: string;
  port: number;
}

/**
 * Whether the kit makes query spans in this process: under its telemetry preload with the `mysql2`
 * instrumentation name enabled, which stands for these spans (`@cinemetrics/telemetry`'s
 * instrumentations.ts). Under another SDK setup the upstream instrumentation makes them.
 */
export function querySpansEnabled(): boolean {
  return getTelemetry()?.databaseSpans === true;
}

/** The MySQL error's code (`ER_NO_SUCH_TABLE`) and number (`1146`), or what kind of error it was. */
function failureAttributes(error: unknown): Attributes {
  const errno = (error as { errno?: unknown } | null | undefined)?.errno;
  return typeof errno === 'number' ? { 'error.type': errorType(error), 'db.response.status_code': String(errno) } : { 'error.type': errorType(error) };
}

/**
 * Runs `query` inside a `CLIENT` span named `SELECT movies` (the operation and the table), with the
 * database semantic conventions' attributes and the statement as written (its values are `?`
 * placeholders, so none reaches the span). Only under a span that records: a request the sampler left
 * out, start-up work and background work outside any request cost nothing here, as the repository's
 * own spans (`traced()`) do.
 */
export function withQuerySpan<T>(target: QueryTarget, sql: string, labels: StatementLabels, query: () => Promise<T>): Promise<T> {
  return underRecordingSpan() ? recordedQuery(target, sql, labels, query) : query();
}

function underRecordingSpan(): boolean {
  return trace.getActiveSpan()?.isRecording() === true;
}

async function recordedQuery<T>(target: QueryTarget, sql: string, labels: StatementLabels, query: () => Promise<T>): Promise<T> {
  const operation = labels.db_operation_name;
  const collection = labels.db_collection_name;
  const attributes: Attributes = {
    'db.system.name': 'mysql',
    'db.namespace': target.database,
    'db.operation.name': operation,
    'db.query.text': sql,
    'server.address': target.host,
    'server.port': target.port,
  };
  if (collection !== '') attributes['db.collection.name'] = collection;
  const span = tracer.startSpan(collection === '' ? operation : `${operation} ${collection}`, { kind: SpanKind.CLIENT, attributes });
  try {
    return await query();
  } catch (error) {
    span.setAttributes(failureAttributes(error));
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

type Query = (sql: string | QueryOptions, values?: unknown) => Promise<unknown>;

/**
 * The connection `withConnection` and `transaction` hand to their work, its `query` calls spanned as
 * the pool's are: the same connection otherwise (release, transactions, everything else pass through).
 * Under a span that does not record, the connection itself: none of its queries would get a span.
 */
export function spannedConnection(connection: PoolConnection, target: QueryTarget, labelsOf: (sql: string) => StatementLabels): PoolConnection {
  if (!underRecordingSpan()) return connection;
  // One signature for the driver's overloads: what the span needs is the statement, whatever its form.
  const original = connection.query.bind(connection) as Query;
  const query: Query = (sql, values) => {
    const statement = typeof sql === 'string' ? sql : sql.sql;
    return withQuerySpan(target, statement, labelsOf(statement), () => original(sql, values));
  };
  return new Proxy(connection, {
    get: (object, property, receiver) => (property === 'query' ? query : (Reflect.get(object, property, receiver) as unknown)),
  });
}
