import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { hostileTokens, httpJson, newSigningKey, signToken, startMariaDb, startService, type MariaDb, type StartedService } from '@cinemetrics/testing';
import { startAuthWithKeyFile, type KeyedAuth } from '../support/keyed-auth.js';
import { PATIENT_MOVIE_ENV } from '../support/patience.js';
import {
  closeConnections,
  describeRequest,
  hostileRequest,
  hostileText,
  send,
  STANDARD_METHODS,
  WRITE_METHODS,
  type Answer,
  type Bearers,
  type HostileRequest,
  type RouteShape,
} from './hostile-requests.js';

/**
 * Random bodies, headers, query strings and paths against every route of every service, as real
 * processes (metadata, rating and auth on a real MariaDB, movie in front of metadata and rating):
 * never a 5xx, never a crash or a hang, and nothing stored changes unless a write was accepted (2xx);
 * what an accepted write stored reads back exactly as sent. Requests carry, now and then, bearer
 * tokens: valid ones of an administrator, users and movie's client, forged ones signed with auth's own
 * key (expired, not yet valid, foreign issuer or audience, an admin role added to a user's token, …),
 * and garbage.
 *
 * Seeded and bounded: PROPERTY_SEED=<n> replays a run, PROPERTY_RUNS=<n> scales every service's runs.
 */
const seed = Number(process.env['PROPERTY_SEED'] ?? Date.now() % 2 ** 31);
const runsScale = Number(process.env['PROPERTY_RUNS_SCALE'] ?? 1);
console.log(`hostile-input property tests: seed ${seed} (replay with PROPERTY_SEED=${seed})`);

const validMetadata = fc.record(
  {
    title: hostileText().filter((title) => title.trim().length > 0),
    year: fc.oneof(fc.integer({ min: 1870, max: 2100 }), fc.constant(null)),
    description: hostileText(),
    director: hostileText(),
    actors: fc.array(hostileText().filter((actor) => actor.trim().length > 0), { maxLength: 4 }),
  },
  { requiredKeys: ['title'] },
);
const wrongMetadata = fc.record(
  {
    id: fc.oneof(fc.constantFrom('known-1', 'known-2'), hostileText(10)),
    title: hostileText(),
    year: fc.oneof(fc.integer({ min: 1860, max: 2110 }), fc.constant(null), fc.double(), fc.string()),
    description: hostileText(),
    director: hostileText(),
    actors: fc.oneof(fc.array(hostileText(), { maxLength: 4 }), hostileText()),
    rating: fc.integer(),
  },
  { requiredKeys: ['title'] },
);
const metadataBody = fc.oneof({ weight: 3, arbitrary: validMetadata }, { weight: 2, arbitrary: wrongMetadata });
const ratingBody = fc.oneof(
  { weight: 3, arbitrary: fc.record({ value: fc.integer({ min: 1, max: 5 }) }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { value: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.double(), fc.string(), fc.constant(null)), extra: fc.boolean() },
      { requiredKeys: ['value'] },
    ),
  },
);

interface Target {
  name: 'metadata' | 'rating' | 'movie' | 'auth';
  routes: RouteShape[];
  runs: number;
}

const targets: Target[] = [
  {
    name: 'metadata',
    routes: [
      { methods: ['GET', 'PUT'], template: '/metadata/{id}', body: metadataBody },
      { methods: ['GET'], template: '/metadata' },
    ],
    runs: 150,
  },
  { name: 'rating', routes: [{ methods: ['GET', 'PUT', 'DELETE'], template: '/ratings/{type}/{id}', body: ratingBody }], runs: 150 },
  { name: 'movie', routes: [{ methods: ['GET'], template: '/movies/{id}' }], runs: 60 },
  { name: 'auth', routes: [], runs: 40 },
];

let mariadb: MariaDb;
let auth: KeyedAuth;
const started: Partial<Record<Target['name'], StartedService>> = {};
let bearers: Bearers;
/** Movie's client token (role service): a caller trusted to shorten its own deadline. */
let serviceBearer: string;

function service(name: Target['name']): StartedService {
  const running = started[name];
  if (!running) throw new Error(`${name} is not running`);
  return running;
}

/** Every row each service stores, in key order: what no refused request may change. */
async function storedState(): Promise<string> {
  const tables = [
    'SELECT * FROM metadata.movies ORDER BY id',
    'SELECT * FROM rating.ratings ORDER BY record_type, record_id, user_id',
    'SELECT * FROM auth.users ORDER BY id',
    'SELECT * FROM auth.clients ORDER BY client_id',
  ];
  const rows = await Promise.all(tables.map((sql) => mariadb.query(sql)));
  return JSON.stringify(rows);
}

/** Valid tokens of every kind of caller, and forged ones built on a user's and an administrator's. */
async function bearerHeaders(alice: { id: string; token: string }, admin: { token: string }, movieToken: string): Promise<Bearers> {
  const stranger = await newSigningKey();
  const forged = [
    ...Object.values(await hostileTokens(auth.key, stranger, { sub: alice.id })),
    ...Object.values(await hostileTokens(auth.key, stranger, { roles: ['admin'] })),
    await signToken(auth.key, { sub: 'movie', clientId: 'movie', roles: ['service'], issuer: 'someone-else' }),
  ];
  const bearer = (token: string) => `Bearer ${token}`;
  return { valid: [alice.token, admin.token, movieToken].map(bearer), forged: forged.map(bearer) };
}

