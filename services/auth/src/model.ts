import { z } from 'zod';

/** Lower-cased on the way in, so `Alice` and `alice` are one account; stored and compared byte for byte. */
export const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._@-]{2,63}$/, 'must be 3-64 characters: letters, digits, . _ @ - (a letter or digit first)')
  .describe('Sign-in name, case-insensitive');

export const clientId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{1,63}$/, 'must be 2-64 characters: lower-case letters, digits, _ - (a letter first)')
  .describe('OAuth client id of a service, e.g. movie');

export const role = z
  .string()
  .regex(/^[a-z][a-z0-9_:-]{0,31}$/, 'must be 1-32 characters: lower-case letters, digits, _ : - (a letter first)');

/** Roles in the order given, without duplicates. */
export const roles = z
  .array(role)
  .max(32)
  .default([])
  .transform((list) => [...new Set(list)])
  .describe('Roles granted, e.g. admin');

/** Never logged, never stored: only its hash is. */
export const password = z.string().min(8, 'must be at least 8 characters').max(1024);
export const clientSecret = z.string().min(16, 'must be at least 16 characters').max(1024);

/** Input for creating a user (`POST /admin/users`, the first admin, `npm run users`). */
export const newUserSchema = z.strictObject({ username, password, roles });
export type NewUser = z.infer<typeof newUserSchema>;

export const newClientSchema = z.strictObject({ clientId, secret: clientSecret, roles });
export type NewClient = z.infer<typeof newClientSchema>;

/** The body of PUT /admin/users/{username}: the name is in the path. */
export const userCredentialsSchema = z.strictObject({ password, roles });
/** The body of PUT /admin/clients/{clientId}. */
export const clientCredentialsSchema = z.strictObject({ secret: clientSecret, roles });

export interface User {
  /** A UUID; the `sub` of the user's tokens. */
  id: string;
  username: string;
  /** `scrypt$…`, see secrets.ts. */
  passwordHash: string;
  roles: string[];
  createdAt: Date;
}

export interface Client {
  clientId: string;
  secretHash: string;
  roles: string[];
  createdAt: Date;
}

/** What may leave the service about a user or client: everything but the hash. */
export type PublicUser = Omit<User, 'passwordHash'>;
export type PublicClient = Omit<Client, 'secretHash'>;
