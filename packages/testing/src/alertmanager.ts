import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listenForAlertmanagerWebhooks, stackBinary, type WebhookNotification } from '@cinemetrics/stack';
import { findBinary } from './binaries.js';
import { startDaemon } from './daemon.js';
import { getJson } from './prometheus-http.js';
import type { RunningProcess } from './service-process.js';
import { makeTempDir, type TempDir } from './temp.js';
import { waitUntil } from './wait.js';

export interface AlertmanagerOptions {
  /** The alertmanager.yml document (route, receivers, inhibit_rules, ...), written as JSON. */
  config: Record<string, unknown>;
  /** Appended to the command line (e.g. '--log.level=debug'). */
  extraFlags?: string[];
  /** Executable; default the one `npm run stack:build` built from the pinned module. */
  binary?: string;
  /** Default 30 s. */
  readyTimeoutMs?: number;
}

/** One alert as GET /api/v2/alerts returns it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL?: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface AlertmanagerServer {
  /** `http://127.0.0.1:<port>`: pass it to startPrometheus({ alertmanagerUrl }). */
  readonly url: string;
  readonly port: number;
  /** Temporary directory holding alertmanager.yml and the notification log / silences. */
  readonly dir: string;
  readonly running: boolean;
  /** Alertmanager's log lines so far. */
  output(): string[];
  /** GET /api/v2/alerts: the alerts Alertmanager currently holds. */
  alerts(): Promise<AlertmanagerAlert[]>;
  /** Graceful shutdown (SIGTERM, SIGKILL after 10 s). No-op when not running. */
  stop(): Promise<void>;
  /** Stops Alertmanager if running and removes the temporary directory. Safe to call twice. */
  dispose(): Promise<void>;
}

const INSTALL_HINT = 'Build the stack with: npm run stack:build';
const DEFAULT_READY_TIMEOUT_MS = 30_000;

/**
 * Starts a private, non-clustered Alertmanager on a free loopback port with `config` as its
 * configuration, and waits until /-/ready answers 200.
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerServer> {
  const binary = await findAlertmanager(options.binary);
  const dir = await makeTempDir('cinemetrics-alertmanager-');
  try {
    const configFile = join(dir.path, 'alertmanager.yml');
    // JSON is valid YAML, and Alertmanager reads its configuration as YAML.
    await writeFile(configFile, `${JSON.stringify(options.config, null, 2)}\n`);
    const daemon = await startDaemon({
      name: 'alertmanager',
      binary,
      cwd: dir.path,
      readyPath: '/-/ready',
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      args: (port) => [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir.path, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Links it generates (generatorURL, externalURL) point here rather than at the hostname.
        `--web.external-url=http://127.0.0.1:${port}/`,
        // Empty: no gossip listener, so no cluster (and no "waiting for peers" before ready).
        '--cluster.listen-address=',
        ...(options.extraFlags ?? []),
      ],
    });
    return new Alertmanager(dir, daemon.process, daemon.port);
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

async function findAlertmanager(binary: string | undefined): Promise<string> {
  return binary !== undefined ? findBinary(binary, INSTALL_HINT) : stackBinary('alertmanager', 'alertmanager');
}

class Alertmanager implements AlertmanagerServer {
  private disposed = false;

  constructor(
    private readonly tempDir: TempDir,
    private readonly process: RunningProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get dir(): string {
    return this.tempDir.path;
  }

  get running(): boolean {
    return this.process.running;
  }

  output(): string[] {
    return this.process.lines();
  }

  async alerts(): Promise<AlertmanagerAlert[]> {
    if (!this.running) throw new Error(`Alertmanager on port ${this.port} is not running`);
    return getJson<AlertmanagerAlert[]>('alertmanager', `${this.url}/api/v2/alerts`);
  }

  async stop(): Promise<void> {
    if (this.running) await this.process.stop('SIGTERM');
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stop();
    await this.tempDir.remove();
  }
}

// ---------------------------------------------------------------------------------------

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/`: use it as a webhook_configs url (any path is accepted). */
  readonly url: string;
  readonly port: number;
  /** Every notification received, in arrival order. */
  notifications(): WebhookNotification[];
  /** Resolves with the first notification (already received or future) matching; default timeout 20 s. */
  waitFor(predicate: (notification: WebhookNotification) => boolean, timeoutMs?: number): Promise<WebhookNotification>;
  clear(): void;
  close(): Promise<void>;
}

const DEFAULT_WEBHOOK_TIMEOUT_MS = 20_000;

/** Starts an HTTP server on a free loopback port that collects Alertmanager webhook notifications. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookNotification[] = [];
  const listener = await listenForAlertmanagerWebhooks(0, (notification) => received.push(notification));
  return {
    url: listener.url,
    port: listener.port,
    notifications: () => [...received],
    waitFor: (predicate, timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS) =>
      waitUntil(() => received.find(predicate), {
        timeoutMs,
        what: 'a matching Alertmanager webhook notification',
        describe: () =>
          `Received ${received.length} notification(s):${received
            .map((notification) => `\n  ${notification.status} ${JSON.stringify(notification.groupLabels)} (${notification.alerts.length} alerts)`)
            .join('')}`,
      }),
    clear: () => {
      received.length = 0;
    },
    close: () => listener.close(),
  };
}
