/**
 * Preloaded into a service by bench/scrape (`--require`), never in production: node's event-loop delay
 * histogram at 1 ms resolution, read over a loopback port of its own (LOOP_PROBE_PORT). `GET /reset`
 * starts a new interval; `GET /read` answers the interval's maximum, p99 and mean delay in milliseconds,
 * less the timer's own resolution (an idle loop reads about 0), and the longest garbage-collection pause
 * in the interval: a pause holds the loop whatever it was running. The kit's runtime metrics sample the
 * same histogram at 10 ms resolution, too coarse for delays of a few milliseconds. It also answers how
 * long the service itself took over the interval's `/metrics` requests, from the request's headers to
 * the response's last byte handed to the socket: the serve time without the client's share. And how long
 * the main thread waited in the interval for a CPU while it had work (`run_delay` of
 * `/proc/thread-self/schedstat`): on a machine whose cores the other processes keep busy, a delay that
 * is the scheduler's, not the service's.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const RESOLUTION_MS = 1;

/** The time this thread has spent runnable but waiting for a CPU, in milliseconds (Linux). */
function runDelayMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}
const port = Number(process.env['LOOP_PROBE_PORT'] ?? 0);

if (port > 0) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const lateness = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);
  let longestGcMs = 0;
  new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) longestGcMs = Math.max(longestGcMs, entry.duration);
  }).observe({ entryTypes: ['gc'] });
  let scrapeStarted: number | undefined;
  let scrapeServedMs = 0;
  let runDelayAtReset = runDelayMs();
  subscribe('http.server.request.start', (message) => {
    if ((message as { request: http.IncomingMessage }).request.url === '/metrics') scrapeStarted = performance.now();
  });
  subscribe('http.server.response.finish', (message) => {
    if (scrapeStarted === undefined || (message as { request: http.IncomingMessage }).request.url !== '/metrics') return;
    scrapeServedMs += performance.now() - scrapeStarted;
    scrapeStarted = undefined;
  });
  const server = http.createServer((request, response) => {
    if (request.url === '/reset') {
      histogram.reset();
      longestGcMs = 0;
      scrapeServedMs = 0;
      runDelayAtReset = runDelayMs();
      response.end();
      return;
    }
    const body = { maxMs: lateness(histogram.max), p99Ms: lateness(histogram.percentile(99)), meanMs: lateness(histogram.mean), samples: histogram.count, gcMs: longestGcMs, scrapeServedMs, waitedForCpuMs: runDelayMs() - runDelayAtReset };
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  });
  server.listen(port, '127.0.0.1');
  // Never what keeps the service alive.
  server.unref();
}
