import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  hostileTokens,
  httpJson,
  newSigningKey,
  signToken,
  startService,
  waitUntil,
  type HttpResponse,
  type ServiceName,
  type SigningKey,
  type StartedService,
} from '@cinemetrics/testing';
import { startAuthWithKeyFile, type KeyedAuth } from '../support/keyed-auth.js';

/**
 * Every protected route of every service, as real processes (in memory), against every kind of bad
 * token: auth signs with a key this test wrote to its AUTH_SIGNING_KEY_FILE, so the test forges
 * tokens the services cannot tell from auth's own except by the one defect each carries. Then key
 * rotation across services, auth going down, and who may shorten a request's deadline.
 */

const quiet = { MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, LOG_FORMAT: 'json' };
/** Far above what a request to movie needs, so only a trusted caller can make its budget too short. */
const DEADLINE_MS = 8_000;
const DEADLINE_FLOOR_MS = 5_000;
const SERVICES: readonly ServiceName[] = ['metadata', 'rating', 'movie', 'auth'];

let auth: KeyedAuth;
const services = {} as Record<ServiceName, StartedService>;
let movieSecret: string;
/** A key the services have never seen. */
let stranger: SigningKey;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

before(async () => {
  auth = await startAuthWithKeyFile({ env: quiet });
  services.auth = auth.service;
  const env = { ...quiet, ...auth.env };
  const [metadata, rating, movieClient] = await Promise.all([
    startService('metadata', { env }),
    startService('rating', { env }),
    auth.identities.client('movie', ['service']),
    newSigningKey().then((key) => (stranger = key)),
  ]);
  movieSecret = movieClient.secret;
  Object.assign(services, { metadata, rating });
  services.movie = await startService('movie', {
    env: {
      ...env,
      METADATA_URL: metadata.url,
      RATING_URL: rating.url,
      AUTH_CLIENT_SECRET: movieSecret,
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      REQUEST_DEADLINE_FLOOR_MS: String(DEADLINE_FLOOR_MS),
    },
  });
});

after(async () => {
  await Promise.all(Object.values(services).map((service) => service.stop('SIGTERM', 5_000)));
  await auth?.dispose();
});

/** One request the test knows how to make on a protected route, and what success looks like. */
interface ProtectedRequest {
  service: ServiceName;
  method: string;
  /** The URL of the listener (API or admin) with the path. */
  url: () => string;
  /** A fresh body for each request (auth's admin routes create something new each time). */
  body?: () => unknown;
  /** Runs before a request that should succeed (a rating to delete). */
  prepare?: (headers: Record<string, string>) => Promise<void>;
  success: readonly number[];
  /** Callers with a valid token that the route must refuse with 403. */
  forbiddenFor: readonly Caller[];
}

type Caller = 'user' | 'service client';

const MOVIE_ID = 'tt0113277';
const HEAT = { title: 'Heat', year: 1995, director: 'Michael Mann', actors: ['Al Pacino'] };

/** The public protected operations the test can exercise, keyed `<service> <METHOD> <OpenAPI path>`. */
const publicRequests: Record<string, Omit<ProtectedRequest, 'service' | 'method'>> = {
  'metadata PUT /metadata/{id}': {
    url: () => `${services.metadata.url}/metadata/${MOVIE_ID}`,
    body: () => HEAT,
    success: [200, 201],
    forbiddenFor: ['user', 'service client'],
  },
  'rating PUT /ratings/{recordType}/{recordId}': {
    url: () => `${services.rating.url}/ratings/movie/${MOVIE_ID}`,
    body: () => ({ value: 4 }),
    success: [200, 201],
    forbiddenFor: ['service client'],
  },
  'rating DELETE /ratings/{recordType}/{recordId}': {
    url: () => `${services.rating.url}/ratings/movie/${MOVIE_ID}`,
    prepare: async (headers) => {
      const put = await httpJson('PUT', `${services.rating.url}/ratings/movie/${MOVIE_ID}`, { value: 3 }, headers);
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    },
    success: [204],
    forbiddenFor: ['service client'],
  },
};

