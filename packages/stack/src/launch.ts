import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPOSITORY_ROOT, type ComponentName } from './components.js';
import { stackBinary } from './cache.js';
import type { StackPorts } from './ports.js';
import { spawnBackend, waitUntilReady, type BackendProcess } from './process.js';

/** A Prometheus scrape target of the stack's file-based discovery (prometheus/targets/*.json). */
export interface ScrapeTarget {
  service: string;
  address: string;
}

export interface StackOptions {
  ports: StackPorts;
  /** Each backend keeps its data below this folder (kept between runs of `npm run stack`). */
  dataDir: string;
  /** The services' admin listeners, scraped by Prometheus beside the stack's own components. */
  serviceTargets: readonly ScrapeTarget[];
  /** Adds otel-collector/tail-sampling.yaml to the collector's configuration. */
  tailSampling?: boolean;
  /** The span and service-graph metrics' flush interval (the collector configuration's default otherwise). */
  spanMetricsFlushInterval?: string;
  /** Alertmanager's configuration file; the repository's alertmanager/alertmanager.yml by default. */
  alertmanagerConfig?: string;
  /**
   * Prometheus's configuration file; the repository's prometheus/prometheus.yml by default. Tests
   * pass a copy with shorter intervals. It is read as etc/prometheus.yml, so its relative paths
   * (targets/active.json, ../alerts) resolve as the repository's do.
   */
  prometheusConfig?: string;
  output: (component: string, line: string) => void;
  readyTimeoutMs?: number;
}

export interface RunningStack {
  ports: StackPorts;
  urls: { collectorOtlpHttp: string; collectorOtlpGrpc: string; jaeger: string; prometheus: string; alertmanager: string; victorialogs: string };
  backends: readonly BackendProcess[];
  /** Stops one backend (tests take the collector away and bring it back). */
  stopBackend(name: ComponentName): Promise<void>;
  startBackend(name: ComponentName): Promise<void>;
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const url = (port: number): string => `http://${LOOPBACK}:${port}`;

function scrapeTargets(options: StackOptions): object[] {
  const { ports } = options;
  const own: ScrapeTarget[] = [
    { service: 'prometheus', address: `${LOOPBACK}:${ports.prometheus}` },
    { service: 'alertmanager', address: `${LOOPBACK}:${ports.alertmanager}` },
    { service: 'otel-collector', address: `${LOOPBACK}:${ports.collectorMetrics}` },
    { service: 'jaeger', address: `${LOOPBACK}:${ports.jaegerMetrics}` },
    { service: 'victorialogs', address: `${LOOPBACK}:${ports.victorialogs}` },
  ];
  return [...options.serviceTargets, ...own].map(({ service, address }) => ({ targets: [address], labels: { service } }));
}

/**
 * Prometheus reads the repository's prometheus.yml and alerts/ through links, so `npm run rules`
 * and a reload take effect, and a targets file written for these ports (the file the configuration
 * discovers its targets from).
 */
async function preparePrometheus(options: StackOptions): Promise<string> {
  const root = path.join(options.dataDir, 'prometheus');
  const etc = path.join(root, 'etc');
  await mkdir(path.join(etc, 'targets'), { recursive: true });
  for (const [link, target] of [
    [path.join(etc, 'prometheus.yml'), options.prometheusConfig ?? path.join(REPOSITORY_ROOT, 'prometheus', 'prometheus.yml')],
    [path.join(root, 'alerts'), path.join(REPOSITORY_ROOT, 'alerts')],
  ] as const) {
    await rm(link, { force: true, recursive: false });
    await symlink(target, link);
  }
  await writeFile(path.join(etc, 'targets', 'active.json'), `${JSON.stringify(scrapeTargets(options), null, 2)}\n`);
  return path.join(etc, 'prometheus.yml');
}

interface BackendSpec {
  name: ComponentName;
  binary: string;
  args: string[];
  env?: Record<string, string>;
  readyUrl: string;
}

async function backendSpecs(options: StackOptions): Promise<BackendSpec[]> {
  const { ports, dataDir } = options;
  const prometheusConfig = await preparePrometheus(options);
  const collectorConfigs = ['config.yaml', ...(options.tailSampling ? ['tail-sampling.yaml'] : [])].map(
    (file) => `--config=file:${path.join(REPOSITORY_ROOT, 'otel-collector', file)}`,
  );
  return [
    {
      name: 'victorialogs',
      binary: await stackBinary('victorialogs', 'victoria-logs'),
      args: [`-httpListenAddr=${LOOPBACK}:${ports.victorialogs}`, `-storageDataPath=${path.join(dataDir, 'victorialogs')}`, '-retentionPeriod=7d'],
      readyUrl: `${url(ports.victorialogs)}/health`,
    },
    {
      name: 'prometheus',
      binary: await stackBinary('prometheus', 'prometheus'),
      args: [
        `--config.file=${prometheusConfig}`,
        `--storage.tsdb.path=${path.join(dataDir, 'prometheus', 'data')}`,
        '--storage.tsdb.retention.time=35d',
        `--web.listen-address=${LOOPBACK}:${ports.prometheus}`,
        '--web.enable-otlp-receiver',
        '--enable-feature=exemplar-storage',
        '--web.enable-lifecycle',
      ],
      readyUrl: `${url(ports.prometheus)}/-/ready`,
    },
    {
      name: 'alertmanager',
      binary: await stackBinary('alertmanager', 'alertmanager'),
      args: [
        `--config.file=${options.alertmanagerConfig ?? path.join(REPOSITORY_ROOT, 'alertmanager', 'alertmanager.yml')}`,
        `--storage.path=${path.join(dataDir, 'alertmanager')}`,
        `--web.listen-address=${LOOPBACK}:${ports.alertmanager}`,
        '--cluster.listen-address=',
      ],
      readyUrl: `${url(ports.alertmanager)}/-/ready`,
    },
    {
      name: 'jaeger',
      binary: await stackBinary('jaeger', 'jaeger'),
      args: [`--config=file:${path.join(REPOSITORY_ROOT, 'jaeger', 'config.yaml')}`],
      env: {
        JAEGER_LISTEN_HOST: LOOPBACK,
        JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpc),
        JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttp),
        JAEGER_QUERY_PORT: String(ports.jaegerQuery),
        JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
        JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
        JAEGER_METRICS_PORT: String(ports.jaegerMetrics),
        JAEGER_DATA_DIR: path.join(dataDir, 'jaeger'),
        PROMETHEUS_URL: url(ports.prometheus),
      },
      readyUrl: `${url(ports.jaegerQuery)}/api/services`,
    },
    {
      name: 'otel-collector',
      binary: await stackBinary('otel-collector', 'otelcol-cinemetrics'),
      args: collectorConfigs,
      env: {
        OTELCOL_LISTEN_HOST: LOOPBACK,
        OTELCOL_OTLP_GRPC_PORT: String(ports.collectorOtlpGrpc),
        OTELCOL_OTLP_HTTP_PORT: String(ports.collectorOtlpHttp),
        OTELCOL_HEALTH_PORT: String(ports.collectorHealth),
        OTELCOL_METRICS_PORT: String(ports.collectorMetrics),
        JAEGER_OTLP_GRPC_ENDPOINT: `${LOOPBACK}:${ports.jaegerOtlpGrpc}`,
        PROMETHEUS_URL: url(ports.prometheus),
        VICTORIALOGS_URL: url(ports.victorialogs),
        ...(options.spanMetricsFlushInterval ? { OTELCOL_SPAN_METRICS_FLUSH_INTERVAL: options.spanMetricsFlushInterval } : {}),
      },
      readyUrl: `${url(ports.collectorHealth)}/`,
    },
  ];
}

