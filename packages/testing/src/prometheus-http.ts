const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Calls a Prometheus-style JSON API (`{"status":"success","data":...}`, as Prometheus'
 * /api/v1 answers) and returns `data`; any other answer becomes an error naming the call.
 */
export async function prometheusApi<T>(
  name: string,
  url: string,
  init: { method?: string; form?: URLSearchParams } = {},
): Promise<T> {
  const method = init.method ?? (init.form === undefined ? 'GET' : 'POST');
  const response = await fetchWithTimeout(name, url, {
    method,
    ...(init.form === undefined ? {} : { body: init.form }),
  });
  const text = await response.text();
  let parsed: { status?: string; data?: T; error?: string; errorType?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error(`${name}: ${method} ${url} answered ${response.status} with non-JSON: ${text.slice(0, 500)}`);
  }
  if (!response.ok || parsed.status !== 'success') {
    throw new Error(
      `${name}: ${method} ${url} answered ${response.status}: ${parsed.errorType ?? 'error'}: ${parsed.error ?? text.slice(0, 500)}`,
    );
  }
  return parsed.data as T;
}

/** Plain JSON GET (Alertmanager's API v2 has no envelope). */
export async function getJson<T>(name: string, url: string): Promise<T> {
  const response = await fetchWithTimeout(name, url, { method: 'GET' });
  const text = await response.text();
  if (!response.ok) throw new Error(`${name}: GET ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export async function fetchWithTimeout(name: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`${name}: ${init.method ?? 'GET'} ${url} failed: ${String(error)}`, { cause: error });
  }
}
