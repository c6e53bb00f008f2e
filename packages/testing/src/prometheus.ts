import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stackBinary } from '@cinemetrics/stack';
import { findBinary } from './binaries.js';
import { startDaemon } from './daemon.js';
import { fetchWithTimeout } from './prometheus-http.js';
import { PrometheusQueries } from './prometheus-queries.js';
import type { ExemplarSeries, InstantSample, RangeSeries } from './prometheus-queries.js';
export type { ExemplarSeries, InstantSample, RangeSeries };
import type { RunningProcess } from './service-process.js';
import { makeTempDir, type TempDir } from './temp.js';
import { waitUntil } from './wait.js';

/** What goes into prometheus.yml; reload() accepts the same keys. */
export interface PrometheusConfigOptions {
  /** scrape_config entries used as given (job_name, static_configs, metrics_path, ...). */
  scrapeConfigs?: Record<string, unknown>[];
  /** Shorthand for one scrape job named "targets" over these host:port targets (path /metrics). */
  targets?: string[];
  /** Rule files (YAML or JSON) by path; Prometheus resolves relative paths against its temp dir. */
  ruleFiles?: string[];
  /** Rule groups (`{ name, interval?, rules: [...] }`) written to rules.json in the temp dir. */
  ruleGroups?: Record<string, unknown>[];
  /** Alertmanager to notify, e.g. `alertmanager.url` (http://127.0.0.1:port). */
  alertmanagerUrl?: string;
  /** global.scrape_interval; default '1s' (Prometheus' own default of 1m is too slow for tests). */
  scrapeInterval?: string;
  /** global.evaluation_interval; default '1s'. */
  evaluationInterval?: string;
}

export interface PrometheusOptions extends PrometheusConfigOptions {
  /**
   * --rules.alert.resend-delay; default '1s' (Prometheus' own default is 1m). Prometheus
   * discovers even a static Alertmanager only about 5 s after start and drops the alerts
   * it sends before then, so without quick resending the first notification waits a minute.
   */
  alertResendDelay?: string;
  /** Appended to the command line (e.g. '--log.level=debug'). */
  extraFlags?: string[];
  /** Executable; default the one `npm run stack:build` built from the pinned module. */
  binary?: string;
  /** Default 30 s. */
  readyTimeoutMs?: number;
}

export interface PrometheusTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface PrometheusRule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  /** RFC 3339; `0001-01-01T00:00:00Z` until the rule is first evaluated. */
  lastEvaluation?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Alerting rules: 'inactive' | 'pending' | 'firing'. */
  state?: string;
  alerts?: PrometheusAlert[];
  duration?: number;
}

export interface PrometheusRuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: PrometheusRule[];
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Temporary directory holding prometheus.yml, rules.json and the TSDB. */
  readonly dir: string;
  readonly configFile: string;
  readonly running: boolean;
  /** Prometheus' log lines so far. */
  output(): string[];
  /** Instant query (GET /api/v1/query); a scalar result comes back as one sample with no labels. */
  query(expr: string, timeSec?: number): Promise<InstantSample[]>;
  /** Range query (GET /api/v1/query_range); stepSec defaults to 1. */
  queryRange(expr: string, startSec: number, endSec: number, stepSec?: number): Promise<RangeSeries[]>;
  /** GET /api/v1/query_exemplars (exemplar storage is enabled). */
  queryExemplars(expr: string, startSec: number, endSec: number): Promise<ExemplarSeries[]>;
  /** GET /api/v1/series: the label sets of the series matching any selector. */
  series(match: string[], startSec?: number, endSec?: number): Promise<Record<string, string>[]>;
  /** The active targets with their health and last scrape error. */
  targets(): Promise<PrometheusTarget[]>;
  /** Resolves with the healthy targets once at least `count` are up; default timeout 20 s. */
  waitForTargetsUp(count: number, timeoutMs?: number): Promise<PrometheusTarget[]>;
  /** GET /api/v1/alerts: pending and firing alerts. */
  alerts(): Promise<PrometheusAlert[]>;
  /** GET /api/v1/rules: rule groups with each rule's health and state. */
  rules(): Promise<PrometheusRuleGroup[]>;
  /**
   * Rewrites prometheus.yml (and rules.json) with `update` merged over the current settings,
   * then POST /-/reload; rejects with Prometheus' error when the new configuration is invalid.
   * Without `update` it re-reads the existing files (e.g. rule files changed on disk).
   */
  reload(update?: PrometheusConfigOptions): Promise<void>;
  /** Graceful shutdown (SIGTERM, SIGKILL after 10 s). No-op when not running. */
  stop(): Promise<void>;
  /** Stops Prometheus if running and removes the temporary directory. Safe to call twice. */
  dispose(): Promise<void>;
}

const INSTALL_HINT = 'Build the stack with: npm run stack:build';
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_TARGETS_TIMEOUT_MS = 20_000;
const DEFAULT_INTERVAL = '1s';
const RULES_FILE = 'rules.json';

