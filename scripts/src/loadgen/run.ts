import { context, propagation } from '@opentelemetry/api';
import * as hdr from 'hdr-histogram-js';
import { setTimeout as delay } from 'node:timers/promises';
import type { SignedInUsers } from '../identity/signed-in-users.js';
import type { LoadOptions } from './options.js';
import { Scenario, type PlannedRequest, type ServiceUrls } from './scenario.js';

/** Requests in flight at most: past it a due request is skipped (and counted), never queued up. */
const MAX_IN_FLIGHT = 256;
const REQUEST_TIMEOUT_MS = 10_000;

export interface LoadSummary {
  sent: number;
  skipped: number;
  /** By status class (2xx, 4xx, 5xx) and `network` for requests that got no answer. */
  outcomes: Record<string, number>;
  byAction: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  seconds: number;
}

/** Marks every request as synthetic in W3C baggage; the trace context travels beside it. */
const synthetic = propagation.createBaggage({ synthetic: { value: 'true' } });

/** Sends one request, and the sign-in it may need first, both marked as synthetic. */
function send(request: PlannedRequest, users: SignedInUsers | undefined): Promise<string> {
  return context.with(propagation.setBaggage(context.active(), synthetic), () => sendMarked(request, users));
}

async function sendMarked(request: PlannedRequest, users: SignedInUsers | undefined): Promise<string> {
  let headers = request.headers;
  if (request.username !== undefined && users !== undefined) {
    try {
      headers = { ...headers, ...(await users.user(request.username).headers()) };
    } catch {
      return 'sign-in failed';
    }
  }
  const init: RequestInit = { method: request.method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (request.body !== undefined) init.body = request.body;
  try {
    const response = await fetch(request.url, init);
    await response.arrayBuffer();
    return `${Math.floor(response.status / 100)}xx`;
  } catch {
    return 'network';
  }
}

/**
 * Sends the scenario's requests open-loop at the configured rate until the duration has passed or
 * `stop` is aborted, then waits for the requests in flight and returns the summary. Ratings are sent
 * as `users`; without them only reads are sent.
 */
export async function runLoad(options: LoadOptions, urls: ServiceUrls, stop: AbortSignal, users?: SignedInUsers): Promise<LoadSummary> {
  const scenario = new Scenario(options, urls, users !== undefined);
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: REQUEST_TIMEOUT_MS * 1000, numberOfSignificantValueDigits: 3 });
  const summary: LoadSummary = { sent: 0, skipped: 0, outcomes: {}, byAction: {}, p50Ms: 0, p99Ms: 0, maxMs: 0, seconds: 0 };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const intervalMs = 1000 / options.ratePerSecond;
  const total = options.ratePerSecond * options.durationSeconds;

  for (let index = 0; index < total && !stop.aborted; index++) {
    const dueAt = started + index * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 0) await delay(wait, undefined, { signal: stop }).catch(() => undefined);
    if (stop.aborted) break;
    const request = scenario.next();
    if (inFlight.size >= MAX_IN_FLIGHT) {
      summary.skipped++;
      continue;
    }
    summary.sent++;
    summary.byAction[request.action] = (summary.byAction[request.action] ?? 0) + 1;
    const sentAt = performance.now();
    const done = send(request, users).then((outcome) => {
      latency.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
      summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      inFlight.delete(done);
    });
    inFlight.add(done);
  }
  await Promise.all(inFlight);
  summary.seconds = (performance.now() - started) / 1000;
  summary.p50Ms = latency.getValueAtPercentile(50) / 1000;
  summary.p99Ms = latency.getValueAtPercentile(99) / 1000;
  summary.maxMs = latency.maxValue / 1000;
  latency.destroy();
  return summary;
}

export function formatSummary(summary: LoadSummary): string {
  const outcomes = Object.entries(summary.outcomes)
    .sort()
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');
  const actions = Object.entries(summary.byAction)
    .sort()
    .map(([action, count]) => `${action} ${count}`)
    .join(', ');
  const errors = (summary.outcomes['5xx'] ?? 0) + (summary.outcomes['network'] ?? 0) + (summary.outcomes['sign-in failed'] ?? 0);
  return [
    `loadgen: ${summary.sent} requests in ${summary.seconds.toFixed(1)} s (${(summary.sent / Math.max(summary.seconds, 0.001)).toFixed(1)}/s), ${summary.skipped} skipped`,
    `  outcomes: ${outcomes || 'none'}; errors (5xx, no answer or a failed sign-in): ${errors}`,
    `  actions: ${actions || 'none'}`,
    `  latency: p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms, max ${summary.maxMs.toFixed(1)} ms`,
  ].join('\n');
}
