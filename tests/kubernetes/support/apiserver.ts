/**
 * A real kube-apiserver and its etcd, both built from pinned Go modules by `npm run stack:build`, on
 * loopback ports and a temporary folder: enough of a control plane to admit objects, with no
 * controllers, scheduler or nodes. Its only credential is a random bearer token in that folder.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { stackBinary } from '@cinemetrics/stack';
import { freePort, makeTempDir, startProcess, waitUntil, type RunningProcess, type TempDir } from '@cinemetrics/testing';

/** What the API server answered: the status and the JSON body (a Status object when it refuses). */
export interface ApiResponse {
  status: number;
  body: ApiStatus & Record<string, unknown>;
  /** The `Warning` headers' texts (deprecated fields and versions, settings it accepts but doubts), as kubectl prints them. */
  warnings: string[];
}

/** The fields of a refusal (metav1.Status) the tests read. */
export interface ApiStatus {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

export interface CallOptions {
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
  anonymous?: boolean;
}

export interface TestApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** A request with the test's token (none when `anonymous`); `body` is sent as JSON text under `contentType`. */
  call(method: string, apiPath: string, options?: CallOptions): Promise<ApiResponse>;
  stop(): Promise<void>;
}

/** A start under two busy cores can wait long for CPU; the wait ends at once when a process exits. */
const READY_TIMEOUT_MS = 180_000;
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

function startEtcd(binary: string, dir: string, clientPort: number, peerPort: number): Promise<RunningProcess> {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return startProcess({
    name: 'etcd',
    command: binary,
    args: [
      '--name=test',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      // Nothing here outlives the test: no need to wait for the disk on every write.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    cwd: dir,
    readyUrl: `${client}/health`,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
}

/** The token file and the service-account key pair the API server needs, all inside `dir`. */
async function writeCredentials(dir: string): Promise<{ token: string; tokenFile: string; publicKey: string; signingKey: string }> {
  const token = randomBytes(32).toString('hex');
  const tokenFile = path.join(dir, 'tokens.csv');
  // token,user,uid,"groups": system:masters is every permission, as a cluster's administrator has.
  await writeFile(tokenFile, `${token},cinemetrics-test,cinemetrics-test,"system:masters"\n`, { mode: 0o600 });
  const keys = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicKey = path.join(dir, 'service-account.pub');
  const signingKey = path.join(dir, 'service-account.key');
  await writeFile(publicKey, keys.publicKey);
  await writeFile(signingKey, keys.privateKey, { mode: 0o600 });
  return { token, tokenFile, publicKey, signingKey };
}

/** `299 - "text"` (RFC 7234's warn-code, warn-agent, quoted text), one header or several. */
function warningTexts(header: string | string[] | undefined): string[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values.flatMap((value) => [...value.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((match) => (match[1] ?? '').replace(/\\(.)/g, '$1')));
}

function tail(processes: readonly RunningProcess[]): string {
  return processes.map((started) => `--- ${started.name}\n${started.lines().slice(-30).join('\n')}`).join('\n');
}

async function startApiServer(dir: TempDir, etcdUrl: string, processes: RunningProcess[]): Promise<TestApiServer> {
  const credentials = await writeCredentials(dir.path);
  const certDir = path.join(dir.path, 'certs');
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const apiServer = await startProcess({
    name: 'kube-apiserver',
    command: await stackBinary('kube-apiserver', 'kube-apiserver'),
    args: [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      // No certificate given: it makes a self-signed one (for 127.0.0.1) here, which the test trusts.
      `--cert-dir=${certDir}`,
      `--token-auth-file=${credentials.tokenFile}`,
      '--anonymous-auth=false',
      // The test proves what the API admits, not who may send it; its one user is the administrator.
      '--authorization-mode=AlwaysAllow',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${credentials.publicKey}`,
      `--service-account-signing-key-file=${credentials.signingKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // The endpoints of the `kubernetes` Service would have to name a non-loopback address.
      '--endpoint-reconciler-type=none',
      // Request queueing keeps its own configuration objects up to date in a loop; one client needs none.
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ],
    cwd: dir.path,
  });
  processes.push(apiServer);

  let agent: Agent | undefined;
  const call = async (method: string, apiPath: string, options: CallOptions = {}): Promise<ApiResponse> => {
    if (agent === undefined) throw new Error('kube-apiserver: no certificate to trust yet');
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.anonymous !== true) headers['authorization'] = `Bearer ${credentials.token}`;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await request(`${url}${apiPath}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.body.text();
    let parsed: ApiResponse['body'];
    try {
      parsed = JSON.parse(text) as ApiResponse['body'];
    } catch {
      parsed = { message: text };
    }
    return { status: response.statusCode, body: parsed, warnings: warningTexts(response.headers['warning']) };
  };

  let last = 'no answer yet';
  await waitUntil(
    async () => {
      if (!apiServer.running) throw new Error(`kube-apiserver exited before it was ready:\n${tail(processes)}`);
      if (agent === undefined) {
        // Written at start-up, before it listens: the certificate and the CA that signed it.
        const certificate = await readFile(path.join(certDir, 'apiserver.crt'), 'utf8').catch(() => undefined);
        if (certificate === undefined) return undefined;
        agent = new Agent({ connect: { ca: certificate } });
      }
      try {
        const ready = await call('GET', '/readyz');
        last = `status ${ready.status}: ${ready.body.message ?? ''}`;
        return ready.status === 200 ? true : undefined;
      } catch (error) {
        last = String(error instanceof Error && error.cause instanceof Error ? error.cause : error);
        // The certificate may have been read while it was still being written: read it again.
        await agent.close();
        agent = undefined;
        return undefined;
      }
    },
    { what: 'kube-apiserver /readyz', timeoutMs: READY_TIMEOUT_MS, intervalMs: 250, describe: () => `last: ${last}\n${tail(processes)}` },
  );

  return {
    url,
    call,
    stop: async () => {
      await agent?.close();
    },
  };
}

/** Starts etcd, then kube-apiserver on it; whatever started is stopped again when a later step fails. */
export async function startTestApiServer(): Promise<TestApiServer> {
  const dir = await makeTempDir('cinemetrics-apiserver-');
  const processes: RunningProcess[] = [];
  const stopAll = async (): Promise<void> => {
    for (const started of processes.reverse()) await started.stop();
    await dir.remove();
  };
  try {
    const clientPort = await freePort();
    const etcd = await startEtcd(await stackBinary('etcd', 'etcd'), dir.path, clientPort, await freePort());
    processes.push(etcd);
    const api = await startApiServer(dir, `http://127.0.0.1:${clientPort}`, processes);
    return {
      ...api,
      stop: async () => {
        await api.stop();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
