import http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

/** A request as sent on the wire: anything a client can put there, valid or not. */
export interface HostileRequest {
  method: string;
  /** Path and query, already percent-encoded where the generator chose to. */
  target: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** A route of a service under test: its methods and a path template with `{name}` segments. */
export interface RouteShape {
  methods: readonly string[];
  template: string;
  /** A body of roughly the right shape, so some requests get past validation into the handler. */
  body?: fc.Arbitrary<unknown>;
}

/** Methods every HTTP server knows; others may be answered 501 (RFC 9110 §9.1). */
export const STANDARD_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

const COMMON_PATHS = ['/.well-known/alive', '/.well-known/health', '/openapi.json'];

/** One UTF-16 unit short of a character now and then: lone surrogates must never be stored. */
const anyCodeUnit = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ufffd', '\u202e', '"', '\\', "'", '%') },
);

/** Strings of any code points; one in three may hold lone surrogates or quoting characters. */
export const hostileText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: anyCodeUnit, maxLength }) },
  );

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const headerValue = fc.string({ unit: printable, maxLength: 60 }).map((value) => value.trim());

/** Percent-encodes every byte of a string's UTF-8 (a lone surrogate becomes EF BF BD). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

/** A path segment or query value: plain, fully percent-encoded, raw bytes (invalid UTF-8 too) or tricks. */
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,70}$/) },
  { weight: 2, arbitrary: fc.constantFrom('known-1', 'known-2', 'movie') },
  fc.constantFrom('known-1', 'known-2', 'movie', 'KNOWN-1', '..', '.', '', '%00', '%2F', '%ED%A0%80', '%C0%AF', '%', '%zz', '0x10', '1e30'),
  hostileText(20).map(percentEncoded),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')),
  fc.string({ unit: fc.constantFrom(...'azAZ09._~-!$&\'()*+,;=:@'.split('')), maxLength: 20 }),
);

function fill(template: string, values: readonly string[]): string {
  let index = 0;
  return template.replace(/\{[^}]+\}/g, () => values[index++] ?? '');
}

function filledPath(template: string): fc.Arbitrary<string> {
  return fc.array(segment, { minLength: 3, maxLength: 3 }).map((values) => fill(template, values));
}

/** A template filled with hostile segments, or mangled: case, trailing or doubled slashes, dot segments. */
function pathFor(templates: readonly string[]): fc.Arbitrary<string> {
  const filled = fc.constantFrom(...templates, ...COMMON_PATHS).chain(filledPath);
  return fc.oneof(
    { weight: 6, arbitrary: filled },
    {
      weight: 2,
      arbitrary: fc
        .tuple(filled, fc.constantFrom('upper', 'trailing', 'double', 'dot'))
        .map(([path, mangle]) =>
          mangle === 'upper' ? path.toUpperCase() : mangle === 'trailing' ? `${path}/` : mangle === 'double' ? path.replace('/', '//') : `${path}/../x`,
        ),
    },
    { weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`) },
  );
}

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('limit', 'cursor', 'id', '__proto__', 'limit[]'), segment),
      fc.oneof(fc.constantFrom('1', '20', '100', '0x10', '1e30', '-1', '1.5', '%205', 'Infinity', 'NaN', ''), segment),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`));

/** JSON text whose strings may hold lone surrogates (escaped as `\udXXX`, as JSON.stringify writes them). */
const jsonBody = (value: fc.Arbitrary<unknown>) => value.map((body) => Buffer.from(JSON.stringify(body) ?? '', 'utf8'));

const anyJson = fc.jsonValue({ maxDepth: 3 });

function bodyFor(shapes: readonly (fc.Arbitrary<unknown> | undefined)[]): fc.Arbitrary<Buffer | undefined> {
  const shaped = shapes.filter((shape): shape is fc.Arbitrary<unknown> => shape !== undefined);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    ...(shaped.length > 0 ? [{ weight: 6, arbitrary: jsonBody(fc.oneof(...shaped)) }] : []),
    { weight: 2, arbitrary: jsonBody(anyJson) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', '{', '{"title":', '[1,2', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'null', '1e999').map((text) => Buffer.from(text)),
    },
    { weight: 1, arbitrary: fc.constant(Buffer.from(JSON.stringify({ title: 'x'.repeat(70 * 1024) }))) },
    // As deep as the body limit allows: nothing that walks a body may recurse on it.
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(['[', ']'], ['{"title":', '}'], ['{"a":[', ']}'])
        .map(([open, close]) => Buffer.from(`${open.repeat(60_000 / (open.length + close.length))}"\ud800"${close.repeat(60_000 / (open.length + close.length))}`)),
    },
  );
}

type Coding = 'none' | 'gzip' | 'deflate' | 'br' | 'lie' | 'odd';

/** Content-Encoding honestly applied, claimed but not applied (`lie`), or one no server supports. */
function encode(body: Buffer | undefined, coding: Coding, oddName: string): { body: Buffer | undefined; header?: string } {
  if (body === undefined || coding === 'none') return { body };
  if (coding === 'gzip') return { body: gzipSync(body), header: 'gzip' };
  if (coding === 'deflate') return { body: deflateSync(body), header: 'deflate' };
  if (coding === 'br') return { body: brotliCompressSync(body), header: 'br' };
  if (coding === 'lie') return { body, header: 'gzip' };
  return { body, header: oddName };
}

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 3, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/JSON', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '') },
  { weight: 1, arbitrary: headerValue },
);

/** Authorization headers no service may accept, besides any bearer tokens the test adds. */
const garbageAuthorization = fc.oneof(
  fc.constantFrom('Bearer x', 'Bearer', 'Bearer  ', 'bearer a.b.c', 'Basic Og==', 'garbage', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'Bearer x y'),
  headerValue.map((value) => `Bearer ${value}`),
  headerValue,
);

/** `Authorization` values of a running auth service's tokens, to send besides generated garbage. */
export interface Bearers {
  /** Tokens some route accepts (an administrator's, a user's, a service client's). */
  valid: readonly string[];
  /** Tokens no route may accept (forged, expired, foreign, …). */
  forged: readonly string[];
}

const NO_BEARERS: Bearers = { valid: [], forged: [] };

const authorization = ({ valid, forged }: Bearers) =>
  fc.oneof(
    ...(valid.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...valid) }] : []),
    ...(forged.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...forged) }] : []),
    { weight: 1, arbitrary: garbageAuthorization },
  );

