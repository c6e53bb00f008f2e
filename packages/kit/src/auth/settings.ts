import type { Logger } from 'pino';
import type { JSONWebKeySet } from 'jose';
import { localKeySet, RemoteKeySet, type VerificationKeys } from './key-source.js';
import { TokenVerifier } from './token-verifier.js';

export interface TokenSettings {
  AUTH_URL: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_CLOCK_SKEW_SECONDS: number;
}

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The verifier of a service: keys from the auth service's JWKS, or — for the auth service itself —
 * from its own key store, chosen once the service is built (`useOwnKeys`).
 */
export class ServiceTokenVerification {
  readonly verifier: TokenVerifier;
  private keys: VerificationKeys;

  constructor(env: TokenSettings, logger: Logger) {
    this.keys = new RemoteKeySet({ url: `${env.AUTH_URL}${JWKS_PATH}`, logger }).getKey;
    this.verifier = new TokenVerifier({
      keys: (header, token) => this.keys(header, token),
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      clockToleranceSeconds: env.AUTH_CLOCK_SKEW_SECONDS,
    });
  }

  useOwnKeys(keys: () => Promise<JSONWebKeySet>): void {
    this.keys = localKeySet(keys);
  }
}
