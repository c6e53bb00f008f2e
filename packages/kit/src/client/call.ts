/**
 * The shape every layer of the downstream client shares: a call is a function from an outbound
 * request to the downstream's answer, and a layer wraps the call below it. `client.ts` lists the
 * layers in order; each capability (deadline, retry, auth, headers, breaker, telemetry) is one file
 * under `layers/`, the transport (undici) is the innermost call.
 */

/** A downstream's answer, whatever its status. */
export interface DownstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Attempts sent for this call, the first included. */
  attempts: number;
  text(): string;
  /** Parses the body; throws SyntaxError when it is not JSON. */
  json(): unknown;
}

/** What one logical call shares between its attempts; layers above the retry set it, layers below read it. */
export interface CallState {
  /** When the call's budget runs out, on the `performance.now()` clock. */
  deadlineAt: number;
  /** Aborts when the budget runs out or the caller aborts. */
  signal: AbortSignal;
  /** Attempts started so far, the first included. */
  attempts: number;
}

export interface OutboundRequest {
  readonly method: string;
  /** Base URL prefix, path and query. */
  readonly path: string;
  /** Lower-case names; layers add to them on the way down. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer | undefined;
  /** The body is JSON encoded by the client (it gets `content-type: application/json` unless a header says otherwise). */
  readonly jsonBody: boolean;
  readonly idempotencyKey: string | undefined;
  /** Bound on one attempt; the attempt-deadline layer shortens it to what the call's budget has left. */
  readonly timeoutMs: number;
  /** This call's own budget, when shorter than the caller's. */
  readonly deadlineMs: number | undefined;
  /** The caller's own signal: its abort is an abort, not a timeout. */
  readonly callerSignal: AbortSignal | undefined;
  readonly call: CallState;
}

/** One step towards the downstream: resolves with its answer, rejects with DownstreamUnavailableError. */
export type Call = (request: OutboundRequest) => Promise<DownstreamResponse>;

/** A capability wrapped around the call below it. */
export type Layer = (next: Call) => Call;

/** `layers[0]` is the outermost: `compose([a, b], t)` is `a(b(t))`. */
export function compose(layers: readonly Layer[], transport: Call): Call {
  return layers.reduceRight<Call>((next, layer) => layer(next), transport);
}
