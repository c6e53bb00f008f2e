import { DownstreamUnavailableError, type DownstreamClient } from '@cinemetrics/kit';
import type { z } from 'zod';

export type JsonAnswer<T> = { status: 'ok'; value: T } | { status: 'not_found' };

/**
 * GET `path` from a registered downstream (timeouts, deadline, retries, breaker and telemetry are the
 * kit client's) and parse a 200 answer with `schema`. 404 is reported as `not_found`; any other answer
 * that cannot be used is a DownstreamUnavailableError `bad_answer`, like the client's own outages.
 */
export async function getJson<S extends z.ZodType>(
  client: DownstreamClient,
  path: string,
  schema: S,
): Promise<JsonAnswer<z.infer<S>>> {
  const peer = client.name;
  const response = await client.get(path);
  if (response.status === 404) return { status: 'not_found' };
  if (response.status !== 200) throw new DownstreamUnavailableError(peer, 'bad_answer', `status ${response.status}`);
  let json: unknown;
  try {
    json = response.json();
  } catch (error) {
    throw new DownstreamUnavailableError(peer, 'bad_answer', 'response body is not JSON', { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'unknown';
    throw new DownstreamUnavailableError(peer, 'bad_answer', `response body breaks the contract (${where})`, { cause: parsed.error });
  }
  return { status: 'ok', value: parsed.data };
}
