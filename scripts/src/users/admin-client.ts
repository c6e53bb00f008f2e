import { AuthCallError, callAuth } from '../identity/auth-api.js';

/** Failures of an admin call, worded for the person at the terminal. */
export class AdminCallError extends Error {
  override name = 'AdminCallError';
}

/** POSTs JSON to the auth admin port with the admin token; returns the parsed answer or throws AdminCallError. */
export async function postAdmin(baseUrl: string, adminToken: string | undefined, path: string, body?: unknown): Promise<unknown> {
  if (adminToken === undefined || adminToken === '') throw new AdminCallError('ADMIN_TOKEN is not set: export the admin token the auth service was started with');
  try {
    return await callAuth(`POST ${path}`, `${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (error) {
    if (!(error instanceof AuthCallError)) throw error;
    throw new AdminCallError(forTheTerminal(error, baseUrl));
  }
}

function forTheTerminal(error: AuthCallError, baseUrl: string): string {
  switch (error.status) {
    case undefined:
      return `auth is not reachable at ${baseUrl} (${error.message}): is it running (npm start)? AUTH_ADMIN_URL sets its admin address`;
    case 401:
      return 'the admin token was refused (401): ADMIN_TOKEN must be the one auth was started with';
    case 403:
      return `admin endpoints are closed (403): ${error.message}`;
    case 409:
      return `already exists (409): ${error.message}`;
    default:
      return error.message;
  }
}
