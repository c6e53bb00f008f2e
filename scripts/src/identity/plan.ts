import { randomBytes } from 'node:crypto';
import { StartError } from '../start-error.js';

export const DEMO_ADMIN_USERNAME = 'admin';
export const DEMO_USER_USERNAME = 'demo';
export const MOVIE_CLIENT_ID = 'movie';
export const SEED_CLIENT_ID = 'seed';

/** Where a demo account's password comes from: generated for this run (memory) or a variable (MySQL). */
export type PasswordSource = 'generated' | 'CINEMETRICS_DEMO_ADMIN_PASSWORD' | 'CINEMETRICS_DEMO_USER_PASSWORD';

export interface DemoAccount {
  username: string;
  roles: string[];
  password: string;
  source: PasswordSource;
}

/**
 * Every credential one run of npm start or npm run stack uses. Nothing here is built in: the client
 * secrets are generated per run and given to auth through AUTH_CLIENTS (which replaces them at every
 * start), the admin token comes from ADMIN_TOKEN or is generated, the demo passwords are generated
 * for an in-memory run or read from CINEMETRICS_DEMO_* with MySQL.
 */
export interface IdentityPlan {
  /** The admin port's static token, for the supervisor's own calls; never printed. */
  adminToken: string;
  /** Whether adminToken came from the environment (then every service gets it, as before). */
  adminTokenFromEnv: boolean;
  movieSecret: string;
  seedSecret: string;
  demoAdmin: DemoAccount | undefined;
  demoUser: DemoAccount | undefined;
  /** Memory: the accounts vanish with the run, so generated passwords are safe to use. */
  persistent: boolean;
}

export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

function envPassword(env: NodeJS.ProcessEnv, name: PasswordSource, minLength: number): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (value.length < minLength || value.length > 1024) throw new StartError(`${name} must be ${minLength} to 1024 characters long`, 2);
  return value;
}

export function planIdentities(env: NodeJS.ProcessEnv): IdentityPlan {
  const persistent = Boolean(env['MYSQL_URL']);
  const account = (username: string, roles: string[], variable: PasswordSource, minLength: number): DemoAccount | undefined => {
    if (!persistent) return { username, roles, password: randomSecret(), source: 'generated' };
    const password = envPassword(env, variable, minLength);
    return password === undefined ? undefined : { username, roles, password, source: variable };
  };
  const fromEnv = env['ADMIN_TOKEN'];
  return {
    adminToken: fromEnv || randomSecret(),
    adminTokenFromEnv: Boolean(fromEnv),
    movieSecret: randomSecret(),
    seedSecret: randomSecret(),
    // auth's rule for AUTH_ADMIN_PASSWORD is 12 characters; a user's password needs 8.
    demoAdmin: account(DEMO_ADMIN_USERNAME, ['admin'], 'CINEMETRICS_DEMO_ADMIN_PASSWORD', 12),
    demoUser: account(DEMO_USER_USERNAME, [], 'CINEMETRICS_DEMO_USER_PASSWORD', 8),
    persistent,
  };
}

/** What each service gets from the plan on top of the passed-through environment. */
export function identityEnv(service: string, plan: IdentityPlan): Record<string, string> {
  const shared: Record<string, string> = plan.adminTokenFromEnv ? { ADMIN_TOKEN: plan.adminToken } : {};
  switch (service) {
    case 'auth':
      return {
        ADMIN_TOKEN: plan.adminToken,
        AUTH_CLIENTS: JSON.stringify([
          { clientId: MOVIE_CLIENT_ID, secret: plan.movieSecret, roles: ['service'] },
          { clientId: SEED_CLIENT_ID, secret: plan.seedSecret, roles: ['admin'] },
        ]),
        ...(plan.demoAdmin ? { AUTH_ADMIN_USERNAME: plan.demoAdmin.username, AUTH_ADMIN_PASSWORD: plan.demoAdmin.password } : {}),
      };
    case 'movie':
      return { ...shared, AUTH_CLIENT_ID: MOVIE_CLIENT_ID, AUTH_CLIENT_SECRET: plan.movieSecret };
    default:
      return shared;
  }
}
