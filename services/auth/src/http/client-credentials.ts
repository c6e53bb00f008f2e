import { oauthError } from './problems.js';

export interface ClientCredentials {
  clientId: string;
  secret: string;
}

export interface TokenRequestForm {
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function decodeBasic(credentials: string): ClientCredentials | undefined {
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const formDecode = (part: string) => decodeURIComponent(part.replaceAll('+', ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/**
 * The client's credentials from `Authorization: Basic` (client_secret_basic) or the `client_id` and
 * `client_secret` form fields (client_secret_post). Using both methods, or neither, is refused.
 */
export function clientCredentials(authorization: string, form: TokenRequestForm): ClientCredentials {
  const basic = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization);
  if (authorization !== '' && !basic) throw oauthError('invalid_client', 'The client could not be authenticated');
  if (basic) {
    if (form.client_secret !== undefined) {
      throw oauthError('invalid_request', 'Use one client authentication method: HTTP Basic or client_secret in the body, not both');
    }
    const credentials = decodeBasic(basic[1] ?? '');
    if (!credentials) throw oauthError('invalid_client', 'The client could not be authenticated');
    if (form.client_id !== undefined && form.client_id !== credentials.clientId) {
      throw oauthError('invalid_request', 'client_id in the body differs from the one in the Authorization header');
    }
    return credentials;
  }
  if (form.client_id === undefined || form.client_secret === undefined) {
    throw oauthError('invalid_client', 'Client authentication is required: HTTP Basic, or client_id and client_secret in the body');
  }
  return { clientId: form.client_id, secret: form.client_secret };
}
