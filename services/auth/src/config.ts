import { serviceEnvWithDefaults } from '@cinemetrics/kit';
import { z } from 'zod';
import { newClientSchema, username } from './model.js';
import { DEFAULT_SCRYPT } from './secrets.js';

const httpBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL like http://auth:8084' })
  .transform((value) => value.replace(/\/+$/, ''));

const CLIENTS_EXAMPLE = '[{"clientId":"movie","secret":"<16+ characters>","roles":["service"]}]';

/** Service clients declared by configuration; messages name the entry and field, never a value (secrets). */
const configuredClients = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a JSON array like ${CLIENTS_EXAMPLE}` });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(newClientSchema, { error: `must be a JSON array like ${CLIENTS_EXAMPLE}` })
      .max(100)
      .refine((clients) => new Set(clients.map((client) => client.clientId)).size === clients.length, 'must not name a clientId twice'),
  );

const count = (max: number) => z.coerce.number().int().min(1).max(max);

const SCRYPT_N_RANGE = { min: 2 ** 10, max: 2 ** 20 };
const scryptN = (n: number): boolean => Number.isInteger(Math.log2(n)) && n >= SCRYPT_N_RANGE.min && n <= SCRYPT_N_RANGE.max;

export const authEnvSchema = serviceEnvWithDefaults({ PORT: 8084, ADMIN_PORT: 8094 })
  .extend({
    /** Where clients reach auth; the discovery document's URLs are built from it. */
    AUTH_URL: httpBaseUrl.default('http://127.0.0.1:8084'),
    AUTH_ISSUER: z.string().min(1).max(256).default('cinemetrics-auth'),
    AUTH_AUDIENCE: z.string().min(1).max(256).default('cinemetrics'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(600),
    /** The first administrator, created at start-up when the username does not exist yet. */
    AUTH_ADMIN_USERNAME: username.optional(),
    AUTH_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(1024).optional(),
    /** Service clients created, or given this secret and these roles, at every start: configuration is their source of truth. */
    AUTH_CLIENTS: configuredClients.optional(),
    /** A JSON file of private JWKs used instead of the database or memory. */
    AUTH_SIGNING_KEY_FILE: z.string().min(1).optional(),
    SIGNIN_MAX_FAILURES_PER_ACCOUNT: count(1000).default(5),
    SIGNIN_MAX_FAILURES_PER_ADDRESS: count(100_000).default(20),
    SIGNIN_BLOCK_SECONDS: count(86_400).default(900),
    /**
     * scrypt's cost N for new password and secret hashes (each hash keeps the N it was made with). Higher is
     * slower for an attacker and for every sign-in alike; below the default only where nothing real is
     * protected, such as a test suite that signs in thousands of times.
     */
    AUTH_SCRYPT_N: z.coerce
      .number()
      .refine(scryptN, `must be a power of two from ${SCRYPT_N_RANGE.min} to ${SCRYPT_N_RANGE.max}`)
      .default(DEFAULT_SCRYPT.N),
    /**
     * Password and secret hashes computed at once; up to the kit's WAITING_PER_SLOT per slot wait their
     * turn, and a request past that is answered 503. Each one holds 128 × AUTH_SCRYPT_N × 8 bytes (32 MiB
     * by default) while it runs.
     */
    AUTH_HASH_CONCURRENCY: count(64).default(2),
  })
  .refine((env) => (env.AUTH_ADMIN_USERNAME === undefined) === (env.AUTH_ADMIN_PASSWORD === undefined), {
    path: ['AUTH_ADMIN_PASSWORD'],
    error: 'AUTH_ADMIN_USERNAME and AUTH_ADMIN_PASSWORD are set together or not at all',
  });
export type AuthEnv = z.infer<typeof authEnvSchema>;
