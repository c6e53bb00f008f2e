/**
 * The OTLP sink's server, in its own thread: receiving export bodies must not delay the load
 * generator's event loop, or the open-loop latency of exporting modes would include the generator's
 * own lateness. Counts requests into the shared counter; stops when the parent posts 'close'.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const counter = (workerData as { counter: Int32Array }).counter;
const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    Atomics.add(counter, 0, 1);
    response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    response.end();
  });
});
server.listen(0, '127.0.0.1', () => parentPort?.postMessage((server.address() as AddressInfo).port));
parentPort?.on('message', () => {
  server.close(() => parentPort?.close());
  server.closeAllConnections();
});
