import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '../problem.js';

/** What node's HTTP parser (or its request timers) reported about a connection, before any handler ran. */
interface ClientErrorFacts {
  code: string;
  status: number;
  type: string;
  title: string;
  detail: string;
}

type ProblemFacts = Omit<ClientErrorFacts, 'code'>;

/** Errors node answers with a status of their own; every other parser error is a 400. */
const KNOWN: Record<string, ProblemFacts> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    type: `${PROBLEM_TYPE_BASE}request-headers-too-large`,
    title: 'Request Header Fields Too Large',
    detail: 'The request line and headers together exceed the size this server accepts',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    type: `${PROBLEM_TYPE_BASE}chunk-extensions-too-large`,
    title: 'Content Too Large',
    detail: 'The chunk extensions of the request body exceed the size this server accepts',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    type: `${PROBLEM_TYPE_BASE}request-timeout`,
    title: 'Request Timeout',
    detail: 'The request was not received in full within the time this server allows (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)',
  },
};

/**
 * Answers for the errors node raises on a connection (`clientError`) in the statuses node's own
 * handler uses, but as problem documents. Parser errors carry a fixed `reason` from llhttp (never
 * request bytes); it is quoted only when it looks like one.
 */
export function describeClientError(error: NodeJS.ErrnoException & { reason?: unknown }): ClientErrorFacts {
  const code = typeof error.code === 'string' ? error.code : 'UNKNOWN';
  const known = KNOWN[code];
  if (known) return { code, ...known };
  const reason = typeof error.reason === 'string' && /^[\w ,.'()-]{1,120}$/.test(error.reason) ? error.reason : undefined;
  return {
    code,
    status: 400,
    type: `${PROBLEM_TYPE_BASE}malformed-request`,
    title: 'Malformed HTTP request',
    detail: `The request is not valid HTTP/1.1 and was not processed${reason ? `: ${reason}` : ''} (${code})`,
  };
}

/** A whole HTTP/1.1 response, written straight to the socket: no request object exists to answer through. */
function problemResponse(facts: ClientErrorFacts): string {
  const body = JSON.stringify({ type: facts.type, title: facts.title, status: facts.status, detail: facts.detail, code: facts.code });
  return [
    `HTTP/1.1 ${facts.status} ${STATUS_CODES[facts.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Codes that are a normal end of a connection rather than a client doing something wrong. */
const ORDINARY_ENDS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_HTTP_REQUEST_TIMEOUT']);

function isConnectionEnd(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (ORDINARY_ENDS.has(code) || code.startsWith('HPE_'));
}

/**
 * The Koa apps' `error` listener. A connection the client reset or cut short also reaches the app (as
 * the error of the response in flight): that is the client's doing and normal, so it is a debug line
 * with the code only. Anything else is an error of ours, logged in full.
 */
export function appErrorListener(logger: Logger) {
  return function onAppError(error: unknown): void {
    if (isConnectionEnd(error)) logger.debug({ 'error.code': error.code }, 'connection ended before the response was complete');
    else logger.error({ err: error }, 'error outside the problem middleware');
  };
}

/**
 * A `clientError` listener. Node's default handler writes a bare status line; and with the error
 * passed to `socket.destroy` it reaches the in-flight response's error handlers, whose loggers would
 * record the error's `rawPacket`, the request bytes with their credentials. This one logs the error
 * code only, answers with a problem document while nothing has been written for the request, and
 * closes the connection without handing the error on.
 */
export function clientErrorHandler(logger: Logger, inFlightResponse: (socket: Socket) => ServerResponse | undefined) {
  return function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const facts = describeClientError(error);
    const fields = { 'error.code': facts.code, 'http.status_code': facts.status };
    if (ORDINARY_ENDS.has(facts.code)) logger.debug(fields, 'connection ended before a request was complete');
    else logger.warn(fields, 'malformed request rejected');
    const response = inFlightResponse(socket);
    // As node's own handler: write what fits in the socket's buffer, then close at once.
    if (facts.code !== 'ECONNRESET' && socket.writable && !response?.headersSent) socket.write(problemResponse(facts));
    socket.destroy();
  };
}
