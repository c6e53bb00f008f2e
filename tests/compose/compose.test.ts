import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { serviceEnvSchema, SHUTDOWN_OVERRUN_MS } from '@cinemetrics/kit';
import { SERVICE_NODE_FLAGS } from '@cinemetrics/kit/node-flags';
import { REPOSITORY_ROOT } from '@cinemetrics/stack';
import { COMPOSE_FILE, envDefaults, findHadolint, loadCompose, type ComposeProject } from './project.js';

const run = promisify(execFile);
const root = (...parts: string[]): string => path.join(REPOSITORY_ROOT, ...parts);

let secretsDir: string;
let project: ComposeProject;

test.before(async () => {
  secretsDir = await mkdtemp(path.join(os.tmpdir(), 'compose-secrets-'));
  await run('sh', [root('docker', 'secrets.sh'), secretsDir]);
  project = await loadCompose(COMPOSE_FILE, { CINEMETRICS_SECRETS: secretsDir }, ['loadgen']);
});
test.after(() => rm(secretsDir, { recursive: true, force: true }));

const APPLICATION = ['metadata', 'rating', 'movie', 'auth'] as const;
const GiB = 1024 ** 3;

test('compose-go loads the file with every service, and rejects a broken copy naming the problem', async () => {
  assert.deepEqual(Object.keys(project.services).sort(), [
    'alertmanager', 'auth', 'grafana', 'jaeger', 'loadgen', 'metadata', 'movie', 'mysql', 'otel-collector', 'prometheus', 'rating', 'victorialogs',
  ]);
  const withoutLoadgen = await loadCompose(COMPOSE_FILE, { CINEMETRICS_SECRETS: secretsDir });
  assert.ok(!('loadgen' in withoutLoadgen.services), 'the load generator only runs with --profile loadgen');

  const broken = path.join(REPOSITORY_ROOT, `.compose-broken-${process.pid}.yml`);
  try {
    await writeFile(broken, readFileSync(COMPOSE_FILE, 'utf8').replace('mem_limit: 448m', 'mem_limt: 448m'));
    await assert.rejects(loadCompose(broken, { CINEMETRICS_SECRETS: secretsDir }), /mem_limt/);
    await writeFile(broken, readFileSync(COMPOSE_FILE, 'utf8').replace('prometheus: { condition: service_healthy }', 'prometheus-typo: { condition: service_healthy }'));
    await assert.rejects(loadCompose(broken, { CINEMETRICS_SECRETS: secretsDir }), /prometheus-typo/);
  } finally {
    await rm(broken, { force: true });
  }
});

