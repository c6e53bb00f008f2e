import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { httpJson, startOtlpReceiver, type StartedService } from '@cinemetrics/testing';
import { accessToken, admin, basic, signIn, startAuth, tokenRequest } from './support.js';

/**
 * With AUTH_SIGNING_KEY_FILE and telemetry exported to a receiver: the key file is private to its
 * owner, and no private key, password, secret, token or username reaches a log line, a log record,
 * a span or a response.
 */

const started: StartedService[] = [];
after(() => Promise.all(started.map((proc) => proc.stop('SIGTERM', 5_000))));

test('secrets stay out of logs, spans and responses; the key file has mode 0600', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'auth-keyfile-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, 'signing-keys.json');
  const otlp = await startOtlpReceiver();
  after(() => otlp.close());
  const auth = await startAuth(
    {
      AUTH_SIGNING_KEY_FILE: keyFile,
      AUTH_ADMIN_USERNAME: 'rootuser',
      AUTH_ADMIN_PASSWORD: 'root-user-password',
      OTEL_SDK_DISABLED: undefined,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'always_on',
      LOG_LEVEL: 'debug',
    },
    started,
  );
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);

  const responses: unknown[] = [];
  const keep = <T extends { body: unknown; headers: Headers }>(response: T): T => {
    responses.push(response.body, [...response.headers.entries()]);
    return response;
  };
  keep(await admin(auth, '/admin/users', { username: 'dorothy', password: 'ruby-slippers' }));
  keep(await admin(auth, '/admin/clients', { clientId: 'movie', secret: 'a-long-client-secret', roles: ['service'] }));
  const userToken = accessToken(keep(await signIn(auth, 'dorothy', 'ruby-slippers')));
  keep(await signIn(auth, 'dorothy', 'wrong-slippers'));
  keep(await signIn(auth, 'toto', 'ruby-slippers'));
  const clientToken = accessToken(keep(await tokenRequest(auth, { grant_type: 'client_credentials' }, basic('movie', 'a-long-client-secret'))));
  keep(await tokenRequest(auth, { grant_type: 'client_credentials', client_id: 'movie', client_secret: 'not-the-client-secret' }));
  keep(await admin(auth, '/admin/signing-keys'));
  keep(await httpJson('GET', `${auth.url}/.well-known/jwks.json`));

  const issue = await otlp.waitFor(() => otlp.spans().find((span) => span.name === 'Tokens/Issue' && span.attributes['enduser.id'] !== undefined));
  assert.match(String(issue.attributes['enduser.id']), /^[0-9a-f-]{36}$/);
  await otlp.waitFor(() => otlp.spans().find((span) => span.name === 'Tokens/Issue' && span.attributes['auth.client_id'] === 'movie'));
  await otlp.waitFor(() => (otlp.logs().some((log) => JSON.stringify(log.body).includes('signing key rotated')) ? true : undefined));

  const privateParts = (JSON.parse(await readFile(keyFile, 'utf8')) as { keys: { d: string }[] }).keys.map((key) => key.d);
  assert.equal(privateParts.length, 2);
  const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? String(value) : value);
  const places = {
    'log lines': auth.lines().join('\n'),
    'log records': JSON.stringify(otlp.logs(), bigints),
    spans: JSON.stringify(otlp.spans(), bigints),
    responses: JSON.stringify(responses),
  };
  const secrets = [...privateParts, 'ruby-slippers', 'wrong-slippers', 'root-user-password', 'a-long-client-secret', 'not-the-client-secret'];
  for (const [place, text] of Object.entries(places)) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${place} contain a secret (${secret.slice(0, 3)}…)`);
    if (place !== 'responses') {
      for (const token of [userToken, clientToken]) assert.ok(!text.includes(token.split('.')[2]!), `${place} contain a token`);
    }
  }
  assert.ok(!places.spans.includes('dorothy') && !places.spans.includes('toto') && !places.spans.includes('rootuser'), 'usernames on spans');
});
