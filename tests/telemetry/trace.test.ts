import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, type ReceivedLog, type ReceivedSpan } from '@cinemetrics/testing';
import { startMovieStack, type MovieStack } from '../support/stack.js';

let stack: MovieStack;
let traceId: string;
let spans: ReceivedSpan[];

before(async () => {
  stack = await startMovieStack();
  const json = { 'content-type': 'application/json' };
  const admin = await stack.identities.adminHeaders();
  await httpJson('PUT', `${stack.metadata.url}/metadata/tt0113277`, { title: 'Heat', year: 1995 }, { ...json, ...admin });
  for (const [user, value] of [['alice', 5], ['bob', 1]] as const) {
    await httpJson('PUT', `${stack.rating.url}/ratings/movie/tt0113277`, { value }, { ...json, ...(await stack.identities.user(user)).headers });
  }
  // Movie's first call fetches its client-credentials token (an auth span in that trace); this one is not under test.
  await httpJson('GET', `${stack.movie.url}/movies/warm-up`);
  // Let the set-up traffic's spans arrive, then look only at the one request under test.
  await new Promise((resolve) => setTimeout(resolve, 500));
  stack.otlp.clear();

  const response = await httpJson('GET', `${stack.movie.url}/movies/tt0113277`);
  assert.equal(response.status, 200);
  assert.deepEqual((response.body as { rating: unknown }).rating, { average: 3, count: 2 });

  const root = await stack.otlp.waitFor(() =>
    stack.otlp.spans().find((span) => span.kind === 'SERVER' && span.resource['service.name'] === 'movie'),
  );
  traceId = root.traceId;
  // The trace is complete once both downstream databases have answered and every server span ended.
  spans = await stack.otlp.waitFor(() => {
    const inTrace = stack.otlp.spans().filter((span) => span.traceId === traceId);
    const servers = inTrace.filter((span) => span.kind === 'SERVER').length;
    const queries = inTrace.filter(isQuery).length;
    return servers === 3 && queries >= 2 ? inTrace : undefined;
  });
});

after(async () => {
  await stack?.stop();
});

const service = (span: ReceivedSpan) => span.resource['service.name'];
const isQuery = (span: ReceivedSpan) => span.kind === 'CLIENT' && span.attributes['db.system.name'] === 'mysql';

function childrenOf(parent: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((span) => span.parentSpanId === parent.spanId);
}