test('dclint finds no problem (style-only ordering rules are off in .dclintrc)', async () => {
  const bin = path.join(path.dirname(require.resolve('dclint/package.json')), 'bin', 'dclint.cjs');
  const { stdout } = await run(process.execPath, [bin, COMPOSE_FILE, '--max-warnings', '0'], { cwd: REPOSITORY_ROOT }).catch((error: { stdout?: string; stderr?: string }) => {
    assert.fail(`dclint: ${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  assert.doesNotMatch(stdout, /error|warning/);
});

test('every bind-mounted file and every secret file exists; secrets are generated, never committed', () => {
  const missing: string[] = [];
  for (const [name, service] of Object.entries(project.services)) {
    for (const volume of service.volumes ?? []) if (volume.type === 'bind' && !existsSync(volume.source)) missing.push(`${name}: ${volume.source}`);
    if (service.build && !existsSync(path.join(service.build.context, service.build.dockerfile ?? 'Dockerfile'))) missing.push(`${name}: its Dockerfile`);
  }
  for (const [name, secret] of Object.entries(project.secrets)) if (!existsSync(secret.file)) missing.push(`secret ${name}: ${secret.file}`);
  assert.deepEqual(missing, []);
  assert.match(readFileSync(root('.gitignore'), 'utf8'), /^secrets\/$/m);
});

test('every image is pinned to an exact version; the others are built from this repository', () => {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(project.services)) {
    if (service.image === undefined) {
      if (service.build === undefined) problems.push(`${name}: neither image nor build`);
      continue;
    }
    if (!/:v?\d+\.\d+\.\d+$/.test(service.image)) problems.push(`${name}: ${service.image} is not pinned to an exact version`);
  }
  for (const dockerfile of ['Dockerfile', 'otel-collector/distribution/Dockerfile']) {
    for (const [, image] of readFileSync(root(dockerfile), 'utf8').matchAll(/^(?:FROM|ARG NODE_IMAGE=)\s*(\S+)/gm)) {
      if (!image!.startsWith('$') && !/:\d+\.\d+\.\d+(-[\w-]+)?$/.test(image!)) problems.push(`${dockerfile}: ${image} is not pinned`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the Dockerfiles pass hadolint', async () => {
  const hadolint = findHadolint();
  assert.ok(hadolint, 'hadolint is installed by scripts/system-deps.sh (npm test runs it first)');
  await run(hadolint, [root('Dockerfile'), root('otel-collector', 'distribution', 'Dockerfile')]).catch((error: { stdout?: string }) => assert.fail(`hadolint: ${error.stdout}`));
});

test("every application service's variables are ones its configuration schema reads", async () => {
  const movie = (await import(root('services', 'movie', 'dist', 'src', 'config.js'))) as { movieEnvSchema: { shape: Record<string, unknown> } };
  const auth = (await import(root('services', 'auth', 'dist', 'src', 'config.js'))) as { authEnvSchema: { shape: Record<string, unknown> } };
  // ADMIN_HOST arrives with the admin-listener work; it is listed here until the kit's schema has it.
  const known = (schema: { shape: Record<string, unknown> }): Set<string> => new Set([...Object.keys(schema.shape), 'ADMIN_HOST']);
  const schemas = { metadata: known(serviceEnvSchema), rating: known(serviceEnvSchema), auth: known(auth.authEnvSchema), movie: known(movie.movieEnvSchema) };
  // The variables docker/entrypoint.sh fills from NAME_FILE.
  const fromFiles = new Set(/^SECRET_VARIABLES="([^"]*)"$/m.exec(readFileSync(root('docker', 'entrypoint.sh'), 'utf8'))?.[1]?.split(' '));
  const problems: string[] = [];
  for (const name of APPLICATION) {
    for (const variable of Object.keys(project.services[name]!.environment ?? {})) {
      const read = variable.replace(/_FILE$/, '');
      if (read !== variable && !fromFiles.has(read)) problems.push(`${name}: ${variable} is not a file the entrypoint reads`);
      if (read.startsWith('OTEL_')) continue;
      if (!schemas[name].has(read)) problems.push(`${name}: ${variable} is not a variable the service reads`);
    }
  }
  assert.deepEqual(problems, []);
});

test("docker/secrets.sh writes MYSQL_URLs the services accept: the server only, with the init script's user", () => {
  const init = readFileSync(root('docker', 'mysql-init.sh'), 'utf8');
  for (const service of ['metadata', 'rating', 'auth']) {
    const value = readFileSync(path.join(secretsDir, `${service}_mysql_url`), 'utf8');
    assert.equal(serviceEnvSchema.shape.MYSQL_URL.safeParse(value).success, true, `${service}'s MYSQL_URL`);
    const url = new URL(value);
    assert.deepEqual([url.hostname, url.port, url.username, url.pathname, url.search], ['mysql', '3306', service, '', '']);
    assert.equal(decodeURIComponent(url.password), readFileSync(path.join(secretsDir, `${service}_db_password`), 'utf8'));
  }
  assert.match(init, /for service in metadata rating auth; do/);
});

test('secrets reach the services as files, never as values in the compose file', () => {
  for (const [name, service] of Object.entries(project.services)) {
    for (const [variable, value] of Object.entries(service.environment ?? {})) {
      if (/PASSWORD|TOKEN|SECRET|AUTH_CLIENTS|MYSQL_URL/.test(variable)) {
        assert.match(variable, /_FILE$/, `${name}: ${variable} must come from a secret file`);
        assert.match(String(value), /^\/run\/secrets\//, `${name}: ${variable}`);
        assert.ok(service.secrets?.some((secret) => secret.target === value), `${name}: ${variable} names a secret the service mounts`);
      }
    }
  }
});

test('ports and URLs agree with the native configuration files and the scrape targets', () => {
  const s = project.services;
  const env = (service: string, variable: string): string => {
    const value = s[service]?.environment?.[variable];
    assert.ok(value, `${service} sets ${variable}`);
    return value;
  };
  const collector = envDefaults(readFileSync(root('otel-collector', 'config.yaml'), 'utf8'));
  const jaeger = envDefaults(readFileSync(root('jaeger', 'config.yaml'), 'utf8'));

  // The services export to the collector's OTLP/HTTP port; the collector sends to Jaeger's OTLP gRPC port.
  for (const name of APPLICATION) assert.equal(env(name, 'OTEL_EXPORTER_OTLP_ENDPOINT'), `http://otel-collector:${collector.get('OTELCOL_OTLP_HTTP_PORT')}`);
  assert.equal(env('otel-collector', 'JAEGER_OTLP_GRPC_ENDPOINT'), `jaeger:${jaeger.get('JAEGER_OTLP_GRPC_PORT')}`);
  assert.equal(env('otel-collector', 'PROMETHEUS_URL'), 'http://prometheus:9090');
  assert.equal(env('jaeger', 'PROMETHEUS_URL'), 'http://prometheus:9090');
  assert.equal(env('otel-collector', 'VICTORIALOGS_URL'), 'http://victorialogs:9428');
  assert.equal(env('otel-collector', 'OTELCOL_LISTEN_HOST'), '0.0.0.0');
  assert.equal(env('jaeger', 'JAEGER_LISTEN_HOST'), '0.0.0.0');
  assert.ok(s['victorialogs']!.command?.includes('-httpListenAddr=:9428'));
  assert.ok(s['otel-collector']!.healthcheck?.test?.some((part) => part === `http://127.0.0.1:${collector.get('OTELCOL_HEALTH_PORT')}/`));
  assert.ok(s['jaeger']!.healthcheck?.test?.some((part) => part.startsWith(`http://127.0.0.1:${jaeger.get('JAEGER_HEALTH_PORT')}/`)));

  // movie reaches metadata and rating on their public ports.
  assert.equal(env('movie', 'METADATA_URL'), `http://metadata:${env('metadata', 'PORT')}`);
  assert.equal(env('movie', 'RATING_URL'), `http://rating:${env('rating', 'PORT')}`);

  // Every scrape target Prometheus gets under compose is a compose service listening on that port.
  const listening: Record<string, string> = {
    prometheus: '9090',
    alertmanager: '9093',
    'otel-collector': collector.get('OTELCOL_METRICS_PORT')!,
    jaeger: jaeger.get('JAEGER_METRICS_PORT')!,
    victorialogs: '9428',
    ...Object.fromEntries(APPLICATION.map((name) => [name, env(name, 'ADMIN_PORT')])),
  };
  const targets = JSON.parse(readFileSync(root('prometheus', 'targets', 'compose.json'), 'utf8')) as { targets: string[]; labels: { service: string } }[];
  for (const entry of targets) {
    const [host, port] = entry.targets[0]!.split(':');
    const service = host === 'localhost' ? 'prometheus' : host!;
    assert.ok(s[service], `target ${entry.targets[0]} is a compose service`);
    assert.equal(port, listening[service], `target ${entry.targets[0]}`);
    assert.equal(entry.labels.service, service);
  }
  for (const name of APPLICATION) assert.equal(env(name, 'ADMIN_HOST'), '0.0.0.0', `${name}'s admin port must be reachable by Prometheus`);

  // Grafana's data sources point at the compose services' ports.
  const datasources = parse(readFileSync(root('grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8')) as { datasources: { uid: string; url: string }[] };
  const urls = Object.fromEntries(datasources.datasources.map((source) => [source.uid, source.url]));
  assert.deepEqual(urls, {
    prometheus: 'http://prometheus:9090',
    jaeger: `http://jaeger:${jaeger.get('JAEGER_QUERY_PORT')}`,
    victorialogs: 'http://victorialogs:9428',
    alertmanager: 'http://alertmanager:9093',
  });
});

test('only the user-facing ports are published, on loopback', () => {
  const published = Object.entries(project.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => `${name} ${port.host_ip}:${port.published}->${port.target}`));
  assert.deepEqual(published.sort(), [
    'alertmanager 127.0.0.1:9093->9093',
    'grafana 127.0.0.1:3000->3000',
    'jaeger 127.0.0.1:16686->16686',
    'movie 127.0.0.1:8083->8083',
    'prometheus 127.0.0.1:9090->9090',
  ]);
});

test('health checks and healthy dependencies everywhere; memory limits under 3 GiB as stated in the file', () => {
  const problems: string[] = [];
  let total = 0;
  let withoutProfiles = 0;
  for (const [name, service] of Object.entries(project.services)) {
    const oneShot = service.profiles?.includes('loadgen');
    if (!oneShot && (service.healthcheck?.disable || !service.healthcheck?.test)) problems.push(`${name}: no health check`);
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      if (condition !== 'service_healthy') problems.push(`${name} → ${dependency}: ${condition}`);
    }
    if (service.mem_limit === undefined) problems.push(`${name}: no memory limit`);
    total += Number(service.mem_limit ?? 0);
    if (!oneShot) withoutProfiles += Number(service.mem_limit ?? 0);
  }
  assert.deepEqual(problems, []);
  assert.ok(total <= 3 * GiB, `the whole stack's limits add up to ${total / 2 ** 20} MiB`);
  const header = readFileSync(COMPOSE_FILE, 'utf8');
  assert.match(header, new RegExp(`Memory limits add up to ${withoutProfiles / 2 ** 20} MiB \\(${total / 2 ** 20} MiB with the loadgen profile\\)`));
});

test('the services drain and flush their telemetry before they are killed: the stop grace period exceeds SHUTDOWN_TIMEOUT_MS and the last flush', () => {
  for (const name of APPLICATION) {
    const service = project.services[name]!;
    const grace = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]) * 1000;
    // The drain and the telemetry flush share SHUTDOWN_TIMEOUT_MS, but the flush and the log worker's end
    // may run past it (docs/architecture.md, shutdown).
    assert.ok(grace > Number(service.environment?.['SHUTDOWN_TIMEOUT_MS']) + SHUTDOWN_OVERRUN_MS, `${name}: ${service.stop_grace_period}`);
  }
  const dockerfile = readFileSync(root('Dockerfile'), 'utf8');
  assert.match(dockerfile, /^USER \d+:\d+$/m, 'the services run as a non-root user');
  assert.match(dockerfile, /^STOPSIGNAL SIGTERM$/m);
  assert.match(dockerfile, /^HEALTHCHECK .*\n.*\/\.well-known\/health/m);
  const exec = /^exec node (.*) --require @cinemetrics\/telemetry\/register "\$@"$/m.exec(readFileSync(root('docker', 'entrypoint.sh'), 'utf8'));
  assert.deepEqual(exec?.[1]?.split(' '), [...SERVICE_NODE_FLAGS], 'the entrypoint starts node with the services\' Node options, then the preload');
});

