/**
 * Preloaded into a service by bench/scrape (`--require`), never in production: node's event-loop delay
 * histogram at 1 ms resolution, read over a loopback port of its own (LOOP_PROBE_PORT). `GET /reset`
 * starts a new interval; `GET /read` answers the interval's maximum, p99 and mean delay in milliseconds,
 * less the timer's own resolution (an idle loop reads about 0), and the longest garbage-collection pause
 * in the interval: a pause holds the loop whatever it was running. The kit's runtime metrics sample the
 * same histogram at 10 ms resolution, too coarse for delays of a few milliseconds. It also answers how
 * long the service itself took over the interval's `/metrics` requests, from the request's headers to
 * the response's last byte handed to the socket: the serve time without the client's share.
 */
import { subscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const RESOLUTION_MS = 1;
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
      response.end();
      return;
    }
    const body = { maxMs: lateness(histogram.max), p99Ms: lateness(histogram.percentile(99)), meanMs: lateness(histogram.mean), samples: histogram.count, gcMs: longestGcMs, scrapeServedMs };
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  });
  server.listen(port, '127.0.0.1');
  // Never what keeps the service alive.
  server.unref();
}
