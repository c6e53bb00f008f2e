/**
 * movie's settings for files about something other than timeouts: on a machine busy with the rest of
 * the suite, movie's calls (cold services, the first token and key fetches) may take longer than the
 * one-second attempt a production movie allows metadata, and a 503 for that would hide what the file
 * asserts.
 */
export const PATIENT_MOVIE_ENV: Readonly<Record<string, string>> = { DOWNSTREAM_TIMEOUT_MS: '10000', REQUEST_DEADLINE_MS: '30000' };
