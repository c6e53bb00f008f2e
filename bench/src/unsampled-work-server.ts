/** The callee of bench/unsampled-work: a small JSON answer to every request, on a free loopback port sent to the parent. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end('{"id":"tt0113277","title":"Heat"}');
});
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
process.on('disconnect', () => server.close());
