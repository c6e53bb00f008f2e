import { randomBytes } from 'node:crypto';
import { httpJson } from './http.js';
import { startService, type StartedService, type StartServiceOptions } from './services.js';

export interface SignedInUser {
  /** The user's id: the `sub` of their tokens, and the user id the rating service stores. */
  id: string;
  username: string;
  password: string;
  token: string;
  /** `{ authorization: 'Bearer …' }` */
  headers: Record<string, string>;
}

export interface ServiceClient {
  clientId: string;
  secret: string;
  token: string;
  headers: Record<string, string>;
}

function secret(): string {
  return randomBytes(18).toString('base64url');
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function expectStatus(what: string, answer: { status: number; body: unknown }, ...allowed: number[]): void {
  if (!allowed.includes(answer.status)) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
}

/**
 * Users and service clients of a running auth service, made through its admin API and signed in
 * through its public one, as a person or a service would. Cached by name.
 */
export class Identities {
  private readonly users = new Map<string, Promise<SignedInUser>>();

  constructor(
    readonly auth: { url: string; adminUrl: string },
    private readonly adminToken: string,
  ) {}

  /** Creates the user (once per name) and signs them in. */
  user(username: string, roles: string[] = []): Promise<SignedInUser> {
    let user = this.users.get(username);
    if (user === undefined) {
      user = this.createAndSignIn(username, roles);
      this.users.set(username, user);
    }
    return user;
  }

  /** An administrator's token (the user `admin` with role admin). */
  async adminHeaders(): Promise<Record<string, string>> {
    return (await this.user('admin', ['admin'])).headers;
  }

  async client(clientId: string, roles: string[]): Promise<ServiceClient> {
    const clientSecret = secret();
    const created = await httpJson('POST', `${this.auth.adminUrl}/admin/clients`, { clientId, secret: clientSecret, roles }, bearer(this.adminToken));
    expectStatus(`POST /admin/clients ${clientId}`, created, 201);
    const token = await this.clientToken(clientId, clientSecret);
    return { clientId, secret: clientSecret, token, headers: bearer(token) };
  }

  async clientToken(clientId: string, clientSecret: string): Promise<string> {
    const response = await fetch(`${this.auth.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await response.json()) as { access_token?: string };
    expectStatus(`POST /oauth/token ${clientId}`, { status: response.status, body }, 200);
    return body.access_token ?? '';
  }

  async signIn(username: string, password: string): Promise<string> {
    const answer = await httpJson('POST', `${this.auth.url}/tokens`, { username, password });
    expectStatus(`POST /tokens ${username}`, answer, 200);
    return (answer.body as { access_token: string }).access_token;
  }

  private async createAndSignIn(username: string, roles: string[]): Promise<SignedInUser> {
    const password = secret();
    const created = await httpJson('POST', `${this.auth.adminUrl}/admin/users`, { username, password, roles }, bearer(this.adminToken));
    expectStatus(`POST /admin/users ${username}`, created, 201);
    const token = await this.signIn(username, password);
    return { id: (created.body as { id: string }).id, username, password, token, headers: bearer(token) };
  }
}

export interface StartedAuth {
  service: StartedService;
  identities: Identities;
  /** The admin port's static token. */
  adminToken: string;
  /** What the other services need to verify its tokens: `AUTH_URL`. */
  env: Record<string, string>;
}

/** The auth service as a real process, with an admin token for making users and clients. */
export async function startAuth(options: StartServiceOptions = {}): Promise<StartedAuth> {
  const adminToken = options.env?.['ADMIN_TOKEN'] ?? secret();
  const service = await startService('auth', { ...options, env: { ...options.env, ADMIN_TOKEN: adminToken } });
  return { service, adminToken, identities: new Identities(service, adminToken), env: { AUTH_URL: service.url } };
}