before(async () => {
  mariadb = await startMariaDb();
  const env = { MYSQL_URL: mariadb.url, LOG_LEVEL: 'warn', METADATA_CACHE_MAX_ENTRIES: '0' };
  auth = await startAuthWithKeyFile({ env });
  started.auth = auth.service;
  const servicesEnv = { ...env, ...auth.env };
  const [metadata, rating, movieClient] = await Promise.all([
    startService('metadata', { env: servicesEnv }),
    startService('rating', { env: servicesEnv }),
    auth.identities.client('movie', ['service']),
  ]);
  started.metadata = metadata;
  started.rating = rating;
  // Hostile input is what this file is about, not timeouts: a 503 for a slow downstream on a loaded
  // machine would read as a 5xx the input caused.
  started.movie = await startService('movie', {
    env: { ...servicesEnv, ...PATIENT_MOVIE_ENV, METADATA_URL: metadata.url, RATING_URL: rating.url, AUTH_CLIENT_SECRET: movieClient.secret },
  });
  const admin = await auth.identities.user('admin', ['admin']);
  for (const id of ['known-1', 'known-2']) {
    const put = await httpJson('PUT', `${metadata.url}/metadata/${id}`, { title: `Known ${id}`, year: 1999, actors: ['A', 'B'] }, admin.headers);
    assert.equal(put.status, 201, JSON.stringify(put.body));
    for (const name of ['alice', 'bob']) {
      const rated = await httpJson('PUT', `${rating.url}/ratings/movie/${id}`, { value: 4 }, (await auth.identities.user(name)).headers);
      assert.equal(rated.status, 201, JSON.stringify(rated.body));
    }
  }
  bearers = await bearerHeaders(await auth.identities.user('alice'), admin, movieClient.token);
  serviceBearer = `Bearer ${movieClient.token}`;
  // Movie's first calls open its downstream connections; the property runs start after that.
  assert.equal((await httpJson('GET', `${started.movie.url}/movies/known-1`)).status, 200);
});

after(async () => {
  closeConnections();
  await Promise.all(Object.values(started).map((running) => running.stop()));
  await auth?.dispose();
  await mariadb?.dispose();
});

function refusedAsProblem(request: HostileRequest, answer: Answer): void {
  // Node's own parser refuses what never becomes a request (bad methods, framing) before the app sees it.
  if (answer.status === 400 && answer.text === '') return;
  if (request.method === 'HEAD') return;
  assert.match(answer.contentType ?? '', /^application\/problem\+json/, `${answer.status} without a problem body`);
}

/** What an accepted metadata write stored reads back as acknowledged: no U+FFFD, no truncation. */
async function readsBackAsWritten(target: Target, request: HostileRequest, answer: Answer): Promise<void> {
  if (target.name !== 'metadata' || request.method !== 'PUT') return;
  const acknowledged = JSON.parse(answer.text) as Record<string, unknown>;
  const stored = await send(service('metadata').url, { method: 'GET', target: request.target.split('?')[0] ?? '', headers: {}, body: undefined });
  assert.equal(stored.status, 200, stored.text);
  assert.deepEqual(JSON.parse(stored.text), acknowledged, 'the stored record differs from the acknowledged one');
}

/**
 * A trusted caller may shorten its deadline below the floor: movie giving up on its dependencies
 * within the budget such a caller asked for is its choice, not a failure it can force on others.
 */
function trustedCallerGaveUp(request: HostileRequest, answer: Answer): boolean {
  return answer.status === 503 && request.headers['authorization'] === serviceBearer && request.headers['x-timeout-ms'] !== undefined;
}

async function checkOne(target: Target, request: HostileRequest, seen: Map<number, number>): Promise<void> {
  const before = await storedState();
  const answer = await send(service(target.name).url, request);
  seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
  const context = `${describeRequest(request)} → ${answer.status} ${answer.text.slice(0, 300)}`;
  const unknownMethod = answer.status === 501 && !STANDARD_METHODS.has(request.method);
  assert.ok(answer.status >= 200 && (answer.status < 500 || unknownMethod || trustedCallerGaveUp(request, answer)), context);
  assert.ok(service(target.name).running, `${target.name} exited after ${context}`);
  if (answer.status >= 400) refusedAsProblem(request, answer);
  const acceptedWrite = answer.status >= 200 && answer.status < 300 && WRITE_METHODS.has(request.method);
  if (acceptedWrite) await readsBackAsWritten(target, request, answer);
  else assert.equal(await storedState(), before, `stored state changed by ${context}`);
}

describe('hostile input never gets a 5xx, never crashes a service, never changes stored state unless accepted', () => {
  for (const target of targets) {
    test(`${target.name}: every route, random bodies, headers, queries and paths`, async (t) => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(hostileRequest(target.routes, bearers), (request) => checkOne(target, request, seen)),
        { seed, numRuns: Math.max(1, Math.round(target.runs * runsScale)), endOnFailure: true },
      );
      t.diagnostic(`answers by status: ${[...seen].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`);
      const health = await httpJson('GET', `${service(target.name).url}/.well-known/health`);
      assert.equal(health.status, 200, JSON.stringify(health.body));
    });
  }
});
