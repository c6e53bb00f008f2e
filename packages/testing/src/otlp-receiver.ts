/**
 * An in-process OTLP receiver for unit-level tests that inspect exact payloads: services export to it
 * over OTLP/HTTP (protobuf, optionally gzipped) or OTLP/gRPC as they would to a collector, and tests read
 * back the decoded spans and log records and every request (headers, encoding, status). End-to-end tests
 * use the real collector of the stack instead (tests/stack).
 *
 * It decodes with the official opentelemetry-proto messages, never with field numbers written here: the
 * protobufjs static module that `@opentelemetry/otlp-transformer` 0.214.0 generated from them (the last
 * release whose generated root holds traces and logs), installed under the npm alias
 * `otlp-transformer-protobufjs` so it cannot be mistaken for the transformer the services use. Only the
 * generated root is loaded, never the rest of that package.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import type { GrpcAnswer, GrpcCall, GrpcListener } from './otlp-grpc-listener.js';
import { waitUntil } from './wait.js';

const gunzip = promisify(gunzipCallback);

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';

export interface ReceivedSpan {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** Absent for root spans. */
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  /** `message` is present only when non-empty. */
  status: { code: StatusCodeName; message?: string };
  events: { name: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  /** The resource's attributes (service.name, ...). */
  resource: Record<string, unknown>;
  /** The instrumentation scope's name. */
  scope: string;
}

export interface ReceivedLog {
  /** Present only when the record is correlated with a span. */
  traceId?: string;
  spanId?: string;
  /** Present only when non-empty. */
  severityText?: string;
  /** The OTLP SeverityNumber (INFO = 9, ERROR = 17, ...); absent when unspecified. */
  severityNumber?: number;
  /** Present only when non-empty. */
  eventName?: string;
  /** The decoded AnyValue: string, boolean, number, bigint, Uint8Array, array or object; undefined when absent. */
  body: unknown;
  attributes: Record<string, unknown>;
  /** 0n when the producer did not set a timestamp (then see observedTimeUnixNano). */
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  resource: Record<string, unknown>;
  scope: string;
}

export interface ReceivedRequest {
  /** POST for every gRPC call. */
  method: string;
  /** The HTTP path, or the gRPC method path (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`). */
  path: string;
  /** The Content-Type header as sent ('' when absent); `application/grpc` for gRPC calls. */
  contentType: string;
  /** The Content-Encoding header when present (e.g. 'gzip'); never set for gRPC calls. */
  contentEncoding?: string;
  /** Every request header (for gRPC calls, the call's metadata), by lower-case name. */
  headers: Record<string, string>;
  /**
   * The status answered; absent while the request hangs. gRPC calls record the HTTP equivalent of
   * their gRPC status: 200 for OK, 400 for INVALID_ARGUMENT, 503 for UNAVAILABLE.
   */
  status?: number;
  /** Why the request was rejected (decode error, unsupported media type, ...). */
  error?: string;
}