function descendantsOf(parent: ReceivedSpan): ReceivedSpan[] {
  const found: ReceivedSpan[] = [];
  const queue = [parent];
  while (queue.length > 0) {
    const next = queue.shift() as ReceivedSpan;
    for (const child of childrenOf(next)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

test('one trace spans movie, metadata and rating, each span sent once', () => {
  assert.deepEqual([...new Set(spans.map(service))].sort(), ['metadata', 'movie', 'rating']);
  const ids = spans.map((span) => span.spanId);
  assert.equal(new Set(ids).size, ids.length, 'no span is exported twice');
  const all = stack.otlp.spans().filter((span) => span.traceId === traceId);
  assert.equal(all.length, spans.length);
});

test('the downstream server spans name the caller (enduser.id: the movie client), never its token', () => {
  const downstream = spans.filter((span) => span.kind === 'SERVER' && service(span) !== 'movie');
  assert.equal(downstream.length, 2);
  for (const span of downstream) assert.equal(span.attributes['enduser.id'], 'movie', String(service(span)));
  const movieServer = spans.find((span) => span.kind === 'SERVER' && service(span) === 'movie');
  assert.equal(movieServer?.attributes['enduser.id'], undefined, 'the public caller was anonymous');
  const exported = JSON.stringify(stack.otlp.spans(), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  assert.doesNotMatch(exported, /eyJ[A-Za-z0-9_-]+\.eyJ/, 'no JWT in any span');
});

test('server spans carry the route template and resource identity', () => {
  const servers = spans.filter((span) => span.kind === 'SERVER');
  assert.deepEqual(
    servers.map((span) => [service(span), span.attributes['http.route']]).sort(),
    [
      ['metadata', '/metadata/:id'],
      ['movie', '/movies/:id'],
      ['rating', '/ratings/:recordType/:recordId'],
    ],
  );
  for (const span of servers) {
    assert.equal(span.scope, '@cinemetrics/kit');
    assert.equal(typeof span.resource['service.version'], 'string');
    assert.equal(typeof span.resource['service.instance.id'], 'string');
    assert.equal(span.resource['deployment.environment.name'], 'development');
  }
});

for (const downstream of ['metadata', 'rating'] as const) {
  test(`movie server → client → ${downstream} server → its database query, parent to child`, () => {
    const movieServer = spans.find((span) => span.kind === 'SERVER' && service(span) === 'movie');
    assert.ok(movieServer);
    const downstreamServer = spans.find((span) => span.kind === 'SERVER' && service(span) === downstream);
    assert.ok(downstreamServer, `${downstream} server span`);
    const client = spans.find((span) => span.spanId === downstreamServer.parentSpanId);
    assert.ok(client, 'the downstream server span has a parent in the trace');
    assert.equal(client.kind, 'CLIENT');
    assert.equal(service(client), 'movie');
    // The kit's client makes its attempts' spans; the undici instrumentation skips its requests (one span, not two).
    assert.equal(client.scope, '@cinemetrics/kit');
    assert.equal(client.name, 'GET');
    assert.equal(client.attributes['http.response.status_code'], 200);
    assert.equal(client.attributes['peer.service'], downstream, 'span metrics split client calls by downstream');
    assert.equal(spans.filter((span) => span.kind === 'CLIENT' && span.parentSpanId === client.parentSpanId).length, 1, 'one span per attempt');
    assert.ok(
      descendantsOf(movieServer).some((span) => span.spanId === client.spanId),
      'the client span descends from the movie server span',
    );
    const query = descendantsOf(downstreamServer).find(isQuery);
    assert.ok(query, `${downstream} issued a traced query`);
    // The kit's database layer makes it, not the mysql2 instrumentation (one span per query, not two).
    assert.equal(query.scope, '@cinemetrics/kit');
    assert.equal(descendantsOf(downstreamServer).filter(isQuery).length, 1, 'one query, one span');
    const table = downstream === 'metadata' ? 'movies' : 'ratings';
    assert.equal(query.name, `SELECT ${table}`);
    assert.deepEqual(
      [query.attributes['db.namespace'], query.attributes['db.operation.name'], query.attributes['db.collection.name']],
      [downstream, 'SELECT', table],
    );
    const text = String(query.attributes['db.query.text']);
    assert.match(text, /^SELECT/);
    // The statement as prepared: bound values (ids here, password hashes in auth) never reach a span.
    assert.match(text, /\?/);
    assert.doesNotMatch(text, /tt0113277/);
  });
}

test('the join and the repository operations have spans of their own, with business attributes', () => {
  const join = spans.find((span) => span.name === 'Controller/GetMovieDetails');
  assert.ok(join);
  assert.equal(join.attributes['movie.id'], 'tt0113277');
  const clientsUnderJoin = descendantsOf(join).filter((span) => span.kind === 'CLIENT' && service(span) === 'movie');
  assert.equal(clientsUnderJoin.length, 2, 'both downstream calls run under the join span');
  const [first, second] = clientsUnderJoin as [ReceivedSpan, ReceivedSpan];
  assert.ok(first.startTimeUnixNano < second.endTimeUnixNano && second.startTimeUnixNano < first.endTimeUnixNano, 'the two calls overlap in time');

  const get = spans.find((span) => span.name === 'Repository/Get' && service(span) === 'metadata');
  assert.equal(get?.attributes['movie.id'], 'tt0113277');
  const summarize = spans.find((span) => span.name === 'Repository/Summarize' && service(span) === 'rating');
  assert.equal(summarize?.attributes['record.type'], 'movie');
  const movieServer = spans.find((span) => span.kind === 'SERVER' && service(span) === 'movie');
  assert.deepEqual([movieServer?.name, movieServer?.attributes['http.route']], ['GET /movies/:id', '/movies/:id']);
  assert.ok(!spans.some((span) => span.scope === '@opentelemetry/instrumentation-koa'), 'no router-layer spans by default');
});

test('log records of all three services carry the trace id and are sent exactly once', async () => {
  const logs = await stack.otlp.waitFor(() => {
    const correlated = stack.otlp.logs().filter((log) => log.traceId === traceId);
    const services = new Set(correlated.map((log) => log.resource['service.name']));
    return services.size === 3 ? correlated : undefined;
  });
  const key = (log: ReceivedLog) => `${String(log.resource['service.name'])}|${log.spanId}|${String(log.timeUnixNano)}|${JSON.stringify(log.body)}`;
  assert.equal(new Set(logs.map(key)).size, logs.length, 'no log record is sent twice');
  for (const process of [stack.movie, stack.metadata, stack.rating]) {
    const stdout = process.jsonLines().filter((line) => line['trace_id'] === traceId);
    const exported = logs.filter((log) => log.resource['service.name'] === process.service);
    assert.ok(stdout.length > 0);
    assert.equal(exported.length, stdout.length, `${process.service}: every stdout line of the request, once over OTLP`);
    assert.ok(stdout.some((line) => line['msg'] === 'request completed' && typeof line['span_id'] === 'string' && line['trace_flags'] === '01'));
  }
});

test('the metadata cache lookup and each downstream call have spans of their own; a cache hit calls nobody', async () => {
  const join = spans.find((span) => span.name === 'Controller/GetMovieDetails');
  const lookup = spans.find((span) => span.name === 'Cache/metadata Get');
  assert.ok(join && lookup);
  assert.equal(lookup.parentSpanId, join.spanId);
  assert.deepEqual([lookup.attributes['cinemetrics.cache.hit'], lookup.attributes['cinemetrics.cache.key']], [false, 'tt0113277']);
  for (const peer of ['metadata', 'rating']) {
    const call = spans.find((span) => span.name === `Downstream/${peer} GET`);
    assert.ok(call, `a span for the call to ${peer}`);
    assert.deepEqual(
      [call.attributes['peer.service'], call.attributes['cinemetrics.downstream.attempts'], call.attributes['cinemetrics.circuit_breaker.state']],
      [peer, 1, 'closed'],
    );
    assert.equal(typeof call.attributes['cinemetrics.deadline.budget_ms'], 'number');
    const attempts = childrenOf(call).filter((span) => span.kind === 'CLIENT' && span.scope === '@cinemetrics/kit');
    assert.equal(attempts.length, 1, `one HTTP attempt under the call to ${peer}`);
  }
  assert.equal(spans.find((span) => span.name === 'Downstream/metadata GET')?.parentSpanId, lookup.spanId, 'a miss loads through the cache span');

  assert.equal((await httpJson('GET', `${stack.movie.url}/movies/tt0113277`)).status, 200);
  const hit = await stack.otlp.waitFor(() =>
    stack.otlp.spans().find((span) => span.name === 'Cache/metadata Get' && span.attributes['cinemetrics.cache.hit'] === true),
  );
  const root = await stack.otlp.waitFor(() => stack.otlp.spans().find((span) => span.traceId === hit.traceId && span.kind === 'SERVER' && service(span) === 'movie'));
  assert.equal(root.attributes['http.response.status_code'], 200);
  const inHitTrace = stack.otlp.spans().filter((span) => span.traceId === hit.traceId);
  assert.ok(!inHitTrace.some((span) => service(span) === 'metadata' || span.name === 'Downstream/metadata GET'), 'metadata is not called on a hit');
});

test('an unsampled caller’s request is recorded nowhere, yet every service’s access line carries its trace', async () => {
  const unsampled = '6cf92f3577b34da6a3ce929d0e0e4738';
  // Ids nobody asked for yet: movie's metadata cache has neither, so both services are called.
  const response = await httpJson('GET', `${stack.movie.url}/movies/tt9999999`, undefined, { traceparent: `00-${unsampled}-00f067aa0ba902b7-00` });
  assert.equal(response.status, 404);
  const lines = await stack.otlp.waitFor(() => {
    const found = stack.otlp.logs().filter((log) => log.traceId === unsampled && log.body === 'request completed');
    return found.length === 3 ? found : undefined;
  });
  assert.deepEqual(lines.map((log) => log.resource['service.name']).sort(), ['metadata', 'movie', 'rating'], 'movie passed the trace on to both calls');
  for (const process of [stack.movie, stack.metadata, stack.rating]) {
    const access = process.jsonLines().find((line) => line['trace_id'] === unsampled && line['msg'] === 'request completed');
    assert.equal(access?.['trace_flags'], '00', `${process.service}: the caller’s decision travelled with the trace`);
  }
  // Once a later, sampled request's spans have all arrived, anything of the unsampled one would have too.
  assert.equal((await httpJson('GET', `${stack.movie.url}/movies/tt9999998`)).status, 404);
  const later = await stack.otlp.waitFor(() => stack.otlp.spans().find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/movies/tt9999998'));
  await stack.otlp.waitFor(() => stack.otlp.spans().filter((span) => span.traceId === later.traceId && span.kind === 'SERVER').length === 3 || undefined);
  assert.deepEqual(stack.otlp.spans().filter((span) => span.traceId === unsampled), []);
});

// Last in this file: it takes the database away.
test('a failure is recorded where it happened: the repository span and the server span say ERROR, with the exception', async () => {
  stack.otlp.clear();
  await stack.mariadb.kill();
  const response = await httpJson('GET', `${stack.metadata.url}/metadata/tt0113277`);
  assert.equal(response.status, 503);
  const failed = await stack.otlp.waitFor(() => stack.otlp.spans().find((span) => span.name === 'Repository/Get' && service(span) === 'metadata'));
  assert.equal(failed.status.code, 'ERROR');
  assert.ok(failed.status.message, 'the status carries the error message');
  const exception = failed.events.find((event) => event.name === 'exception');
  assert.ok(exception, 'recordException added an exception event');
  assert.equal(typeof exception.attributes['exception.message'], 'string');
  assert.equal(typeof exception.attributes['exception.stacktrace'], 'string');
  const server = await stack.otlp.waitFor(() => stack.otlp.spans().find((span) => span.kind === 'SERVER' && span.traceId === failed.traceId));
  assert.equal(server.status.code, 'ERROR', 'a 5xx answer marks the server span');
  assert.equal(server.attributes['http.response.status_code'], 503);
  assert.equal(server.attributes['error.type'], '503');
});
