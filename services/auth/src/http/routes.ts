/*
 * The auth service has no public routes yet. `POST /tokens` (username + password → access token),
 * `POST /oauth/token` (client credentials) and `GET /.well-known/jwks.json` arrive with the security
 * issue, built on AuthController's credential checks and the `signing_keys` table. Until then the
 * service serves only the kit's well-known routes (alive, health, openapi.json).
 */
import type { Route } from '@cinemetrics/kit';
import type { AuthController } from '../controller.js';

export function authRoutes(_controller: AuthController): Route[] {
  return [];
}