/** 'ok' accepts data; 'fail503' answers 503 Service Unavailable (gRPC: UNAVAILABLE); 'hang' reads requests and never answers. */
export type OtlpReceiverBehaviour = 'ok' | 'fail503' | 'hang';

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the OTEL_EXPORTER_OTLP_ENDPOINT; signal paths are /v1/traces and /v1/logs. */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` of the OTLP/gRPC listener: the OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL=grpc. */
  readonly grpcUrl: string;
  /** Accepted spans, in arrival order. */
  spans(): ReceivedSpan[];
  /** Accepted log records, in arrival order. */
  logs(): ReceivedLog[];
  /** Every request received, accepted or not. */
  requests(): ReceivedRequest[];
  /**
   * Calls `select` (now and after each poll) until it returns something other than undefined
   * and resolves with it; default timeout 10 s. The timeout error lists what did arrive.
   */
  waitFor<T>(select: () => T | undefined, timeoutMs?: number): Promise<T>;
  /** Forgets everything received so far (requests that are hanging stay hanging). */
  clear(): void;
  /** Changes how later requests are answered. */
  setBehaviour(behaviour: OtlpReceiverBehaviour): void;
  /** Closes the listener and every connection, including hanging ones. Safe to call twice. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Starts an OTLP receiver on free loopback ports: OTLP/HTTP (protobuf, optionally gzipped) at `url`,
 * OTLP/gRPC at `grpcUrl`. Both feed the same spans, logs and requests.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver = new Receiver();
  await receiver.listen();
  return receiver;
}

// ---------------------------------------------------------------------------------------
// The generated protobufjs module, typed as far as this file uses it.

interface ConversionOptions {
  longs?: StringConstructor;
  enums?: StringConstructor;
  defaults?: boolean;
}

interface MessageType {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: ConversionOptions): Record<string, unknown>;
  encode(message: object): { finish(): Uint8Array };
}

/** A protobufjs enum: name → number own properties, number → name through the prototype. */
type GeneratedEnum = Readonly<Record<string | number, string | number | undefined>>;

interface GeneratedOtlp {
  collector: {
    trace: { v1: { ExportTraceServiceRequest: MessageType; ExportTraceServiceResponse: MessageType } };
    logs: { v1: { ExportLogsServiceRequest: MessageType; ExportLogsServiceResponse: MessageType } };
  };
  logs: { v1: { SeverityNumber: GeneratedEnum } };
}

let otlp: GeneratedOtlp | undefined;

/**
 * Loaded by the first receiver, not with the package: most test files start none, and protobufjs (like
 * grpc-js, loaded by listen) is a good part of what loading the package costs.
 */
function generated(): GeneratedOtlp {
  otlp ??= (require('otlp-transformer-protobufjs/build/src/generated/root') as { opentelemetry: { proto: GeneratedOtlp } }).opentelemetry.proto;
  return otlp;
}

/**
 * toObject options: 64-bit integers as decimal strings, enums as their proto names, bytes as
 * Buffers, and only the fields that are set (so the member of a oneof is the key present).
 */
const TO_PLAIN: ConversionOptions = { longs: String, enums: String, defaults: false };

// ---------------------------------------------------------------------------------------
// Shapes of the plain objects toObject returns (field names are the generated camelCase ones).

interface PlainAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: PlainAnyValue[] };
  kvlistValue?: { values?: PlainKeyValue[] };
  bytesValue?: Uint8Array;
}
interface PlainKeyValue {
  key?: string;
  value?: PlainAnyValue;
}
interface PlainResource {
  attributes?: PlainKeyValue[];
}
interface PlainScope {
  name?: string;
}
interface PlainSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  name?: string;
  kind?: string | number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: PlainKeyValue[];
  events?: { name?: string; attributes?: PlainKeyValue[] }[];
  links?: { traceId?: Uint8Array; spanId?: Uint8Array; attributes?: PlainKeyValue[] }[];
  status?: { code?: string | number; message?: string };
}
interface PlainTraces {
  resourceSpans?: { resource?: PlainResource; scopeSpans?: { scope?: PlainScope; spans?: PlainSpan[] }[] }[];
}
interface PlainLogRecord {
  timeUnixNano?: string | number;
  observedTimeUnixNano?: string | number;
  severityNumber?: string | number;
  severityText?: string;
  eventName?: string;
  body?: PlainAnyValue;
  attributes?: PlainKeyValue[];
  traceId?: Uint8Array;
  spanId?: Uint8Array;
}
interface PlainLogs {
  resourceLogs?: { resource?: PlainResource; scopeLogs?: { scope?: PlainScope; logRecords?: PlainLogRecord[] }[] }[];
}
// ---------------------------------------------------------------------------------------

interface Signal {
  httpPath: string;
  /** The Export method of the signal's collector service. */
  grpcPath: string;
  request: MessageType;
  response: MessageType;
  store(plain: Record<string, unknown>): void;
}

class Receiver implements OtlpReceiver {
  private readonly server: Server;
  private readonly receivedSpans: ReceivedSpan[] = [];
  private readonly receivedLogs: ReceivedLog[] = [];
  private readonly receivedRequests: ReceivedRequest[] = [];
  private readonly signalAtHttpPath: ReadonlyMap<string, Signal>;
  private readonly signals: readonly Signal[];
  private behaviour: OtlpReceiverBehaviour = 'ok';
  private closed: Promise<void> | undefined;
  private boundPort = 0;
  private grpc: GrpcListener | undefined;

  constructor() {
    const v1 = generated().collector;
    const signals: Signal[] = [
      {
        httpPath: '/v1/traces',
        grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        request: v1.trace.v1.ExportTraceServiceRequest,
        response: v1.trace.v1.ExportTraceServiceResponse,
        store: (plain) => this.receivedSpans.push(...toSpans(plain)),
      },
      {
        httpPath: '/v1/logs',
        grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        request: v1.logs.v1.ExportLogsServiceRequest,
        response: v1.logs.v1.ExportLogsServiceResponse,
        store: (plain) => this.receivedLogs.push(...toLogs(plain)),
      },
    ];
    this.signalAtHttpPath = new Map(signals.map((signal) => [signal.httpPath, signal]));
    this.signals = signals;
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) answer(response, 500, 'text/plain', `receiver error: ${String(error)}`);
        else response.destroy();
      });
    });
  }

  get url(): string {
    return `http://${HOST}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  get grpcUrl(): string {
    return `http://${HOST}:${this.grpc?.port ?? 0}`;
  }

  async listen(): Promise<void> {
    this.server.listen(0, HOST);
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error(`OTLP receiver: unexpected address ${String(address)}`);
    this.boundPort = address.port;
    const exports = new Map(this.signals.map((signal) => [signal.grpcPath, (call: GrpcCall) => this.answerGrpc(signal, call)]));
    const { listenOtlpGrpc } = require('./otlp-grpc-listener.js') as typeof import('./otlp-grpc-listener.js');
    this.grpc = await listenOtlpGrpc(HOST, exports);
  }

  spans(): ReceivedSpan[] {
    return [...this.receivedSpans];
  }

  logs(): ReceivedLog[] {
    return [...this.receivedLogs];
  }

  requests(): ReceivedRequest[] {
    return [...this.receivedRequests];
  }

  waitFor<T>(select: () => T | undefined, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<T> {
    return waitUntil(select, {
      timeoutMs,
      intervalMs: 20,
      what: 'the OTLP receiver to get the selected data',
      describe: () => this.summary(),
    });
  }

  clear(): void {
    this.receivedSpans.length = 0;
    this.receivedLogs.length = 0;
    this.receivedRequests.length = 0;
  }

  setBehaviour(behaviour: OtlpReceiverBehaviour): void {
    this.behaviour = behaviour;
  }

  close(): Promise<void> {
    this.grpc?.close();
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive and hanging connections would otherwise hold close() open.
      this.server.closeAllConnections();
    });
    return this.closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', this.url).pathname;
    const wire = await readBody(request);
    const contentEncoding = request.headers['content-encoding']?.trim().toLowerCase();
    const record: ReceivedRequest = {
      method: request.method ?? '',
      path,
      contentType: request.headers['content-type'] ?? '',
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
    };
    if (contentEncoding !== undefined && contentEncoding !== '') record.contentEncoding = contentEncoding;
    this.receivedRequests.push(record);

    const reject = (status: number, error: string): void => {
      record.status = status;
      record.error = error;
      answer(response, status, 'text/plain', error);
    };
    const signal = this.signalAtHttpPath.get(path);
    if (signal === undefined) return reject(404, `no OTLP signal at ${path}; use /v1/traces or /v1/logs`);
    if (request.method !== 'POST') return reject(405, `${request.method ?? '?'} not allowed; OTLP/HTTP uses POST`);
    if (this.behaviour === 'hang') return; // Never answered; close() destroys the connection.
    if (this.behaviour === 'fail503') return reject(503, 'OTLP receiver set to fail with 503');

    let body: Buffer;
    try {
      body = await decompress(wire, contentEncoding);
    } catch (error) {
      return reject(contentEncoding === 'gzip' ? 400 : 415, `cannot decode Content-Encoding ${contentEncoding}: ${String(error)}`);
    }
    if (!isProtobuf(record.contentType)) return reject(415, `unsupported Content-Type '${record.contentType}'; use application/x-protobuf`);
    try {
      store(signal, body);
    } catch (error) {
      return reject(400, `cannot decode protobuf ${path} request: ${String(error)}`);
    }
    record.status = 200;
    answer(response, 200, 'application/x-protobuf', Buffer.from(signal.response.encode({}).finish()));
  }

  /** One gRPC Export call: recorded like an HTTP request, answered as the behaviour says. */
  private answerGrpc(signal: Signal, { message, metadata }: GrpcCall): GrpcAnswer {
    const path = signal.grpcPath;
    const record: ReceivedRequest = { method: 'POST', path, contentType: 'application/grpc', headers: metadata };
    this.receivedRequests.push(record);
    if (this.behaviour === 'hang') return { kind: 'hang' };
    if (this.behaviour === 'fail503') {
      record.status = 503;
      record.error = 'OTLP receiver set to fail with UNAVAILABLE';
      return { kind: 'unavailable', message: record.error };
    }
    try {
      store(signal, message);
    } catch (error) {
      record.status = 400;
      record.error = `cannot decode protobuf ${path} request: ${String(error)}`;
      return { kind: 'invalid', message: record.error };
    }
    record.status = 200;
    return { kind: 'ok', response: signal.response.encode({}).finish() };
  }

  private summary(): string {
    const paths = this.receivedRequests.map((request) => `${request.path} ${request.status ?? 'hanging'}`);
    return [
      `Requests (${paths.length}): ${paths.join(', ') || 'none'}`,
      `Spans (${this.receivedSpans.length}): ${this.receivedSpans.map((span) => span.name).join(', ') || 'none'}`,
      `Logs (${this.receivedLogs.length}): ${this.receivedLogs.map((log) => JSON.stringify(String(log.body))).join(', ') || 'none'}`,
    ].join('\n');
  }
}

