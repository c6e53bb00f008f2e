import { DownstreamUnavailableError, type DownstreamClient } from '@cinemetrics/kit';
import type { z } from 'zod';
import { GatewayUnavailableError } from './errors.js';

export type JsonAnswer<T> = { status: 'ok'; value: T } | { status: 'not_found' };

/**
 * GET `path` from a registered downstream (timeouts, deadline, retries, breaker and telemetry are the
 * kit client's) and parse a 200 answer with `schema`. 404 is reported as `not_found`; anything else that
 * is not a usable answer throws GatewayUnavailableError, so the controller never sees HTTP.
 */
export async function getJson<S extends z.ZodType>(
  client: DownstreamClient,
  path: string,
  schema: S,
): Promise<JsonAnswer<z.infer<S>>> {
  const peer = client.name;
  let text: string;
  try {
    const response = await client.get(path);
    if (response.status === 404) return { status: 'not_found' };
    if (response.status !== 200) throw new GatewayUnavailableError(peer, `status ${response.status}`);
    text = response.text();
  } catch (error) {
    if (error instanceof DownstreamUnavailableError) throw new GatewayUnavailableError(peer, error.reason, { cause: error });
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GatewayUnavailableError(peer, 'response body is not JSON', { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'unknown';
    throw new GatewayUnavailableError(peer, `response body breaks the contract (${where})`, { cause: parsed.error });
  }
  return { status: 'ok', value: parsed.data };
}