/**
 * Starts a private Prometheus with exemplar storage on a free loopback port, its config
 * and TSDB in a fresh temporary directory, and waits until /-/ready answers 200.
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const binary = options.binary !== undefined ? await findBinary(options.binary, INSTALL_HINT) : await stackBinary('prometheus', 'prometheus');
  const dir = await makeTempDir('cinemetrics-prometheus-');
  try {
    const server = new Prometheus(dir, options);
    await server.writeConfig();
    await server.start(binary, options);
    return server;
  } catch (error) {
    await dir.remove();
    throw error;
  }
}


class Prometheus extends PrometheusQueries implements PrometheusServer {
  readonly configFile: string;
  private config: PrometheusConfigOptions;
  private process: RunningProcess | undefined;
  private boundPort = 0;
  private disposed = false;

  constructor(
    private readonly tempDir: TempDir,
    options: PrometheusConfigOptions,
  ) {
    super();
    this.configFile = join(tempDir.path, 'prometheus.yml');
    this.config = pickConfig(options);
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  get dir(): string {
    return this.tempDir.path;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  output(): string[] {
    return this.process?.lines() ?? [];
  }

  async start(binary: string, options: PrometheusOptions): Promise<void> {
    const daemon = await startDaemon({
      name: 'prometheus',
      binary,
      cwd: this.dir,
      readyPath: '/-/ready',
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      args: (port) => [
        `--config.file=${this.configFile}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Links it generates (generatorURL, externalURL) point here rather than at the hostname.
        `--web.external-url=http://127.0.0.1:${port}/`,
        '--web.enable-lifecycle',
        '--enable-feature=exemplar-storage',
        `--rules.alert.resend-delay=${options.alertResendDelay ?? DEFAULT_INTERVAL}`,
        ...(options.extraFlags ?? []),
      ],
    });
    this.process = daemon.process;
    this.boundPort = daemon.port;
  }

  async writeConfig(): Promise<void> {
    const rulesFile = join(this.dir, RULES_FILE);
    if (this.config.ruleGroups !== undefined) {
      await writeFile(rulesFile, `${JSON.stringify({ groups: this.config.ruleGroups }, null, 2)}\n`);
    }
    const ruleFiles = [...(this.config.ruleFiles ?? []), ...(this.config.ruleGroups === undefined ? [] : [rulesFile])];
    const scrapeConfigs = [
      ...(this.config.targets === undefined ? [] : [{ job_name: 'targets', static_configs: [{ targets: this.config.targets }] }]),
      ...(this.config.scrapeConfigs ?? []),
    ];
    const document: Record<string, unknown> = {
      global: {
        scrape_interval: this.config.scrapeInterval ?? DEFAULT_INTERVAL,
        evaluation_interval: this.config.evaluationInterval ?? DEFAULT_INTERVAL,
      },
      scrape_configs: scrapeConfigs,
      rule_files: ruleFiles,
    };
    if (this.config.alertmanagerUrl !== undefined) document['alerting'] = alertingSection(this.config.alertmanagerUrl);
    // JSON is valid YAML, and Prometheus reads its configuration as YAML.
    await writeFile(this.configFile, `${JSON.stringify(document, null, 2)}\n`);
  }

  async targets(): Promise<PrometheusTarget[]> {
    const data = await this.api<{ activeTargets: PrometheusTarget[] }>('/api/v1/targets?state=active');
    return data.activeTargets;
  }

  waitForTargetsUp(count: number, timeoutMs = DEFAULT_TARGETS_TIMEOUT_MS): Promise<PrometheusTarget[]> {
    return waitUntil(
      async () => {
        const up = (await this.targets()).filter((target) => target.health === 'up');
        return up.length >= count ? up : undefined;
      },
      {
        timeoutMs,
        intervalMs: 200,
        what: `${count} Prometheus target(s) to be up`,
        describe: async () => {
          const targets = await this.targets().catch((error: unknown) => String(error));
          if (typeof targets === 'string') return targets;
          const lines = targets.map((target) => `  ${target.scrapeUrl}: ${target.health}${target.lastError ? ` (${target.lastError})` : ''}`);
          return `Active targets (${targets.length}):\n${lines.join('\n') || '  none'}`;
        },
      },
    );
  }

  async alerts(): Promise<PrometheusAlert[]> {
    return (await this.api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts;
  }

  async rules(): Promise<PrometheusRuleGroup[]> {
    return (await this.api<{ groups: PrometheusRuleGroup[] }>('/api/v1/rules')).groups;
  }

  async reload(update?: PrometheusConfigOptions): Promise<void> {
    this.assertRunning();
    if (update !== undefined) {
      this.config = { ...this.config, ...pickConfig(update) };
      await this.writeConfig();
    }
    const linesBefore = this.output().length;
    const response = await fetchWithTimeout('prometheus', `${this.url}/-/reload`, { method: 'POST' });
    const text = await response.text();
    if (!response.ok) {
      // The HTTP answer only says that something failed; the reason is in the log.
      const errors = this.output()
        .slice(linesBefore)
        .filter((line) => /level=error/i.test(line));
      throw new Error(`prometheus: reload failed with ${response.status}: ${text.trim()}\n${errors.join('\n')}`);
    }
  }

  async stop(): Promise<void> {
    if (this.running) await this.process?.stop('SIGTERM');
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stop();
    await this.tempDir.remove();
  }

  protected override api<T>(pathAndQuery: string): Promise<T> {
    this.assertRunning();
    return super.api<T>(pathAndQuery);
  }

  private assertRunning(): void {
    if (!this.running) throw new Error(`Prometheus on port ${this.boundPort} is not running`);
  }
}

function pickConfig(options: PrometheusConfigOptions): PrometheusConfigOptions {
  const { scrapeConfigs, targets, ruleFiles, ruleGroups, alertmanagerUrl, scrapeInterval, evaluationInterval } = options;
  const picked: PrometheusConfigOptions = { scrapeConfigs, targets, ruleFiles, ruleGroups, alertmanagerUrl, scrapeInterval, evaluationInterval };
  for (const key of Object.keys(picked) as (keyof PrometheusConfigOptions)[]) {
    if (picked[key] === undefined) delete picked[key];
  }
  return picked;
}

function alertingSection(alertmanagerUrl: string): Record<string, unknown> {
  const url = new URL(alertmanagerUrl);
  return {
    alertmanagers: [
      {
        scheme: url.protocol.replace(/:$/, ''),
        path_prefix: url.pathname,
        static_configs: [{ targets: [url.host] }],
      },
    ],
  };
}
