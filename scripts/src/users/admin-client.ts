/** Failures of an admin call, worded for the person at the terminal. */
export class AdminCallError extends Error {
  override name = 'AdminCallError';
}

interface Problem {
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** POSTs JSON to the auth admin port with the admin token; returns the parsed answer or throws AdminCallError. */
export async function postAdmin(baseUrl: string, adminToken: string | undefined, path: string, body?: unknown): Promise<unknown> {
  if (adminToken === undefined || adminToken === '') throw new AdminCallError('ADMIN_TOKEN is not set: export the admin token the auth service was started with');
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new AdminCallError(`auth is not reachable at ${baseUrl} (${reason}): is it running (npm start)? AUTH_ADMIN_URL sets its admin address`);
  }
  const text = await response.text();
  const answer = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (response.ok) return answer;
  const problem = (answer ?? {}) as Problem;
  const detail = problem.errors?.map((error) => `${error.field}: ${error.message}`).join('; ') || problem.detail || text;
  switch (response.status) {
    case 401:
      throw new AdminCallError('the admin token was refused (401): ADMIN_TOKEN must be the one auth was started with');
    case 403:
      throw new AdminCallError(`admin endpoints are closed (403): ${detail}`);
    case 409:
      throw new AdminCallError(`already exists (409): ${detail}`);
    default:
      throw new AdminCallError(`auth answered ${response.status}: ${detail}`);
  }
}
