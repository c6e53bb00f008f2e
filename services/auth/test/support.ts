import { createRemoteJWKSet, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { freePort, httpJson, startService, type HttpResponse, type StartedService } from '@cinemetrics/testing';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Auth on free ports with AUTH_URL pointing at itself; stopped by `stopAll`. */
export async function startAuth(env: Record<string, string | undefined> = {}, started: StartedService[] = []): Promise<StartedService> {
  const port = await freePort();
  const proc = await startService('auth', {
    env: {
      NODE_OPTIONS: undefined,
      NODE_TEST_CONTEXT: undefined,
      LOG_FORMAT: 'json',
      OTEL_SDK_DISABLED: 'true',
      ADMIN_TOKEN,
      PORT: String(port),
      AUTH_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
  });
  started.push(proc);
  return proc;
}

export function signIn(auth: StartedService, username: string, password: string): Promise<HttpResponse> {
  return httpJson('POST', `${auth.url}/tokens`, { username, password });
}

/** POST /oauth/token with a form body and optional extra headers (e.g. Authorization: Basic). */
export async function tokenRequest(auth: StartedService, form: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const response = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? text : (JSON.parse(text) as unknown) };
}

export function basic(clientId: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

export function admin(auth: StartedService, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<HttpResponse> {
  return httpJson('POST', `${auth.adminUrl}${path}`, body, { authorization: `Bearer ${token}` });
}

export function accessToken(response: HttpResponse): string {
  const body = response.body as { access_token?: string };
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`expected a token, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return body.access_token;
}

/** Verifies a token as a resource server would: against the served JWKS, issuer and audience. */
export async function verify(
  auth: StartedService,
  token: string,
  expected: { issuer?: string; audience?: string } = {},
): Promise<{ payload: JWTPayload; protectedHeader: ProtectedHeaderParameters }> {
  const jwks = createRemoteJWKSet(new URL(`${auth.url}/.well-known/jwks.json`), { cacheMaxAge: 0, cooldownDuration: 0 });
  return jwtVerify(token, jwks, {
    issuer: expected.issuer ?? 'cinemetrics-auth',
    audience: expected.audience ?? 'cinemetrics',
    algorithms: ['EdDSA', 'ES256'],
    typ: 'at+jwt',
  });
}
