/**
 * The calls a script makes to the auth service, as any client would: upsert a user on the admin port
 * (with the admin token), sign a user in, get a client-credentials token. Errors name the call and
 * status, never a password, secret or token.
 */

const CALL_TIMEOUT_MS = 10_000;

export class AuthCallError extends Error {
  override name = 'AuthCallError';

  constructor(
    message: string,
    /** The call, e.g. `POST /tokens as demo`. */
    readonly call: string,
    /** The HTTP status, or undefined when no answer came. */
    readonly status: number | undefined,
  ) {
    super(message);
  }

  /** No answer, 429 or 5xx: auth starting, restarting or its database briefly away. */
  get retriable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500;
  }
}

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** One call to auth: the parsed answer, or an AuthCallError naming the call, the status and the problem's detail. */
export async function callAuth(what: string, url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    const reason = cause instanceof Error && 'code' in cause ? String(cause.code) : error instanceof Error ? error.message : String(error);
    throw new AuthCallError(`${what}: no answer from ${new URL(url).origin} (${reason})`, what, undefined);
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = '';
    try {
      const problem = JSON.parse(text) as { detail?: unknown; errors?: { field: string; message: string }[] };
      const fields = problem.errors?.map((error) => `${error.field}: ${error.message}`).join('; ');
      if (fields) detail = fields;
      else if (typeof problem.detail === 'string') detail = problem.detail;
    } catch {
      // Not a problem document: the status says enough.
    }
    throw new AuthCallError(`${what} answered ${response.status}${detail ? `: ${detail}` : ''}`, what, response.status);
  }
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

function issued(body: unknown): IssuedToken {
  const { access_token: accessToken, expires_in: expiresInSeconds } = body as { access_token: string; expires_in: number };
  return { accessToken, expiresInSeconds };
}

/** Creates the user or sets its password and roles (PUT /admin/users/{username}); resolves with its id. */
export async function upsertUser(adminUrl: string, adminToken: string, user: { username: string; password: string; roles: string[] }): Promise<string> {
  const body = await callAuth(`PUT /admin/users/${user.username}`, `${adminUrl}/admin/users/${encodeURIComponent(user.username)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ password: user.password, roles: user.roles }),
  });
  return (body as { id: string }).id;
}

/** POST /tokens: the user's access token. */
export async function signIn(authUrl: string, username: string, password: string): Promise<IssuedToken> {
  return issued(
    await callAuth(`POST /tokens as ${username}`, `${authUrl}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
  );
}

/** POST /oauth/token with client_secret_basic: the client's access token. */
export async function clientToken(authUrl: string, clientId: string, secret: string): Promise<IssuedToken> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  return issued(
    await callAuth(`POST /oauth/token as ${clientId}`, `${authUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: 'grant_type=client_credentials',
    }),
  );
}
