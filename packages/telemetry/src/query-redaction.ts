/**
 * Query parameters whose values are credentials: the kit's server spans record `url.query`, and the
 * HTTP instrumentation's client spans `url.full`, with these values replaced by `REDACTED`. The
 * instrumentation's built-in list (cloud storage signatures) is kept; it matches names exactly, so each
 * name is listed as written, in lower and in upper case, and with `-` for `_`.
 */
const CREDENTIAL_PARAMETERS = [
  // the instrumentation's own defaults, which a configured list replaces
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  // OAuth 2 and OpenID Connect
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'code',
  'code_verifier',
  'assertion',
  'client_assertion',
  // common API conventions
  'token',
  'auth',
  'authorization',
  'api_key',
  'apikey',
  'apiKey',
  'key',
  'secret',
  'password',
  'passwd',
  'pwd',
  'session',
  'session_id',
  'sessionid',
  'jwt',
  'signature',
];

function spellings(name: string): string[] {
  return [name, name.toLowerCase(), name.toUpperCase(), name.replaceAll('_', '-')];
}

export const REDACTED_QUERY_PARAMETERS: readonly string[] = [...new Set(CREDENTIAL_PARAMETERS.flatMap(spellings))];

const REDACTED_SET = new Set(REDACTED_QUERY_PARAMETERS);

/**
 * A path or URL with the values of credential query parameters replaced by `REDACTED`, for the
 * attributes and log fields the kit writes itself (and the undici spans, whose instrumentation has no
 * redaction of its own). Everything else is left as it was written.
 */
export function redactQuery(pathOrUrl: string): string {
  const start = pathOrUrl.indexOf('?');
  if (start < 0) return pathOrUrl;
  const end = pathOrUrl.indexOf('#', start);
  const query = pathOrUrl.slice(start + 1, end < 0 ? undefined : end);
  const redacted = query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const name = decodeURIComponentSafe(pair.slice(0, equals));
      return REDACTED_SET.has(name) ? `${pair.slice(0, equals)}=REDACTED` : pair;
    })
    .join('&');
  return `${pathOrUrl.slice(0, start + 1)}${redacted}${end < 0 ? '' : pathOrUrl.slice(end)}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}