test('docker/secrets.sh writes identities auth accepts: AUTH_CLIENTS holds movie with the secret movie is given', async () => {
  const { authEnvSchema } = (await import(root('services', 'auth', 'dist', 'src', 'config.js'))) as {
    authEnvSchema: { safeParse(env: Record<string, string>): { success: boolean; data?: { AUTH_CLIENTS?: unknown } } };
  };
  const secret = (name: string): string => readFileSync(path.join(secretsDir, name), 'utf8');
  const parsed = authEnvSchema.safeParse({
    AUTH_ADMIN_USERNAME: String(project.services['auth']?.environment?.['AUTH_ADMIN_USERNAME']),
    AUTH_ADMIN_PASSWORD: secret('auth_admin_password'),
    AUTH_CLIENTS: secret('auth_clients'),
  });
  assert.equal(parsed.success, true);
  assert.deepEqual(parsed.data?.AUTH_CLIENTS, [{ clientId: 'movie', secret: secret('movie_client_secret'), roles: ['service'] }]);
  assert.equal(project.services['movie']?.environment?.['AUTH_CLIENT_ID'], 'movie');
  for (const name of APPLICATION) assert.equal(project.services[name]?.environment?.['AUTH_URL'], 'http://auth:8084', `${name} verifies tokens with auth`);
  const loadgen = project.services['loadgen'];
  assert.ok(loadgen?.command?.join(' ').includes('--auth-admin-url http://auth:8094'), 'the load generator makes its users on auth');
  assert.equal(loadgen?.environment?.['ADMIN_TOKEN_FILE'], '/run/secrets/admin_token');
});
