export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response declares a JSON content type and is non-empty, else the raw text. */
  body: unknown;
}

/** One HTTP request with an optional JSON body; no retries, no status checks. */
export async function httpJson(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResponse> {
  const requestHeaders = new Headers({ accept: 'application/json', ...headers });
  const init: RequestInit = { method, headers: requestHeaders };
  if (body !== undefined) {
    if (!requestHeaders.has('content-type')) requestHeaders.set('content-type', 'application/json');
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseBody(method, url, response, text) };
}

function parseBody(method: string, url: string, response: Response, text: string): unknown {
  if (text === '' || !isJsonContentType(response.headers.get('content-type'))) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(
      `${method} ${url} answered ${response.status} with invalid JSON (${String(error)}): ${text.slice(0, 500)}`,
    );
  }
}

/** application/json, application/problem+json, ... */
function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}
