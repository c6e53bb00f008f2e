/**
 * The Node options every service process starts with, before the telemetry preload: `npm start`,
 * `npm run stack`, the container entrypoint (docker/entrypoint.sh, held to this list by
 * tests/compose/compose.test.ts) and the fan-out benches.
 *
 * A young generation of at most 8 MiB per semi-space: under load V8 otherwise grows it to its maximum
 * and keeps it, which adds about a hundred MiB of RSS per service and makes each scavenge, with the
 * telemetry a busy service keeps alive, long enough to stall the event loop for several milliseconds.
 * docs/performance.md (*Soak*, *Scrape*) has the measurements, CPU price included.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
