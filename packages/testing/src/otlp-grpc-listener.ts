/**
 * The OTLP/gRPC side of the test receiver: a real @grpc/grpc-js server offering the three OTLP
 * collector services (`opentelemetry.proto.collector.<signal>.v1.<Signal>Service/Export`). It moves
 * raw message bytes only; decoding them with the official definitions is the receiver's job, shared
 * with OTLP/HTTP. grpc-js undoes gzip message compression before the bytes reach the answering function.
 */
import { Server, ServerCredentials, status, type Metadata, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';

export interface GrpcCall {
  /** The request message's bytes, decompressed. */
  message: Buffer;
  /** The call's metadata (its request headers), by lower-case name. */
  metadata: Record<string, string>;
}

/** What to do with one Export call. */
export type GrpcAnswer =
  | { kind: 'ok'; response: Uint8Array }
  | { kind: 'unavailable'; message: string }
  | { kind: 'invalid'; message: string }
  /** Never answered; the call ends when the listener closes. */
  | { kind: 'hang' };

export interface GrpcListener {
  readonly port: number;
  /** Ends every call, including hanging ones. */
  close(): void;
}

const passBytes = (bytes: Buffer): Buffer => bytes;

function exportService(path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: passBytes,
      requestDeserialize: passBytes,
      responseSerialize: passBytes,
      responseDeserialize: passBytes,
    },
  };
}

/**
 * Listens on `host`, a free port, for Export calls: `exports` maps each full gRPC method path
 * (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`) to what answers its calls.
 */
export async function listenOtlpGrpc(host: string, exports: ReadonlyMap<string, (call: GrpcCall) => GrpcAnswer>): Promise<GrpcListener> {
  const server = new Server();
  for (const [path, answer] of exports) {
    const implementation: UntypedServiceImplementation = {
      Export: (call: { request: Buffer; metadata: Metadata }, callback: (error: { code: status; details: string } | null, response?: Buffer) => void) => {
        const metadata = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([name, value]) => [name, String(value)]));
        const outcome = answer({ message: call.request, metadata });
        if (outcome.kind === 'ok') callback(null, Buffer.from(outcome.response));
        else if (outcome.kind === 'unavailable') callback({ code: status.UNAVAILABLE, details: outcome.message });
        else if (outcome.kind === 'invalid') callback({ code: status.INVALID_ARGUMENT, details: outcome.message });
      },
    };
    server.addService(exportService(path), implementation);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return { port, close: () => server.forceShutdown() };
}
