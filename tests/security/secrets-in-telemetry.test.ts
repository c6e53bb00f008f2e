import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { startOtlpReceiver, startService, waitUntil, type OtlpReceiver, type StartedService } from '@cinemetrics/testing';
import { otlpEnv } from '../support/stack.js';

/**
 * Credentials sent with requests (Authorization, Cookie, query parameters) never reach a log line, an
 * exported log record or a span — neither from requests node's HTTP parser rejects, whose errors carry
 * the raw request bytes, nor from valid requests.
 */

const SECRET = `s3cr3t${randomBytes(12).toString('hex')}`;
const ADMIN_TOKEN = `admin-token-${randomBytes(8).toString('hex')}`;

/** The forms a secret takes once request bytes are serialized: text, a Buffer's JSON byte array, hex, base64. */
const SECRET_FORMS = [
  SECRET,
  [...Buffer.from(SECRET)].join(','),
  Buffer.from(SECRET).toString('hex'),
  Buffer.from(SECRET).toString('base64').slice(0, 16),
];

const credentials = `Authorization: Bearer ${SECRET}\r\nCookie: session=${SECRET}\r\n`;
const target = (path: string) => `${path}?token=${SECRET}&access_token=${SECRET}`;

interface Malformed {
  name: string;
  /** Bytes to send; when `halfClose`, the client ends its side afterwards. */
  bytes: (path: string) => string;
  status: number;
  halfClose?: boolean;
}

