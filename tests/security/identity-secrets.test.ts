import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { httpJson, startOtlpReceiver, startService, waitUntil, type OtlpReceiver, type StartedService } from '@cinemetrics/testing';
import { privateKeyParts, startAuthWithKeyFile, type KeyedAuth } from '../support/keyed-auth.js';
import { otlpEnv } from '../support/stack.js';

/**
 * The secrets of the identity flow — passwords, access tokens (and their signatures), a client
 * secret, the admin token, the private signing keys — appear in no stdout line of any service, no
 * exported span and no exported log record, after a whole flow at debug level: sign in (and fail
 * to), client credentials both ways, a key rotation, writes at metadata and rating, reads through
 * movie calling with its own client token.
 */

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const PASSWORD = secret('password');
const WRONG_PASSWORD = secret('wrong-password');
const ADMIN_PASSWORD = secret('admin-password');
const CLIENT_SECRET = secret('client-secret');
const OTHER_CLIENT_SECRET = secret('loadgen-secret');
const ADMIN_TOKEN = secret('admin-token');
const MOVIE_ID = 'tt0113277';

let otlp: OtlpReceiver;
let auth: KeyedAuth;
const services: StartedService[] = [];

before(async () => {
  otlp = await startOtlpReceiver();
  const env = { ...otlpEnv(otlp, { LOG_LEVEL: 'debug', OTEL_TRACES_SAMPLER: 'always_on' }), MYSQL_URL: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined };
  auth = await startAuthWithKeyFile({ env: { ...env, ADMIN_TOKEN, AUTH_ADMIN_USERNAME: 'root-admin', AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  services.push(auth.service);
  const servicesEnv = { ...env, ...auth.env, ADMIN_TOKEN };
  // Each kept as soon as it runs, so `after` stops it even when another failed to start.
  const kept = (service: StartedService): StartedService => (services.push(service), service);
  const [metadata, rating] = await Promise.all([startService('metadata', { env: servicesEnv }).then(kept), startService('rating', { env: servicesEnv }).then(kept)]);
  const client = await httpJson('POST', `${auth.service.adminUrl}/admin/clients`, { clientId: 'movie', secret: CLIENT_SECRET, roles: ['service'] }, { authorization: `Bearer ${ADMIN_TOKEN}` });
  assert.equal(client.status, 201, JSON.stringify(client.body));
  kept(await startService('movie', { env: { ...servicesEnv, METADATA_URL: metadata.url, RATING_URL: rating.url, AUTH_CLIENT_SECRET: CLIENT_SECRET } }));
});

after(async () => {
  await Promise.all(services.filter((service) => service.running).map((service) => service.stop()));
  await otlp?.close();
  await auth?.dispose();
});

function service(name: StartedService['service']): StartedService {
  const found = services.find((candidate) => candidate.service === name);
  if (found === undefined) throw new Error(`${name} is not running`);
  return found;
}

async function signIn(username: string, password: string): Promise<{ status: number; token: string }> {
  const answer = await httpJson('POST', `${service('auth').url}/tokens`, { username, password });
  return { status: answer.status, token: String((answer.body as { access_token?: string }).access_token ?? '') };
}

async function clientToken(body: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${service('auth').url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const answer = (await response.json()) as { access_token?: string };
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer.access_token ?? '';
}

const toText = (value: unknown): string =>
  JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field instanceof Uint8Array ? Buffer.from(field).toString('latin1') : field));

test('no password, token, client secret or private key in any stdout line, span or log record', async () => {
  const admin = (path: string, body?: unknown) => httpJson('POST', `${service('auth').adminUrl}${path}`, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const user = await admin('/admin/users', { username: 'dorothy', password: PASSWORD, roles: [] });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const userId = (user.body as { id: string }).id;
  assert.equal((await admin('/admin/clients', { clientId: 'loadgen', secret: OTHER_CLIENT_SECRET, roles: ['service'] })).status, 201);

  const rootSignIn = await signIn('root-admin', ADMIN_PASSWORD);
  const userSignIn = await signIn('dorothy', PASSWORD);
  assert.equal(rootSignIn.status, 200);
  assert.equal(userSignIn.status, 200);
  assert.equal((await signIn('dorothy', WRONG_PASSWORD)).status, 401);
  const basic = Buffer.from(`movie:${CLIENT_SECRET}`).toString('base64');
  const clientTokens = [
    await clientToken('grant_type=client_credentials', { authorization: `Basic ${basic}` }),
    await clientToken(`grant_type=client_credentials&client_id=loadgen&client_secret=${OTHER_CLIENT_SECRET}`),
  ];
  assert.equal((await admin('/admin/signing-keys')).status, 201, 'a rotation writes a second private key');
  const afterRotation = await signIn('dorothy', PASSWORD);

  const adminHeaders = { authorization: `Bearer ${rootSignIn.token}` };
  const userHeaders = { authorization: `Bearer ${userSignIn.token}` };
  assert.equal((await httpJson('PUT', `${service('metadata').url}/metadata/${MOVIE_ID}`, { title: 'Heat', year: 1995 }, adminHeaders)).status, 201);
  assert.equal((await httpJson('PUT', `${service('rating').url}/ratings/movie/${MOVIE_ID}`, { value: 5 }, userHeaders)).status, 201);
  const refused = await httpJson('PUT', `${service('rating').url}/ratings/movie/${MOVIE_ID}`, { value: 5 }, { authorization: `Bearer ${clientTokens[0]}` });
  assert.equal(refused.status, 403, 'a client token cannot rate');
  const movie = await httpJson('GET', `${service('movie').url}/movies/${MOVIE_ID}`, undefined, { authorization: `Bearer ${afterRotation.token}` });
  assert.deepEqual((movie.body as { rating: unknown }).rating, { average: 5, count: 1 }, JSON.stringify(movie.body));
  assert.equal((await httpJson('GET', `${service('metadata').adminUrl}/admin/log-level`, undefined, adminHeaders)).status, 200);

  // Something to search: the rating written as the user (enduser.id is the user's id, never the token).
  await waitUntil(() => otlp.spans().some((span) => span.attributes['enduser.id'] === userId) || undefined, { what: "the rating span with the user's id", timeoutMs: 15_000 });
  const privateKeys = await privateKeyParts(auth.keyFile);
  assert.equal(privateKeys.length, 2);
  await Promise.all(services.map((running) => running.stop()));

  const tokens = [rootSignIn.token, userSignIn.token, afterRotation.token, ...clientTokens];
  const secrets: Record<string, string> = {
    'the password': PASSWORD,
    'the wrong password': WRONG_PASSWORD,
    "the first administrator's password": ADMIN_PASSWORD,
    'the client secret': CLIENT_SECRET,
    'the client secret sent as a form field': OTHER_CLIENT_SECRET,
    'the HTTP Basic credentials': basic,
    'the admin token': ADMIN_TOKEN,
    ...Object.fromEntries(tokens.map((token, i) => [`access token ${i}`, token])),
    ...Object.fromEntries(tokens.map((token, i) => [`the signature of access token ${i}`, token.split('.')[2] ?? ''])),
    ...Object.fromEntries(privateKeys.map((d, i) => [`private signing key ${i}`, d])),
  };
  for (const value of Object.values(secrets)) assert.ok(value.length >= 16, 'every secret is long enough not to match by chance');

  const places: Record<string, string> = {
    ...Object.fromEntries(services.map((running) => [`${running.service}'s output`, running.lines().join('\n')])),
    'the exported spans': toText(otlp.spans()),
    'the exported log records': toText(otlp.logs()),
  };
  assert.ok(otlp.logs().length > 0 && otlp.spans().length > 0, 'telemetry was exported');
  for (const [where, text] of Object.entries(places)) {
    for (const [what, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `${what} is in ${where}`);
  }
  assert.ok(places['the exported spans']?.includes(userId), "positive control: the user's id is in the spans");
});
