import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { RPCType, setRPCMetadata, suppressTracing, type RPCMetadata } from '@opentelemetry/core';
import { getTelemetry, isUntracedPath, redactQuery } from '@cinemetrics/telemetry';
import type { Context } from 'koa';
import { conventionalMethod } from './known-methods.js';

const tracer = trace.getTracer('@cinemetrics/kit');

/** A Host header's name (IPv6 without brackets) and port. */
const HOST = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/;

function serverAddress(host: string | undefined, attributes: Attributes): void {
  const match = host === undefined ? null : HOST.exec(host);
  if (!match) return;
  attributes['server.address'] = match[1] ?? match[2];
  if (match[3] !== undefined) attributes['server.port'] = Number(match[3]);
}

/** The stable HTTP semantic conventions' request attributes of a server span; nothing undefined is set. */
function requestAttributes(ctx: Context, method: string): Attributes {
  const { req } = ctx;
  const attributes: Attributes = {
    'http.request.method': method,
    'url.scheme': ctx.protocol,
    'url.path': ctx.path,
    'network.protocol.version': req.httpVersion,
  };
  // Koa's ip: the socket's peer, or the first X-Forwarded-For address when the app trusts its proxy.
  if (ctx.ip !== '') attributes['client.address'] = ctx.ip;
  if (method !== req.method) attributes['http.request.method_original'] = req.method;
  if (ctx.querystring !== '') attributes['url.query'] = redactQuery(`?${ctx.querystring}`).slice(1);
  serverAddress(req.headers.host, attributes);
  if (req.socket.remoteAddress !== undefined) attributes['network.peer.address'] = req.socket.remoteAddress;
  if (req.socket.remotePort !== undefined) attributes['network.peer.port'] = req.socket.remotePort;
  const userAgent = req.headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  return attributes;
}

/** Once the response is sent or abandoned: its status, the route the kit found, and the span's name by it. */
function endServerSpan(span: Span, name: string, rpc: RPCMetadata, ctx: Context): void {
  const status = ctx.res.statusCode;
  const attributes: Attributes = { 'http.response.status_code': status };
  if (rpc.route !== undefined) {
    attributes['http.route'] = rpc.route;
    span.updateName(`${name} ${rpc.route}`);
  }
  if (status >= 500) {
    attributes['error.type'] = String(status);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.setAttributes(attributes).end();
}

/** Runs a request's handling inside its server span (a child of the caller's `traceparent`, if any). */
export type TraceRequest = (ctx: Context, handle: () => Promise<void>) => Promise<void>;

function traceRequest(ctx: Context, handle: () => Promise<void>): Promise<void> {
  // Whatever a probe or a scrape does (a database ping) is not traced either.
  if (isUntracedPath(ctx.path)) return context.with(suppressTracing(context.active()), handle);
  // Node's parser admits only its own list of methods, all upper case; the conventions know fewer.
  const method = conventionalMethod(ctx.method);
  // The conventions name a span of an unknown method `HTTP`, and `HTTP /route` once routed.
  const name = method === '_OTHER' ? 'HTTP' : method;
  const parent = propagation.extract(ROOT_CONTEXT, ctx.req.headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  // The kit's layers name the span through the request's RPC metadata, as they would the HTTP instrumentation's.
  const rpc: RPCMetadata = { type: RPCType.HTTP, span };
  // The preload's samplers (sdk-environment.ts) decide by the trace id and the parent alone, so the
  // attributes are built, and the end awaited, only for a span that records: most of them at low sampling.
  if (span.isRecording()) {
    span.setAttributes(requestAttributes(ctx, method));
    ctx.res.once('close', () => endServerSpan(span, name, rpc, ctx));
  }
  return context.with(setRPCMetadata(trace.setSpan(parent, span), rpc), handle);
}

/**
 * The server-span layer, when the kit's telemetry preload asks the kit to make server spans (its `http`
 * instrumentation is enabled; docs/telemetry.md). Otherwise undefined, and requests pass untouched: with
 * telemetry off, or under an SDK set up another way, whose HTTP instrumentation then makes the span and
 * the kit only names it (`record-requests.ts`).
 */
export function serverSpans(): TraceRequest | undefined {
  return getTelemetry()?.serverSpans === true ? traceRequest : undefined;
}
