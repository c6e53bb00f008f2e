/**
 * Query parameters whose values are credentials: the HTTP instrumentation records `url.query` (server
 * spans) and `url.full` (client spans) with these values replaced by `REDACTED`. Its built-in list
 * (cloud storage signatures) is kept; the instrumentation matches names exactly, so each name is
 * listed as written, in lower and in upper case, and with `-` for `_`.
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