function adminRequests(service: ServiceName): ProtectedRequest[] {
  const admin = (path: string) => () => `${services[service].adminUrl}${path}`;
  const common = { service, forbiddenFor: ['user', 'service client'] as const };
  const requests: ProtectedRequest[] = [
    { ...common, method: 'GET', url: admin('/admin/faults'), success: [200] },
    { ...common, method: 'PUT', url: admin('/admin/faults'), body: () => ({ rules: [] }), success: [200] },
    { ...common, method: 'DELETE', url: admin('/admin/faults'), success: [204] },
    { ...common, method: 'GET', url: admin('/admin/log-level'), success: [200] },
    { ...common, method: 'PUT', url: admin('/admin/log-level'), body: () => ({ level: 'info' }), success: [200] },
    { ...common, method: 'GET', url: admin('/debug/pprof/profile?seconds=1'), success: [200] },
    { ...common, method: 'GET', url: admin('/debug/pprof/heap'), success: [200] },
  ];
  if (service === 'auth') {
    const unique = () => `u${randomUUID().slice(0, 8)}`;
    requests.push(
      { ...common, method: 'POST', url: admin('/admin/users'), body: () => ({ username: unique(), password: 'a-long-enough-password', roles: [] }), success: [201] },
      { ...common, method: 'POST', url: admin('/admin/clients'), body: () => ({ clientId: unique(), secret: 'a-long-enough-client-secret', roles: [] }), success: [201] },
      { ...common, method: 'POST', url: admin('/admin/signing-keys'), success: [201] },
    );
  }
  return requests;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
}

/** `<service> <METHOD> <path>` of every operation a service's own OpenAPI document marks bearerAuth. */
async function protectedOperations(service: ServiceName): Promise<string[]> {
  const document = (await httpJson('GET', `${services[service].url}/openapi.json`)).body as OpenApiDocument;
  const found: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (operation.security?.some((requirement) => 'bearerAuth' in requirement)) found.push(`${service} ${method.toUpperCase()} ${path}`);
    }
  }
  return found;
}

function send(request: ProtectedRequest, headers: Record<string, string>): Promise<HttpResponse> {
  return httpJson(request.method, request.url(), request.body?.(), headers);
}

function describeAnswer(answer: HttpResponse): string {
  return `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
}

function assertRefused(answer: HttpResponse, status: 401 | 403, what: string): void {
  assert.equal(answer.status, status, `${what}: ${describeAnswer(answer)}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /, `${what}: WWW-Authenticate`);
  assert.equal((answer.body as { status?: number }).status, status, what);
}

async function assertSucceeds(request: ProtectedRequest, headers: Record<string, string>, what: string): Promise<void> {
  await request.prepare?.(headers);
  const answer = await send(request, headers);
  assert.ok(request.success.includes(answer.status), `${what}: ${describeAnswer(answer)}`);
}

/** Every case of the matrix for one route. */
async function checkRoute(request: ProtectedRequest, name: string): Promise<void> {
  const valid = await signToken(auth.key, { roles: ['admin'] });
  await assertSucceeds(request, bearer(valid), `${name} with a valid admin user token (forged with auth's key)`);
  await assertSucceeds(request, await auth.identities.adminHeaders(), `${name} with an administrator's token from POST /tokens`);

  assertRefused(await send(request, {}), 401, `${name} without a token`);
  const hostile = await hostileTokens(auth.key, stranger, { roles: ['admin'] });
  for (const [defect, token] of Object.entries(hostile)) assertRefused(await send(request, bearer(token)), 401, `${name}, token ${defect}`);

  const callers: Record<Caller, () => Promise<Record<string, string>>> = {
    user: async () => (await auth.identities.user('alice')).headers,
    'service client': async () => bearer(await auth.identities.clientToken('movie', movieSecret)),
  };
  for (const caller of request.forbiddenFor) assertRefused(await send(request, await callers[caller]()), 403, `${name} as a ${caller}`);
}