/**
 * Starts VictoriaLogs, Prometheus, Alertmanager, Jaeger and the collector (each once the one it
 * sends to is ready) from the cached binaries and the repository's configuration files.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const specs = await backendSpecs(options);
  const running = new Map<ComponentName, BackendProcess>();
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  const startBackend = async (name: ComponentName): Promise<void> => {
    const spec = specs.find((candidate) => candidate.name === name);
    if (!spec) throw new Error(`unknown backend ${name}`);
    if (running.get(name)?.running()) return;
    await mkdir(options.dataDir, { recursive: true });
    const backend = spawnBackend({ name, command: spec.binary, args: spec.args, cwd: options.dataDir, env: spec.env ?? {}, output: options.output });
    running.set(name, backend);
    await waitUntilReady(backend, spec.readyUrl, readyTimeoutMs);
  };
  const stopBackend = async (name: ComponentName): Promise<void> => {
    await running.get(name)?.stop();
  };
  const stop = async (): Promise<void> => {
    // The collector first, so it can still deliver what it holds; then the rest together.
    await stopBackend('otel-collector');
    await Promise.all([...running.values()].map((backend) => backend.stop()));
  };

  try {
    for (const spec of specs) await startBackend(spec.name);
  } catch (error) {
    await stop();
    throw error;
  }
  const { ports } = options;
  return {
    ports,
    urls: {
      collectorOtlpHttp: url(ports.collectorOtlpHttp),
      collectorOtlpGrpc: url(ports.collectorOtlpGrpc),
      jaeger: url(ports.jaegerQuery),
      prometheus: url(ports.prometheus),
      alertmanager: url(ports.alertmanager),
      victorialogs: url(ports.victorialogs),
    },
    get backends() {
      return [...running.values()];
    },
    stopBackend,
    startBackend,
    stop,
  };
}