/** Decodes a request body with the signal's official message definition and stores what it holds; throws what does not decode. */
function store(signal: Signal, body: Buffer): void {
  signal.store(signal.request.toObject(signal.request.decode(body), TO_PLAIN));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

async function decompress(body: Buffer, contentEncoding: string | undefined): Promise<Buffer> {
  if (contentEncoding === undefined || contentEncoding === '' || contentEncoding === 'identity') return body;
  if (contentEncoding === 'gzip') return gunzip(body);
  throw new Error('only gzip is supported');
}

function isProtobuf(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf';
}

function answer(response: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

// ---------------------------------------------------------------------------------------
// Plain protobufjs objects → the receiver's types.

function toSpans(request: PlainTraces): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = flattenAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => toSpan(span, resource, scopeSpans.scope?.name ?? '')),
    );
  });
}

function toSpan(span: PlainSpan, resource: Record<string, unknown>, scope: string): ReceivedSpan {
  const received: ReceivedSpan = {
    traceId: hex(span.traceId),
    spanId: hex(span.spanId),
    name: span.name ?? '',
    kind: enumSuffix(span.kind, 'SPAN_KIND_', 'UNSPECIFIED') as SpanKindName,
    startTimeUnixNano: toBigInt(span.startTimeUnixNano),
    endTimeUnixNano: toBigInt(span.endTimeUnixNano),
    attributes: flattenAttributes(span.attributes),
    status: { code: enumSuffix(span.status?.code, 'STATUS_CODE_', 'UNSET') as StatusCodeName },
    events: (span.events ?? []).map((event) => ({ name: event.name ?? '', attributes: flattenAttributes(event.attributes) })),
    links: (span.links ?? []).map((link) => ({
      traceId: hex(link.traceId),
      spanId: hex(link.spanId),
      attributes: flattenAttributes(link.attributes),
    })),
    resource: { ...resource },
    scope,
  };
  const parentSpanId = hex(span.parentSpanId);
  if (parentSpanId !== '') received.parentSpanId = parentSpanId;
  if (span.status?.message) received.status.message = span.status.message;
  return received;
}