describe('every protected route: a valid token succeeds, a bad one is 401, the wrong caller 403', () => {
  test('the public protected routes come from the served OpenAPI documents, and each is checked', async () => {
    const operations = (await Promise.all(SERVICES.map(protectedOperations))).flat();
    assert.ok(operations.length > 0, 'no protected operation in any OpenAPI document');
    for (const known of Object.keys(publicRequests)) assert.ok(operations.includes(known), `${known} is not documented as bearerAuth: ${operations.join(', ')}`);
    for (const operation of operations) {
      const shape = publicRequests[operation];
      assert.ok(shape !== undefined, `a new protected route ${operation}: add how to call it to this test`);
      const [service, method] = operation.split(' ') as [ServiceName, string];
      await checkRoute({ ...shape, service, method }, operation);
    }
  });

  for (const service of SERVICES) {
    test(`every admin endpoint of ${service}'s admin port`, async () => {
      for (const request of adminRequests(service)) await checkRoute(request, `${service} admin ${request.method} ${new URL(request.url()).pathname}`);
    });
  }
});

/** What a token says about the key it was signed with. */
const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: string }).kid;

/** The statuses of an admin's writes at metadata and rating and of a read on movie's admin port. */
async function usedEverywhere(headers: Record<string, string>): Promise<[number, number, number]> {
  const metadata = await httpJson('PUT', `${services.metadata.url}/metadata/${MOVIE_ID}`, HEAT, headers);
  const rating = await httpJson('PUT', `${services.rating.url}/ratings/movie/${MOVIE_ID}`, { value: 5 }, headers);
  const movieAdmin = await httpJson('GET', `${services.movie.adminUrl}/admin/log-level`, undefined, headers);
  return [metadata.status, rating.status, movieAdmin.status];
}

const accepted = (statuses: number[]) => statuses.every((status) => status >= 200 && status < 300);

function assertAccepted(statuses: number[], what: string): void {
  assert.ok(accepted(statuses), `${what}: ${statuses.join(', ')}`);
}

/**
 * Waits until metadata, rating and movie accept `headers`: a refresh of the key set on an unknown key
 * id happens at most once per cooldown, which earlier requests may have just used.
 */
async function acceptedEverywhere(headers: Record<string, string>, what: string): Promise<void> {
  await waitUntil(async () => (accepted(await usedEverywhere(headers)) ? true : undefined), { what, timeoutMs: 30_000 });
}

describe('signing key rotation across services', () => {
  test('tokens signed before a rotation keep working; the new key is picked up without a restart', async () => {
    const admin = await auth.identities.user('rotation-admin', ['admin']);
    // Tokens of the current key, verified once so every service holds it in its cached key set.
    await acceptedEverywhere(admin.headers, 'the current key verifies everywhere');
    const pids = [services.metadata.pid, services.rating.pid, services.movie.pid];

    const rotation = await httpJson('POST', `${auth.service.adminUrl}/admin/signing-keys`, undefined, admin.headers);
    assert.equal(rotation.status, 201, describeAnswer(rotation));
    const newKid = (rotation.body as { kid: string }).kid;
    assert.notEqual(newKid, kidOf(admin.token));

    assertAccepted(await usedEverywhere(admin.headers), 'a token signed before the rotation still verifies');
    const expiredOld = await signToken(auth.key, { roles: ['admin'], issuedIn: -3600, expiresIn: -60 });
    assert.deepEqual(await usedEverywhere(bearer(expiredOld)), [401, 401, 401], 'until it expires');

    const fresh = await auth.identities.signIn(admin.username, admin.password);
    assert.equal(kidOf(fresh), newKid, 'auth signs with the new key');
    await acceptedEverywhere(bearer(fresh), 'the new key verifies at metadata, rating and movie');
    assert.deepEqual([services.metadata.pid, services.rating.pid, services.movie.pid], pids, 'no restart');
    assert.ok(Object.values(services).every((running) => running.running));
  });
});

