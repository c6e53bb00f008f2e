import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Connection } from 'mysql2/promise';
import { cacheRoot } from '@cinemetrics/stack';
import { findBinary } from './binaries.js';
import { freePort } from './ports.js';
import { describeExit, startProcess, type RunningProcess } from './service-process.js';
import { makeTempDir, type TempDir } from './temp.js';

export interface MariaDbOptions {
  /** Parent of the temporary directory; defaults to os.tmpdir(). Keep it short (unix socket path limit). */
  rootDir?: string;
}

export interface MariaDb {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** mysql://cinemetrics:<password>@127.0.0.1:<port>; the user has ALL PRIVILEGES on *.* */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Temporary directory holding the datadir, socket and pid file. */
  readonly dir: string;
  readonly running: boolean;
  /** Graceful shutdown (SIGTERM) and wait for exit. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit, simulating a crash. No-op when not running. */
  kill(): Promise<void>;
  /** Restarts on the same port and datadir after stop()/kill() and waits until it accepts connections. */
  start(): Promise<void>;
  /** Runs one statement as root (for test setup and assertions); resolves with the rows / result header. */
  query(sql: string, params?: unknown[]): Promise<unknown>;
  /** Stops the server if running and removes the temporary directory. */
  dispose(): Promise<void>;
}

const APP_USER = 'cinemetrics';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_INTERVAL_MS = 100;
const GRACEFUL_STOP_TIMEOUT_MS = 30_000;
const INSTALL_TIMEOUT_MS = 60_000;
/** sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const INSTALL_HINT = 'Install MariaDB with: apt-get install -y mariadb-server';

/** Starts a private MariaDB server in a fresh temporary datadir (a copy of templateDataDir's), listening on a free loopback port. */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDb> {
  const [installDb, mariadbd] = await Promise.all([
    findBinary('mariadb-install-db', INSTALL_HINT),
    findBinary('mariadbd', INSTALL_HINT),
  ]);
  const template = await templateDataDir(installDb, mariadbd);
  const dir = await makeTempDir('cinemetrics-mariadb-', options.rootDir);
  let server: MariaDbServer | undefined;
  try {
    const paths = layout(dir.path);
    await mkdir(paths.tmpDir);
    await cp(template, paths.dataDir, { recursive: true });
    server = new MariaDbServer(mariadbd, dir, paths, await freePort(), randomBytes(18).toString('hex'));
    await server.start();
    await server.createAppUser();
    return server;
  } catch (error) {
    await (server ? server.dispose() : dir.remove());
    throw error;
  }
}

interface Paths {
  dataDir: string;
  /** The server's own temporary files: never /tmp, which servers bootstrapping at once would share. */
  tmpDir: string;
  socket: string;
  pidFile: string;
}

function layout(dir: string): Paths {
  const socket = join(dir, 'mysqld.sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`MariaDB socket path ${socket} is too long for a unix socket; pass a shorter rootDir`);
  }
  return { dataDir: join(dir, 'data'), tmpDir: join(dir, 'tmp'), socket, pidFile: join(dir, 'mysqld.pid') };
}

const INSTALL_ARGS = [
  '--no-defaults',
  '--auth-root-authentication-method=normal',
  '--skip-test-db',
  '--user=root',
  // Passed on to the bootstrapping server: the size every server here runs with (serverArgs).
  '--innodb-log-file-size=16M',
];

/**
 * A datadir fresh from mariadb-install-db, made once per MariaDB build and copied for each server:
 * the install bootstraps a whole server, a copy is a few file writes. It is kept in the stack cache
 * (outside the repository) under a digest of the binaries and the install options, and is made in a
 * folder beside it and renamed into place, so nobody ever copies one half made; two processes making
 * it at once both succeed and one keeps its copy.
 */
async function templateDataDir(installDb: string, mariadbd: string): Promise<string> {
  const identity = await Promise.all(
    [installDb, mariadbd].map(async (file) => {
      const { size, mtimeMs } = await stat(file);
      return `${file}:${size}:${mtimeMs}`;
    }),
  );
  const digest = createHash('sha256').update([...identity, ...INSTALL_ARGS].join('\n')).digest('hex').slice(0, 16);
  const templates = join(cacheRoot(), 'mariadb-datadir');
  const template = join(templates, digest);
  if (existsSync(template)) return template;
  await mkdir(templates, { recursive: true });
  const making = await mkdtemp(join(templates, `.making-${digest}-`));
  try {
    const paths = { dataDir: join(making, 'data'), tmpDir: join(making, 'tmp') };
    await mkdir(paths.tmpDir);
    await initialiseDataDir(installDb, paths);
    await rename(paths.dataDir, template).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(making, { recursive: true, force: true });
  }
  return template;
}