function toLogs(request: PlainLogs): ReceivedLog[] {
  return (request.resourceLogs ?? []).flatMap((resourceLogs) => {
    const resource = flattenAttributes(resourceLogs.resource?.attributes);
    return (resourceLogs.scopeLogs ?? []).flatMap((scopeLogs) =>
      (scopeLogs.logRecords ?? []).map((record) => toLog(record, resource, scopeLogs.scope?.name ?? '')),
    );
  });
}

function toLog(record: PlainLogRecord, resource: Record<string, unknown>, scope: string): ReceivedLog {
  const received: ReceivedLog = {
    body: record.body === undefined ? undefined : fromAnyValue(record.body),
    attributes: flattenAttributes(record.attributes),
    timeUnixNano: toBigInt(record.timeUnixNano),
    observedTimeUnixNano: toBigInt(record.observedTimeUnixNano),
    resource: { ...resource },
    scope,
  };
  const traceId = hex(record.traceId);
  const spanId = hex(record.spanId);
  if (traceId !== '') received.traceId = traceId;
  if (spanId !== '') received.spanId = spanId;
  if (record.severityText) received.severityText = record.severityText;
  const severityNumber = severityToNumber(record.severityNumber);
  if (severityNumber !== 0) received.severityNumber = severityNumber;
  if (record.eventName) received.eventName = record.eventName;
  return received;
}

function flattenAttributes(attributes: PlainKeyValue[] | undefined): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const attribute of attributes ?? []) {
    flat[attribute.key ?? ''] = attribute.value === undefined ? undefined : fromAnyValue(attribute.value);
  }
  return flat;
}

/** The `value` oneof: the one member present; an empty AnyValue is undefined. */
function fromAnyValue(value: PlainAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return toNumberish(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(fromAnyValue);
  if (value.kvlistValue !== undefined) return flattenAttributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return new Uint8Array(value.bytesValue);
  return undefined;
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function toBigInt(value: string | number | undefined): bigint {
  return value === undefined ? 0n : BigInt(value);
}

/** A number when exactly representable, else a bigint. */
function toNumberish(value: string | number): number | bigint {
  const big = BigInt(value);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** 'SPAN_KIND_SERVER' → 'SERVER'; missing → the fallback; values unknown to the definitions stay numeric strings. */
function enumSuffix(value: string | number | undefined, prefix: string, fallback: string): string {
  if (value === undefined) return fallback;
  const name = String(value);
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

function severityToNumber(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const number = generated().logs.v1.SeverityNumber[value];
  return typeof number === 'number' ? number : 0;
}
