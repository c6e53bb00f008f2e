import { z } from 'zod';
import { ConfigError, loadConfig } from '../config.js';
import type { DownstreamAuth } from './auth.js';

export interface DownstreamEnv {
  auth: DownstreamAuth;
  /** `<NAME>_TIMEOUT_MS`: this downstream's per-attempt timeout, instead of DOWNSTREAM_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * Reads one downstream's own variables, named after it (`prefix` = `RATING`):
 *
 * | variable | meaning |
 * |---|---|
 * | `<P>_AUTH` | `none`, `api-key`, `basic`, `bearer-forward`, `oauth2`; unset: `defaultAuth` (none unless given) |
 * | `<P>_API_KEY`, `<P>_API_KEY_HEADER` | api-key: the secret, and its header (default `x-api-key`) |
 * | `<P>_USERNAME`, `<P>_PASSWORD` | basic |
 * | `<P>_TOKEN_URL`, `<P>_CLIENT_ID`, `<P>_CLIENT_SECRET`, `<P>_SCOPE`, `<P>_AUDIENCE` | oauth2 client credentials |
 * | `<P>_TIMEOUT_MS` | per-attempt timeout for this downstream |
 *
 * A variable the chosen scheme needs and lacks stops start-up, named (ConfigError); secrets are never echoed.
 */
export function loadDownstreamEnv(prefix: string, env: NodeJS.ProcessEnv = process.env, defaultAuth: DownstreamAuth = { type: 'none' }): DownstreamEnv {
  const key = (suffix: string) => `${prefix}_${suffix}`;
  const schema = z.object({
    [key('AUTH')]: z.enum(['none', 'api-key', 'basic', 'bearer-forward', 'oauth2']).optional(),
    [key('API_KEY')]: z.string().optional(),
    [key('API_KEY_HEADER')]: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
      .optional(),
    [key('USERNAME')]: z.string().optional(),
    [key('PASSWORD')]: z.string().optional(),
    [key('TOKEN_URL')]: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).optional(),
    [key('CLIENT_ID')]: z.string().optional(),
    [key('CLIENT_SECRET')]: z.string().optional(),
    [key('SCOPE')]: z.string().optional(),
    [key('AUDIENCE')]: z.string().optional(),
    [key('TIMEOUT_MS')]: z.coerce.number().int().min(10).max(60_000).optional(),
  });
  const values = loadConfig(schema, env) as Record<string, string | number | undefined>;
  const text = (suffix: string) => values[key(suffix)] as string | undefined;
  const missing: string[] = [];
  const need = (suffix: string): string => {
    const value = text(suffix);
    if (value === undefined) missing.push(`${key(suffix)}: is required when ${key('AUTH')}=${String(text('AUTH'))}`);
    return value ?? '';
  };

  let auth: DownstreamAuth;
  switch (text('AUTH')) {
    case 'api-key': {
      const header = text('API_KEY_HEADER');
      auth = { type: 'api-key', key: need('API_KEY'), ...(header === undefined ? {} : { header }) };
      break;
    }
    case 'basic':
      auth = { type: 'basic', username: need('USERNAME'), password: need('PASSWORD') };
      break;
    case 'bearer-forward':
      auth = { type: 'bearer-forward' };
      break;
    case 'oauth2': {
      const scope = text('SCOPE');
      const audience = text('AUDIENCE');
      auth = {
        type: 'oauth2-client-credentials',
        tokenUrl: need('TOKEN_URL'),
        clientId: need('CLIENT_ID'),
        clientSecret: need('CLIENT_SECRET'),
        ...(scope === undefined ? {} : { scope }),
        ...(audience === undefined ? {} : { audience }),
      };
      break;
    }
    case 'none':
      auth = { type: 'none' };
      break;
    default:
      auth = defaultAuth;
  }
  if (missing.length > 0) throw new ConfigError(missing);
  const timeoutMs = values[key('TIMEOUT_MS')] as number | undefined;
  return timeoutMs === undefined ? { auth } : { auth, timeoutMs };
}

export interface ServiceClientEnv {
  AUTH_URL: string;
  AUTH_CLIENT_ID?: string | undefined;
  AUTH_CLIENT_SECRET?: string | undefined;
}

/**
 * The service's own identity at the auth service (`AUTH_CLIENT_ID`, default the service's name, and
 * `AUTH_CLIENT_SECRET`): OAuth 2.0 client credentials at `${AUTH_URL}/oauth/token`, the default auth of
 * its downstreams. Undefined without a secret: calls go out without a token.
 */
export function serviceClientCredentials(env: ServiceClientEnv, service: string): DownstreamAuth | undefined {
  if (env.AUTH_CLIENT_SECRET === undefined) return undefined;
  return {
    type: 'oauth2-client-credentials',
    tokenUrl: `${env.AUTH_URL}/oauth/token`,
    clientId: env.AUTH_CLIENT_ID ?? service,
    clientSecret: env.AUTH_CLIENT_SECRET,
  };
}
