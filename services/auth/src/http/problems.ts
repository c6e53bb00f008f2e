import { PROBLEM_TYPE_BASE, ProblemError } from '@cinemetrics/kit';

/** The same answer for an unknown username and a wrong password: it says nothing about which. */
export function invalidCredentials(): ProblemError {
  return new ProblemError({
    status: 401,
    type: `${PROBLEM_TYPE_BASE}invalid-credentials`,
    title: 'Invalid credentials',
    detail: 'The username or password is wrong',
  });
}

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

/**
 * A token endpoint error (RFC 6749 §5.2) as problem+json that also carries the OAuth members `error`
 * and `error_description`, so OAuth clients and problem-aware clients both understand it.
 */
export function oauthError(error: OAuthErrorCode, description: string): ProblemError {
  const invalidClient = error === 'invalid_client';
  return new ProblemError({
    status: invalidClient ? 401 : 400,
    type: `${PROBLEM_TYPE_BASE}oauth-${error.replaceAll('_', '-')}`,
    title: invalidClient ? 'Invalid client' : error === 'invalid_request' ? 'Invalid token request' : 'Unsupported grant type',
    detail: description,
    extensions: { error, error_description: description },
    headers: invalidClient ? { 'www-authenticate': 'Basic realm="cinemetrics-auth"' } : {},
  });
}
