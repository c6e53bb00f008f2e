import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger, DownstreamRegistry, DownstreamUnavailableError, mergePolicy, DEFAULT_DOWNSTREAM_POLICY, ReadThroughCache, runWithDeadline, type DownstreamClient } from '@cinemetrics/kit';
import { freePort } from '@cinemetrics/testing';
import { GatewayNotFoundError } from '../src/gateway/errors.js';
import { CachedMetadataGateway, HttpMetadataGateway } from '../src/gateway/metadata.js';
import { HttpRatingGateway } from '../src/gateway/rating.js';
import { metadataSchema } from '../src/model.js';

/**
 * The gateways against a scriptable in-process HTTP server: each test sets how it answers, so the
 * failure modes a real service never produces on demand (500, broken bodies, hangs) are covered here.
 * The kit client runs with one attempt: what the gateway makes of an answer is tested here, retries
 * and breakers in packages/kit/test/client.test.ts and tests/resilience.
 */

const TIMEOUT_MS = 300;
/** Timers, scheduling and a loaded machine: how much later than the timeout an answer may come. */
const MARGIN_MS = 700;

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let seen: SeenRequest[];
let connections = 0;
const registries = new Map<string, DownstreamRegistry>();

/** One registered client per peer and base URL, as a service registers each downstream once. */
function clientFor(peer: string, url: string): DownstreamClient {
  const key = `${peer} ${url}`;
  let registry = registries.get(key);
  if (!registry) {
    registry = new DownstreamRegistry({
      logger: createLogger({ service: 'movie-test', level: 'silent' }),
      policy: mergePolicy(DEFAULT_DOWNSTREAM_POLICY, {
        timeoutMs: TIMEOUT_MS,
        retry: { maxAttempts: 1 },
        // Failures are the point of these tests: the breaker must not start answering for the server.
        breaker: { minCalls: 1_000_000 },
      }),
    });
    registry.register(peer, { baseUrl: url });
    registries.set(key, registry);
  }
  return registry.get(peer);
}

function json(status: number, body: unknown, contentType = 'application/json'): Handler {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(JSON.stringify(body));
  };
}

/** Never answers; the socket is closed when the server closes. */
const hang: Handler = () => undefined;

const alien = {
  id: 'alien-1979',
  title: 'Alien',
  year: 1979,
  description: '',
  director: 'Ridley Scott',
  actors: ['Sigourney Weaver'],
};

before(async () => {
  server = http.createServer((request, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    handler(request, response);
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A first call loads and compiles the client's code, which on a loaded machine can take longer than
  // TIMEOUT_MS: it is made here, through a peer no test uses, so every test's call is timed warm.
  handler = json(200, alien);
  seen = [];
  await new HttpMetadataGateway(clientFor('warm-up', baseUrl)).getMetadata('alien-1979').catch(() => undefined);
});

after(async () => {
  await Promise.all([...registries.values()].map((registry) => registry.close()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  handler = json(500, { title: 'unset' });
});

function metadataGateway(url = baseUrl): HttpMetadataGateway {
  return new HttpMetadataGateway(clientFor('metadata', url));
}

function ratingGateway(url = baseUrl): HttpRatingGateway {
  return new HttpRatingGateway(clientFor('rating', url));
}

async function unavailable(promise: Promise<unknown>, peer: string, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DownstreamUnavailableError, `expected DownstreamUnavailableError, got ${String(error)}`);
    assert.equal(error.peer, peer);
    assert.match(error.reason, reason);
    return true;
  });
}

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

describe('metadata gateway', () => {
  test('GETs /metadata/{id} with the request id and returns the record without unknown fields', async () => {
    handler = json(200, { ...alien, internalRevision: 7 });
    const record = await runWithDeadline(5_000, () => metadataGateway().getMetadata('alien-1979'), { requestId: 'req-abc' });
    assert.deepEqual(record, alien);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.url, '/metadata/alien-1979');
    assert.equal(seen[0]?.headers['x-request-id'], 'req-abc');
    assert.equal(seen[0]?.headers['accept'], 'application/json');
  });

  test('outside a request (no request id) sends no x-request-id header', async () => {
    handler = json(200, alien);
    await metadataGateway().getMetadata('alien-1979');
    assert.equal(seen[0]?.headers['x-request-id'], undefined);
  });

  test('keeps connections alive between calls', async () => {
    handler = json(200, alien);
    const gateway = metadataGateway();
    await gateway.getMetadata('alien-1979');
    const before = connections;
    for (let i = 0; i < 5; i += 1) await gateway.getMetadata('alien-1979');
    assert.equal(connections, before, 'sequential calls opened new connections');
  });

  test('404 → GatewayNotFoundError', async () => {
    handler = json(404, { type: 'about:blank', title: 'Not Found', status: 404 }, 'application/problem+json');
    await assert.rejects(metadataGateway().getMetadata('nope'), GatewayNotFoundError);
  });

  for (const status of [500, 503, 400, 204]) {
    test(`status ${status} → DownstreamUnavailableError`, async () => {
      handler = status === 204 ? (_q, r) => r.writeHead(204).end() : json(status, { status });
      await unavailable(metadataGateway().getMetadata('alien-1979'), 'metadata', new RegExp(`^status ${status}$`));
    });
  }

  test('a body that is not JSON → DownstreamUnavailableError', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('<html>proxy error</html>');
    };
    await unavailable(metadataGateway().getMetadata('alien-1979'), 'metadata', /not JSON/);
  });

  test('a body that breaks the contract → DownstreamUnavailableError naming the field', async () => {
    handler = json(200, { ...alien, title: 42 });
    await unavailable(metadataGateway().getMetadata('alien-1979'), 'metadata', /contract \(title:/);
  });

  test('connection refused → DownstreamUnavailableError, fast', async () => {
    const closedPort = await freePort();
    const took = await elapsed(() =>
      unavailable(metadataGateway(`http://127.0.0.1:${closedPort}`).getMetadata('alien-1979'), 'metadata', /ECONNREFUSED/),
    );
    assert.ok(took < TIMEOUT_MS, `took ${took} ms`);
  });

  test('no answer → DownstreamUnavailableError within the timeout', async () => {
    handler = hang;
    const took = await elapsed(() =>
      unavailable(metadataGateway().getMetadata('alien-1979'), 'metadata', new RegExp(`no answer within ${TIMEOUT_MS} ms`)),
    );
    assert.ok(took >= TIMEOUT_MS - 20, `gave up after ${took} ms, before the timeout`);
    assert.ok(took < TIMEOUT_MS + MARGIN_MS, `took ${took} ms`);
  });

  test('a body that stalls after the headers → DownstreamUnavailableError within the timeout', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":"alien-1979",');
    };
    const took = await elapsed(() =>
      unavailable(metadataGateway().getMetadata('alien-1979'), 'metadata', new RegExp(`no answer within ${TIMEOUT_MS} ms`)),
    );
    assert.ok(took < TIMEOUT_MS + MARGIN_MS, `took ${took} ms`);
  });

  test('after a timeout the gateway works again', async () => {
    handler = hang;
    await unavailable(metadataGateway().getMetadata('alien-1979'), 'metadata', /no answer/);
    handler = json(200, alien);
    assert.deepEqual(await metadataGateway().getMetadata('alien-1979'), alien);
  });

  test('ids are percent-encoded into the path', async () => {
    handler = json(404, {});
    await assert.rejects(metadataGateway().getMetadata('a b/c'), GatewayNotFoundError);
    assert.equal(seen[0]?.url, '/metadata/a%20b%2Fc');
  });
});