async function initialiseDataDir(installDb: string, paths: Pick<Paths, 'dataDir' | 'tmpDir'>): Promise<void> {
  // --tmpdir is passed on to the bootstrapping server.
  const args = [...INSTALL_ARGS, `--datadir=${paths.dataDir}`, `--tmpdir=${paths.tmpDir}`];
  try {
    await promisify(execFile)(installDb, args, { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const output = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`${installDb} failed: ${String(error)}\n${tail(output.split('\n'))}`);
  }
}

class MariaDbServer implements MariaDb {
  readonly host = HOST;
  readonly user = APP_USER;
  readonly url: string;
  private process: RunningProcess | undefined;
  private disposed = false;

  constructor(
    private readonly binary: string,
    private readonly tempDir: TempDir,
    private readonly paths: Paths,
    readonly port: number,
    readonly password: string,
  ) {
    this.url = `mysql://${APP_USER}:${encodeURIComponent(password)}@${HOST}:${port}`;
  }

  get dir(): string {
    return this.tempDir.path;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.disposed) throw new Error('MariaDB has been disposed; start a new one with startMariaDb()');
    if (this.running) return;
    const proc = await startProcess({ name: 'mariadb', command: this.binary, args: this.serverArgs() });
    this.process = proc;
    await this.waitUntilReady(proc);
  }

  async stop(): Promise<void> {
    if (this.running) await this.process?.stop('SIGTERM', GRACEFUL_STOP_TIMEOUT_MS);
  }

  async kill(): Promise<void> {
    if (this.running) await this.process?.stop('SIGKILL');
  }

  async query(sql: string, params?: unknown[]): Promise<unknown> {
    if (!this.running) throw new Error(`MariaDB on port ${this.port} is not running; call start() first`);
    const connection = await this.connectAsRoot();
    try {
      const [result] = params === undefined ? await connection.query(sql) : await connection.query(sql, params);
      return result;
    } finally {
      await connection.end();
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stop();
    await this.tempDir.remove();
  }

  async createAppUser(): Promise<void> {
    await this.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [APP_USER, this.password]);
    await this.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'%'`, [APP_USER]);
  }

  private serverArgs(): string[] {
    return [
      '--no-defaults',
      '--user=root',
      `--datadir=${this.paths.dataDir}`,
      `--tmpdir=${this.paths.tmpDir}`,
      `--port=${this.port}`,
      `--bind-address=${HOST}`,
      `--socket=${this.paths.socket}`,
      `--pid-file=${this.paths.pidFile}`,
      '--skip-name-resolve',
      // The fan-out benches run a dozen service trios against one server, each service with its own pool.
      '--max-connections=600',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=16M',
      '--skip-log-bin',
      // Commits reach the OS page cache, so they survive kill(); only an OS crash could lose them.
      '--innodb-flush-log-at-trx-commit=2',
    ];
  }

  /** Root over the unix socket: root@localhost has an empty password after mariadb-install-db. */
  private connectAsRoot(): Promise<Connection> {
    // Loaded here, not on import: most test files never start a database.
    const { createConnection } = require('mysql2/promise') as typeof import('mysql2/promise');
    return createConnection({ socketPath: this.paths.socket, user: 'root', connectTimeout: 1_000 });
  }

  private async waitUntilReady(proc: RunningProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = 'not polled yet';
    while (Date.now() < deadline) {
      if (!proc.running) {
        const status = await proc.exited;
        throw new Error(`mariadbd ${describeExit(status)} during startup (port ${this.port}).\n${tail(proc.lines())}`);
      }
      try {
        await (await this.connectAsRoot()).end();
        return;
      } catch (error) {
        lastError = String(error);
      }
      await delay(READY_POLL_INTERVAL_MS);
    }
    await proc.stop('SIGKILL');
    throw new Error(
      `mariadbd did not accept connections within ${READY_TIMEOUT_MS} ms (last error: ${lastError}). It was killed.\n${tail(proc.lines())}`,
    );
  }
}

function tail(lines: string[], count = 40): string {
  const kept = lines.filter((line) => line !== '').slice(-count);
  return kept.length === 0 ? '(no output)' : kept.join('\n');
}
