import { PROBLEM_TYPE_BASE, ProblemError } from '../problem.js';

const REALM = 'cinemetrics';

/** Quoted-string content for a `WWW-Authenticate` parameter (RFC 9110 §5.6.4). */
function quoted(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}

/** No acceptable token where one is required (RFC 6750 §3: no error code, only the challenge). */
export function unauthorized(
  detail = 'A bearer token is required (Authorization: Bearer <token>); get one from the auth service',
  realm = REALM,
): ProblemError {
  return new ProblemError({
    status: 401,
    title: 'Unauthorized',
    type: `${PROBLEM_TYPE_BASE}unauthorized`,
    detail,
    headers: { 'www-authenticate': `Bearer realm="${realm}"` },
  });
}

/** A token was sent but cannot be accepted; `reason` says why without echoing the token. */
export function invalidToken(reason: string): ProblemError {
  return new ProblemError({
    status: 401,
    title: 'Invalid token',
    type: `${PROBLEM_TYPE_BASE}invalid-token`,
    detail: `The bearer token was not accepted: ${reason}`,
    // RFC 6750 §3.1's error code in the body too, as OAuth clients look for it there.
    extensions: { error: 'invalid_token' },
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(reason)}"` },
  });
}

/** A valid token that does not grant what the route needs. */
export function forbidden(need: string): ProblemError {
  return new ProblemError({
    status: 403,
    title: 'Forbidden',
    type: `${PROBLEM_TYPE_BASE}forbidden`,
    detail: `The token does not grant this operation: ${need}`,
    extensions: { error: 'insufficient_scope' },
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", error_description="${quoted(need)}"` },
  });
}