describe('rating gateway', () => {
  test('GETs /ratings/movie/{id} and returns average and count', async () => {
    handler = json(200, { recordType: 'movie', recordId: 'alien-1979', average: 3.5, count: 4 });
    assert.deepEqual(await runWithDeadline(5_000, () => ratingGateway().getMovieRating('alien-1979'), { requestId: 'req-r' }), { average: 3.5, count: 4 });
    assert.equal(seen[0]?.url, '/ratings/movie/alien-1979');
    assert.equal(seen[0]?.headers['x-request-id'], 'req-r');
  });

  test('404 → null: nobody has rated the movie', async () => {
    handler = json(404, { status: 404 }, 'application/problem+json');
    assert.equal(await ratingGateway().getMovieRating('alien-1979'), null);
  });

  test('500 → DownstreamUnavailableError', async () => {
    handler = json(500, { status: 500 });
    await unavailable(ratingGateway().getMovieRating('alien-1979'), 'rating', /^status 500$/);
  });

  test('an average outside 1-5 breaks the contract', async () => {
    handler = json(200, { recordType: 'movie', recordId: 'alien-1979', average: 9, count: 1 });
    await unavailable(ratingGateway().getMovieRating('alien-1979'), 'rating', /contract \(average:/);
  });

  test('no answer → DownstreamUnavailableError within the timeout', async () => {
    handler = hang;
    const took = await elapsed(() => unavailable(ratingGateway().getMovieRating('alien-1979'), 'rating', /no answer/));
    assert.ok(took < TIMEOUT_MS + MARGIN_MS, `took ${took} ms`);
  });
});

describe('cached metadata gateway', () => {
  const cached = (name: string) =>
    new CachedMetadataGateway(metadataGateway(), new ReadThroughCache({ name, maxEntries: 10, ttlMs: 60_000 }));

  test('a found record is fetched once, then served from memory as a copy', async () => {
    handler = json(200, alien);
    const gateway = cached('gateway-test-1');
    const first = await gateway.getMetadata('alien-1979');
    first.actors.push('changed by a caller');
    assert.deepEqual(await gateway.getMetadata('alien-1979'), alien);
    assert.equal(seen.length, 1);
  });

  test('the copy shares no object or array with the cached record, whatever fields the record has', async () => {
    handler = json(200, alien);
    const gateway = cached('gateway-test-3');
    const [first, second] = [await gateway.getMetadata('alien-1979'), await gateway.getMetadata('alien-1979')];
    assert.deepEqual(Object.keys(first).sort(), Object.keys(metadataSchema.shape).sort());
    for (const key of Object.keys(metadataSchema.shape) as (keyof typeof first)[]) {
      if (typeof first[key] === 'object' && first[key] !== null) assert.notEqual(first[key], second[key], `${key} is shared`);
    }
  });

  test('not found and failures are asked again', async () => {
    const gateway = cached('gateway-test-2');
    handler = json(404, {});
    await assert.rejects(gateway.getMetadata('nope'), GatewayNotFoundError);
    await assert.rejects(gateway.getMetadata('nope'), GatewayNotFoundError);
    handler = json(500, {});
    await assert.rejects(gateway.getMetadata('alien-1979'), DownstreamUnavailableError);
    handler = json(200, alien);
    assert.deepEqual(await gateway.getMetadata('alien-1979'), alien);
    assert.equal(seen.length, 4);
  });
});