/** Framing node's parser rejects, each carrying the secret in a header, a cookie and the query. */
const MALFORMED: Malformed[] = [
  {
    name: 'invalid chunk size',
    bytes: (path) => `PUT ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'non-numeric Content-Length',
    bytes: (path) => `PUT ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}Content-Type: application/json\r\nContent-Length: 1x\r\n\r\n{}`,
    status: 400,
  },
  {
    name: 'conflicting Content-Length headers',
    bytes: (path) => `PUT ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    status: 400,
  },
  {
    name: 'Content-Length with Transfer-Encoding',
    bytes: (path) => `PUT ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'invalid character in a header name',
    bytes: (path) => `GET ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}Bad Header: x\r\n\r\n`,
    status: 400,
  },
  {
    name: 'control character in a header value',
    bytes: (path) => `GET ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}X-Note: a\u0001b\r\n\r\n`,
    status: 400,
  },
  {
    name: 'invalid HTTP version',
    bytes: (path) => `GET ${target(path)} HTTP/1.1x\r\nHost: test\r\n${credentials}\r\n`,
    status: 400,
  },
  {
    name: 'oversize headers',
    bytes: (path) => `GET ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}X-Padding: ${'p'.repeat(20_000)}\r\n\r\n`,
    status: 431,
  },
  {
    name: 'body truncated by the client closing its side',
    bytes: (path) => `PUT ${target(path)} HTTP/1.1\r\nHost: test\r\n${credentials}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{"title":`,
    status: 400,
    halfClose: true,
  },
];

/** Sends raw bytes on a fresh connection; resolves with everything the server sent before closing. */
function sendRaw(port: number, bytes: string, halfClose = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.on('connect', () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/** The first response in `raw` (a second one may follow it on the same connection). */
function parseResponse(raw: string): { status: number; contentType: string | undefined; body: Record<string, unknown> | undefined } {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? raw : raw.slice(0, headEnd);
  const length = Number(/^content-length: *(\d+)$/im.exec(head)?.[1] ?? Number.NaN);
  const rest = headEnd < 0 ? '' : raw.slice(headEnd + 4);
  const body = Number.isNaN(length) ? rest : rest.slice(0, length);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0);
  const contentType = /^content-type: *(.+)$/im.exec(head)?.[1]?.trim();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return { status, contentType, body: parsed };
}

const toText = (value: unknown): string =>
  JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field instanceof Uint8Array ? Buffer.from(field).toString('latin1') : field));

function assertNoSecret(where: string, text: string): void {
  for (const form of SECRET_FORMS) assert.ok(!text.includes(form), `${where} contains the secret (as ${form === SECRET ? 'text' : `"${form.slice(0, 24)}…"`})`);
}

/** Paths that read a body or need credentials on each listener, so the malformed framing meets real handlers. */
const API_PATH: Record<StartedService['service'], string> = {
  metadata: '/metadata/tt0000001',
  rating: '/ratings/movie/tt0000001',
  movie: '/movies/tt0000001',
  auth: '/openapi.json',
};
const ADMIN_PATH = '/admin/log-level';

let otlp: OtlpReceiver;
const validRequestSpans = () => otlp.spans().filter((span) => String(span.attributes['url.query']).startsWith('valid=yes'));
let services: StartedService[] = [];

before(async () => {
  otlp = await startOtlpReceiver();
  const env = otlpEnv(otlp, { LOG_LEVEL: 'debug', ADMIN_TOKEN });
  const [metadata, rating, auth] = await Promise.all([
    startService('metadata', { env }),
    startService('rating', { env }),
    startService('auth', { env }),
  ]);
  const movie = await startService('movie', { env: { ...env, METADATA_URL: metadata.url, RATING_URL: rating.url } });
  services = [metadata, rating, auth, movie];
});

after(async () => {
  await Promise.all(services.filter((service) => service.running).map((service) => service.stop()));
  await otlp.close();
});

test('malformed framing on every port of every service: a problem document, a warning by code, and the secret nowhere', async () => {
  for (const service of services) {
    for (const [listener, port, path] of [['api', service.port, API_PATH[service.service]], ['admin', service.adminPort, ADMIN_PATH]] as const) {
      for (const malformed of MALFORMED) {
        const raw = await sendRaw(port, malformed.bytes(path), malformed.halfClose);
        const where = `${service.service} ${listener} port, ${malformed.name}`;
        if (malformed.halfClose && raw === '') continue; // the server may close before it could answer
        const response = parseResponse(raw);
        // A request that reaches the API port's app meets the bearer check before its body is read:
        // the secret is no valid token, 401. The admin port reads the body first: 400.
        const status = malformed.halfClose && listener === 'api' ? 401 : malformed.status;
        assert.equal(response.status, status, `${where}: ${raw.slice(0, 200)}`);
        assert.equal(response.contentType, 'application/problem+json', where);
        assert.equal(response.body?.['status'], status, where);
        assert.match(String(response.body?.['type']), /^https:\/\/cinemetrics\.dev\/problems\//, where);
        assert.match(String(response.body?.['detail']), /\w/, where);
        assertNoSecret(`${where}: the response`, raw);
      }
    }
  }
  // A valid request whose credentials sit in the query and the headers.
  for (const service of services) {
    const response = await fetch(`${service.url}/openapi.json?valid=yes&token=${SECRET}&access_token=${SECRET}&api_key=${SECRET}&apiKey=${SECRET}&password=${SECRET}&client_secret=${SECRET}`, {
      headers: { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}` },
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  }
  await waitUntil(() => validRequestSpans().length >= services.length || undefined, {
    timeoutMs: 10_000,
    what: 'the spans of the valid requests',
  });

  await Promise.all(services.map((service) => service.stop()));
  const logLines = services.flatMap((service) => service.lines());
  for (const service of services) {
    const warnings = service.jsonLines().filter((line) => line['msg'] === 'malformed request rejected');
    assert.ok(warnings.length >= 2 * (MALFORMED.length - 1), `${service.service} warned about the malformed requests (${warnings.length})`);
    for (const warning of warnings) {
      assert.equal(warning['level'], 'warn');
      assert.match(String(warning['error.code']), /^HPE_[A-Z_]+$/);
      assert.equal(warning['err'], undefined, 'no error object, so no raw packet');
    }
    assert.ok(!service.jsonLines().some((line) => line['level'] === 'error'), `${service.service} logged nothing at error level`);
  }
  const queries = validRequestSpans().map((span) => String(span.attributes['url.query']));
  for (const query of queries) assert.match(query, /^valid=yes&token=REDACTED&access_token=REDACTED&api_key=REDACTED&apiKey=REDACTED&password=REDACTED&client_secret=REDACTED$/);

  assertNoSecret('the log output', logLines.join('\n'));
  assertNoSecret('the exported spans', toText(otlp.spans()));
  assertNoSecret('the exported log records', toText(otlp.logs()));
  assert.ok(otlp.logs().some((record) => record.body === 'malformed request rejected'), 'the warnings were exported too');
});