const extraHeaders = (bearers: Bearers) =>
  fc.record(
    {
      'x-timeout-ms': fc.oneof(fc.constantFrom('0', '1', '80', '99999999999', '-1', '1e3'), headerValue),
      'x-request-id': headerValue,
      authorization: authorization(bearers),
      accept: fc.constantFrom('application/json', '*/*', 'text/html', 'application/problem+json;q=0'),
    },
    { requiredKeys: [] },
  );

const anyMethod = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STANDARD_METHODS) },
  { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'FOO', 'get', 'PURGE') },
);

/** One of the route's own methods, its template filled with hostile segments, a body near its shape. */
function aimedAt(route: RouteShape) {
  return fc.record({
    method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: anyMethod }),
    path: fc.oneof({ weight: 4, arbitrary: filledPath(route.template) }, { weight: 1, arbitrary: pathFor([route.template]) }),
    body: route.body
      ? fc.oneof({ weight: 2, arbitrary: jsonBody(route.body) }, { weight: 1, arbitrary: bodyFor([route.body]) })
      : bodyFor([]),
  });
}

/** Anything: any method on any of the service's paths (mangled or not) or none of them. */
function unaimed(routes: readonly RouteShape[]) {
  return fc.record({
    method: anyMethod,
    path: pathFor(routes.length > 0 ? routes.map((route) => route.template) : COMMON_PATHS),
    body: bodyFor(routes.map((route) => route.body)),
  });
}

/**
 * Requests aimed at a service's routes (and the well-known ones), with every part hostile by turns,
 * the Authorization header included.
 */
export function hostileRequest(routes: readonly RouteShape[], bearers: Bearers = NO_BEARERS): fc.Arbitrary<HostileRequest> {
  const line = fc.oneof(...routes.map((route) => ({ weight: 3, arbitrary: aimedAt(route) })), { weight: 2, arbitrary: unaimed(routes) });
  return fc
    .record({
      line,
      query: queryString,
      coding: fc.constantFrom<Coding>('none', 'none', 'none', 'gzip', 'deflate', 'br', 'lie', 'odd'),
      oddCoding: fc.oneof(fc.constantFrom('compress', 'zstd', 'GZIP', 'gzip, br', 'identity', 'x-gzip'), headerValue),
      contentType,
      headers: extraHeaders(bearers),
    })
    .map(({ line: { method: verb, path, body }, query, coding, oddCoding, contentType: type, headers }) => {
      // Node's parser refuses a method it does not know before reading the body, and closes the
      // connection; a body still being written then meets a reset instead of the 400.
      const encoded = encode(STANDARD_METHODS.has(verb) ? body : undefined, coding, oddCoding);
      const all: Record<string, string> = { ...headers };
      if (encoded.body !== undefined && type !== '') all['content-type'] = type;
      if (encoded.header !== undefined && encoded.header !== '') all['content-encoding'] = encoded.header;
      const request: HostileRequest = { method: verb, target: path + query, headers: all, body: encoded.body };
      // Failure reports name the request in one line rather than printing every byte of its body.
      return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
    });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Sends one request as is; rejects when no answer arrives within `timeoutMs` (a hang is a failure). */
export function send(baseUrl: string, request: HostileRequest, timeoutMs = 10_000): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.target,
        headers: { ...request.headers, ...(request.body ? { 'content-length': String(request.body.length) } : {}) },
        agent,
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** Closes the keep-alive connections the requests used. */
export function closeConnections(): void {
  agent.destroy();
}

/** One line naming the request, for failure messages (bodies cut short). */
export function describeRequest(request: HostileRequest): string {
  const body = request.body === undefined ? 'no body' : `${request.body.length} bytes: ${JSON.stringify(request.body.subarray(0, 120).toString('latin1'))}`;
  return `${request.method} ${request.target} ${JSON.stringify(request.headers)} ${body}`;
}
