import { httpJson, type HttpResponse, type StartedService } from '@cinemetrics/testing';

/** A sample of the Prometheus text exposition: the sum of the series of `metric` whose labels include all of `labels`. */
export function sampleSum(exposition: string, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const close = line.lastIndexOf('}');
    const labelText = close === -1 ? '' : line.slice(line.indexOf('{') + 1, close);
    if (Object.entries(labels).every(([name, value]) => labelText.includes(`${name}="${value}"`))) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/** GET /metrics on the service's admin port (no token needed). */
export async function scrape(service: StartedService): Promise<string> {
  const response = await fetch(`${service.adminUrl}/metrics`);
  if (response.status !== 200) throw new Error(`${service.name} /metrics answered ${response.status}`);
  return response.text();
}

/** Requests the service has served on `route` (any method and status), from its own http_server metrics. */
export async function servedOn(service: StartedService, route: string): Promise<number> {
  return sampleSum(await scrape(service), 'http_server_request_duration_seconds_count', { http_route: route });
}

/** The breaker state movie exports for `peer`: the state whose gauge is 1. */
export async function breakerState(movie: StartedService, peer: string): Promise<string> {
  const text = await scrape(movie);
  for (const state of ['closed', 'open', 'half_open']) {
    if (sampleSum(text, 'circuit_breaker_state', { peer_service: peer, state }) === 1) return state;
  }
  throw new Error(`no circuit_breaker_state for ${peer} in movie's /metrics`);
}

export async function timed(work: () => Promise<HttpResponse>): Promise<{ response: HttpResponse; ms: number }> {
  const started = performance.now();
  const response = await work();
  return { response, ms: performance.now() - started };
}

export async function getMovie(movie: StartedService, id: string, headers: Record<string, string> = {}): Promise<{ response: HttpResponse; ms: number }> {
  return timed(() => httpJson('GET', `${movie.url}/movies/${id}`, undefined, headers));
}

export { eventually } from '@cinemetrics/testing';
