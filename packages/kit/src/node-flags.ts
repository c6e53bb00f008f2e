/**
 * The Node options every service process starts with, before the telemetry preload: `npm start`,
 * `npm run stack`, the container entrypoint (docker/entrypoint.sh, held to this list by
 * tests/compose/compose.test.ts) and the fan-out benches.
 *
 * A young generation of at most 8 MiB per semi-space: under load V8 otherwise grows it to its maximum
 * and keeps it, which adds about a hundred MiB of RSS per service and makes each scavenge, with the
 * telemetry a busy service keeps alive, long enough to stall the event loop for several milliseconds.
 *
 * An old generation allowed to grow to 1.5 times what survived the last full collection before the next
 * one starts. V8 otherwise picks that factor from the heap's size limit, up to 4 on a machine with
 * gigabytes of memory: a service that keeps a few tens of MiB alive lets its old generation fill to a few
 * hundred, the pages stay resident after they are freed, and RSS creeps up with every new high-water
 * mark for the first quarter of an hour. The heap's size limit is unchanged.
 *
 * docs/performance.md (*Soak*, *Scrape*) has the measurements, CPU price included.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=50'];