describe('a trusted caller may shorten its deadline below the floor, nobody else', () => {
  // Below 5 ms of budget movie starts no call at all, so a 1 ms budget fails without any timing race,
  // while the floor leaves every other caller seconds.
  const shortened = (headers: Record<string, string>) => httpJson('GET', `${services.movie.url}/movies/${MOVIE_ID}`, undefined, { ...headers, 'x-timeout-ms': '1' });

  test('a service client asking for 1 ms gets 1 ms: movie gives up on metadata', async () => {
    const answer = await shortened(bearer(await auth.identities.clientToken('movie', movieSecret)));
    assert.ok(answer.status >= 500, describeAnswer(answer));
  });

  test('anonymous, user and administrator callers asking for 1 ms get the floor: the movie is served', async () => {
    const callers: Record<string, Record<string, string>> = {
      anonymous: {},
      user: (await auth.identities.user('alice')).headers,
      administrator: await auth.identities.adminHeaders(),
    };
    for (const [caller, headers] of Object.entries(callers)) {
      const answer = await shortened(headers);
      assert.equal(answer.status, 200, `${caller}: ${describeAnswer(answer)}`);
      assert.deepEqual((answer.body as { degraded: unknown }).degraded, [], caller);
    }
  });
});

describe('auth down', () => {
  test('services keep verifying with their cached keys; an unknown key id is a 401, never a 500; reads go on', async () => {
    const admin = await auth.identities.user('outage-admin', ['admin']);
    const alice = await auth.identities.user('alice');
    await acceptedEverywhere(admin.headers, 'the current key verifies everywhere');
    await auth.service.stop('SIGTERM', 5_000);

    assertAccepted(await usedEverywhere(admin.headers), 'an administrator still writes');
    assertAccepted(await usedEverywhere(bearer(await signToken(auth.key, { roles: ['admin'] }))), 'the retired key still verifies');
    const rated = await httpJson('PUT', `${services.rating.url}/ratings/movie/${MOVIE_ID}`, { value: 2 }, alice.headers);
    assert.ok(rated.status === 200 || rated.status === 201, describeAnswer(rated));
    for (const service of ['metadata', 'rating', 'movie'] as const) {
      const logLevel = await httpJson('GET', `${services[service].adminUrl}/admin/log-level`, undefined, admin.headers);
      assert.equal(logLevel.status, 200, `${service} admin port: ${describeAnswer(logLevel)}`);
    }

    const unknownKid = bearer(await signToken(stranger, { roles: ['admin'] }));
    assertRefused(await httpJson('PUT', `${services.metadata.url}/metadata/${MOVIE_ID}`, HEAT, unknownKid), 401, 'metadata, unknown key id');
    assertRefused(await httpJson('PUT', `${services.rating.url}/ratings/movie/${MOVIE_ID}`, { value: 1 }, unknownKid), 401, 'rating, unknown key id');
    assertRefused(await httpJson('GET', `${services.metadata.url}/metadata/${MOVIE_ID}`, undefined, unknownKid), 401, 'a read with an unknown key id');
    for (const service of ['metadata', 'rating', 'movie'] as const) {
      assertRefused(await httpJson('GET', `${services[service].adminUrl}/admin/log-level`, undefined, unknownKid), 401, `${service} admin port, unknown key id`);
    }

    assert.equal((await httpJson('GET', `${services.metadata.url}/metadata/${MOVIE_ID}`)).status, 200);
    assert.equal((await httpJson('GET', `${services.rating.url}/ratings/movie/${MOVIE_ID}`)).status, 200);
    const movie = await httpJson('GET', `${services.movie.url}/movies/${MOVIE_ID}`);
    assert.equal(movie.status, 200, describeAnswer(movie));
    assert.deepEqual((movie.body as { degraded: unknown }).degraded, [], 'movie still calls with its cached token');
  });
});
