import { once } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Accepts OTLP/HTTP exports and answers success without decoding, so the sink costs the server nothing.
 * It runs in a worker thread (otlp-sink-worker.ts), away from the load generator's event loop.
 */
export async function startOtlpSink(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const counter = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(path.join(__dirname, 'otlp-sink-worker.js'), { workerData: { counter } });
  const [port] = (await once(worker, 'message')) as [number];
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => Atomics.load(counter, 0),
    close: async () => {
      worker.postMessage('close');
      await once(worker, 'exit');
    },
  };
}
