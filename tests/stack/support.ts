import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  freePort,
  Identities,
  makeTempDir,
  PrometheusClient,
  startMariaDb,
  startService,
  startWebhookReceiver,
  waitUntil,
  type MariaDb,
  type ServiceName,
  type StartedService,
  type TempDir,
  type WebhookReceiver,
} from '@cinemetrics/testing';
import { parseDuration, writeRules } from '@cinemetrics/slo';
import { freeStackPorts, REPOSITORY_ROOT, startStack, writeAlertmanagerConfigWithWebhooks, type RunningStack } from '@cinemetrics/stack';
import { parse, stringify } from 'yaml';
import { PATIENT_MOVIE_ENV } from '../support/patience.js';
import { JaegerApi, VictoriaLogsApi } from './backends.js';

const SERVICES: readonly ServiceName[] = ['metadata', 'rating', 'auth', 'movie'];

export interface FullStack {
  stack: RunningStack;
  mariadb: MariaDb;
  services: Record<ServiceName, StartedService>;
  /** Users and clients of the stack's auth service, signed in. */
  identities: Identities;
  jaeger: JaegerApi;
  prometheus: PrometheusClient;
  logs: VictoriaLogsApi;
  /** Every line a backend wrote, for failure messages. */
  backendOutput: string[];
  /** Where Alertmanager's webhooks deliver (unless the stack was given an Alertmanager configuration of its own). */
  webhook: WebhookReceiver | undefined;
  /** Starts a stopped service again on its ports, as a supervisor would. */
  restartService(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The test stack's Prometheus clock. prometheus.yml scrapes and evaluates every 15 s, which would make
 * every test wait for minutes; the tests run the same file with a shorter global interval and, when
 * `timeScale` is set, the rules the generator writes time-scaled (windows and `for` divided by it)
 * instead of the committed alerts/. promtool's rule tests prove the real durations.
 */
export interface StackClock {
  /** Prometheus's global scrape, scrape-timeout and evaluation interval. */
  interval: string;
  timeScale?: number;
}

const DEFAULT_STACK_CLOCK: StackClock = { interval: '2s' };

/** prometheus/prometheus.yml with the clock's interval (and rule files), written into `dir`. */
async function prometheusConfigFor(clock: StackClock, dir: string): Promise<string> {
  const config = parse(await readFile(path.join(REPOSITORY_ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as Record<string, unknown>;
  config['global'] = { ...(config['global'] as object), scrape_interval: clock.interval, scrape_timeout: clock.interval, evaluation_interval: clock.interval };
  if (clock.timeScale !== undefined) {
    const rules = path.join(dir, 'time-scaled-rules');
    await writeRules({ timeScale: clock.timeScale, outDir: rules });
    config['rule_files'] = [path.join(rules, '*.rules.yml')];
  }
  const file = path.join(dir, 'prometheus.yml');
  await writeFile(file, stringify(config));
  return file;
}

/**
 * How long an alert with this `for` may take to reach Alertmanager once its condition holds: the `for`
 * duration plus up to three intervals (the scrape that sees it, the evaluation that starts the `for`,
 * the one that sends it).
 */
export function alertPromiseMs(clock: StackClock, forDuration: string): number {
  return parseDuration(forDuration) + 3 * parseDuration(clock.interval);
}

interface ServicePorts {
  port: number;
  adminPort: number;
}

/** The stack's services' extra settings for files about something other than timeouts (PATIENT_MOVIE_ENV). */
export const PATIENT_MOVIE: Partial<Record<ServiceName, Record<string, string>>> = { movie: { ...PATIENT_MOVIE_ENV } };

/**
 * The whole system as `npm run stack` runs it, on temporary folders and free loopback ports: the
 * built collector, Jaeger, Prometheus, Alertmanager and VictoriaLogs with the repository's
 * configuration files, and the four services on MariaDB exporting to the collector; movie calls
 * metadata and rating with its own client-credentials token.
 */
export async function startFullStack(
  options: { alertmanagerConfig?: string; clock?: StackClock; serviceEnv?: Partial<Record<ServiceName, Record<string, string>>> } = {},
): Promise<FullStack> {
  const data: TempDir = await makeTempDir('cinemetrics-stack-');
  const [mariadb, prometheusConfig] = await Promise.all([startMariaDb(), prometheusConfigFor(options.clock ?? DEFAULT_STACK_CLOCK, data.path)]);
  // The repository's receivers are placeholders off this machine: the notifications come here instead.
  let webhook: WebhookReceiver | undefined;
  let alertmanagerConfig = options.alertmanagerConfig;
  if (alertmanagerConfig === undefined) {
    webhook = await startWebhookReceiver();
    alertmanagerConfig = await writeAlertmanagerConfigWithWebhooks(webhook.url, data.path);
  }
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, { port: await freePort(), adminPort: await freePort() }] as const))) as Record<
    ServiceName,
    ServicePorts
  >;
  const backendOutput: string[] = [];
  const stack = await startStack({
    ports: await freeStackPorts(),
    dataDir: data.path,
    serviceTargets: SERVICES.map((service) => ({ service, address: `127.0.0.1:${ports[service].adminPort}` })),
    spanMetricsFlushInterval: '2s',
    prometheusConfig,
    alertmanagerConfig,
    output: (component, line) => backendOutput.push(`[${component}] ${line}`),
  }).catch(async (error: unknown) => {
    await webhook?.close();
    throw error;
  });
  const url = (name: ServiceName): string => `http://127.0.0.1:${ports[name].port}`;
  const adminToken = randomBytes(18).toString('base64url');
  const identities = new Identities({ url: url('auth'), adminUrl: `http://127.0.0.1:${ports.auth.adminPort}` }, adminToken);
  /** Set once auth knows the movie client, so a restarted movie keeps it. */
  const ownEnv: Partial<Record<ServiceName, Record<string, string>>> = { auth: { ADMIN_TOKEN: adminToken } };
  const envFor = (name: ServiceName): Record<string, string> => ({
    PORT: String(ports[name].port),
    ADMIN_PORT: String(ports[name].adminPort),
    MYSQL_URL: mariadb.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: stack.urls.collectorOtlpHttp,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    LOG_FORMAT: 'json',
    METADATA_URL: url('metadata'),
    RATING_URL: url('rating'),
    AUTH_URL: url('auth'),
    ...ownEnv[name],
    ...options.serviceEnv?.[name],
  });
  const services = {} as Record<ServiceName, StartedService>;
  const start = async (name: ServiceName): Promise<void> => {
    services[name] = await startService(name, { env: envFor(name) });
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await stack.stop();
    await webhook?.close();
    await mariadb.dispose();
    await data.remove();
  };
  try {
    // Settled, not all: when one fails the others are still starting, and must be stopped below.
    const started = await Promise.allSettled(['metadata', 'rating', 'auth'].map((name) => start(name as ServiceName)));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    ownEnv.movie = { AUTH_CLIENT_SECRET: (await identities.client('movie', ['service'])).secret };
    await start('movie');
  } catch (error) {
    // A service left running would keep the test file's process alive after its failure is reported.
    await stopAll();
    throw error;
  }
  return {
    stack,
    mariadb,
    services,
    identities,
    jaeger: new JaegerApi(stack.urls.jaeger),
    prometheus: new PrometheusClient(stack.urls.prometheus),
    logs: new VictoriaLogsApi(stack.urls.victorialogs),
    backendOutput,
    webhook,
    restartService: start,
    stop: stopAll,
  };
}

/** A W3C traceparent with a fresh sampled trace id, so a test knows the trace id of its request. */
export function newTraceparent(): { traceId: string; header: string } {
  const hex = (bytes: number): string => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
  const traceId = hex(16);
  return { traceId, header: `00-${traceId}-${hex(8)}-01` };
}

/** Polls `check` until it holds, by default for up to 90 s (the pipeline's flush and scrape intervals add up). */
export async function eventually(what: string, check: () => Promise<boolean>, describe?: () => string | Promise<string>, timeoutMs = 90_000): Promise<void> {
  await waitUntil(async () => ((await check()) ? true : undefined), { what, timeoutMs, intervalMs: 1_000, ...(describe ? { describe } : {}) });
}
