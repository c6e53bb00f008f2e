import { setTimeout as delay } from 'node:timers/promises';
import { Dataset, RECORD_TYPE, type Movie, type Rating } from '../dataset.js';
import { DEMO_DATASET, type SeedMode } from './config.js';
import { complain, say } from './output.js';
import { AuthCallError, clientToken } from '../identity/auth-api.js';
import { SEED_CLIENT_ID, type IdentityPlan } from '../identity/plan.js';
import { SignedInUsers } from '../identity/signed-in-users.js';
import { TokenSource } from '../identity/token-source.js';
import { localAuth, localUrl, type ServicePorts } from './services.js';

const SEED_CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 5_000;
const FIRST_RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 2_000;

export type SeedOutcome =
  | { kind: 'skipped' }
  | { kind: 'had-data'; evidence: string }
  | { kind: 'loaded'; seconds: number }
  | { kind: 'failed'; reason: string };

/** One line for the banner saying what happened to the demo data. */
export function describeSeedOutcome(outcome: SeedOutcome): string {
  switch (outcome.kind) {
    case 'skipped':
      return 'seeding skipped (--no-seed or CINEMETRICS_SEED=off)';
    case 'had-data':
      return `database already has data (${outcome.evidence}): demo data not loaded`;
    case 'loaded':
      return (
        `loaded demo data into the empty database: ${DEMO_DATASET.movies} movies and ${DEMO_DATASET.ratings} ratings ` +
        `by ${DEMO_DATASET.users} users through the APIs in ${outcome.seconds.toFixed(1)} s`
      );
    case 'failed':
      return (
        `demo data not loaded: ${outcome.reason}. The services keep running; with MySQL, npm run seed loads ` +
        'a data set explicitly (rows it did load stay, so the next start finds data and leaves it alone)'
      );
  }
}

/** The request could not get a usable answer before the deadline, or got one that retrying cannot change. */
class SeedFailure extends Error {}

interface Answer {
  status: number;
  body: unknown;
}

/** Retries while the services come up or their database is briefly away, until a shared deadline. */
class PatientClient {
  private warned = false;

  constructor(
    private readonly deadline: number,
    private readonly stop: AbortSignal,
  ) {}

  call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    return this.retrying(`${method} ${url}`, () => this.attempt(method, url, body, headers));
  }

  /** A token's Authorization header, signing in again while auth cannot answer; a refusal is a SeedFailure. */
  bearer(source: TokenSource): Promise<Record<string, string>> {
    let call = 'signing in';
    return this.retrying(
      () => call,
      async () => {
        try {
          return await source.headers();
        } catch (error) {
          if (!(error instanceof AuthCallError)) throw error;
          if (!error.retriable) throw new SeedFailure(`signing in for the demo data failed: ${error.message}`);
          call = error.call;
          return error.status === undefined ? 'no answer' : `status ${error.status}`;
        }
      },
    );
  }

  /** Runs `attempt` until it gives a result rather than a problem worth retrying (a string), or the deadline. */
  private async retrying<T extends object>(what: string | (() => string), attempt: () => Promise<T | string>): Promise<T> {
    const describe = typeof what === 'string' ? () => what : what;
    for (let retry = 0; ; retry += 1) {
      const problem = await attempt();
      if (typeof problem !== 'string') return problem;
      if (this.stop.aborted) throw new SeedFailure('stopped');
      const wait = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.min(retry, 10));
      if (Date.now() + wait > this.deadline) throw new SeedFailure(`${describe()} still gave ${problem} when the time for seeding ran out`);
      if (!this.warned) {
        this.warned = true;
        complain(`demo data: ${describe()} gave ${problem}; retrying while the services recover`);
      }
      await delay(wait, undefined, { signal: this.stop }).catch(() => undefined);
    }
  }

  /** The answer, or a description of a failure worth retrying (no answer, 429, 5xx). */
  private async attempt(method: string, url: string, body: unknown, headers: Record<string, string>): Promise<Answer | string> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.stop]),
      });
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      return cause instanceof Error && 'code' in cause ? String(cause.code) : error instanceof Error ? error.message : String(error);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 429 || response.status >= 500) return `status ${response.status}`;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the error message.
    }
    return { status: response.status, body: parsed };
  }
}

function expectStatus(answer: Answer, allowed: number[], what: string): void {
  if (!allowed.includes(answer.status)) {
    throw new SeedFailure(`${what} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  }
}

async function forEachConcurrently<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** What shows the database is not empty: any movie, or a rating of any demo movie; undefined when empty. */
async function existingData(client: PatientClient, all: ServicePorts[], dataset: Dataset): Promise<string | undefined> {
  const page = await client.call('GET', `${localUrl(all, 'metadata')}/metadata?limit=1`);
  expectStatus(page, [200], 'GET /metadata');
  const first = (page.body as { items?: { id?: string }[] }).items?.[0];
  if (first !== undefined) return `movie ${first.id ?? '?'}`;
  let rated: string | undefined;
  await forEachConcurrently(dataset.movies(), SEED_CONCURRENCY, async ({ id }: Movie) => {
    if (rated !== undefined) return;
    const ratings = await client.call('GET', `${localUrl(all, 'rating')}/ratings/${RECORD_TYPE}/${encodeURIComponent(id)}`);
    expectStatus(ratings, [200, 404], `GET /ratings/${RECORD_TYPE}/${id}`);
    if (ratings.status === 200) rated = `ratings of ${id}`;
  });
  return rated;
}

/** The data set's user00001… rate as the users demo-rater-1…, whose ids auth assigns. */
export function raterUsername(userId: string): string {
  return `demo-rater-${Number(userId.replace(/^\D+/, ''))}`;
}

/**
 * Signs in like any client: the `seed` client (role admin, from AUTH_CLIENTS) for the metadata, and
 * each rater as a user of its own.
 */
class SeedIdentities {
  readonly seedClient: TokenSource;
  private readonly users: SignedInUsers;

  constructor(all: ServicePorts[], plan: IdentityPlan) {
    const auth = localAuth(all);
    this.seedClient = new TokenSource(() => clientToken(auth.url, SEED_CLIENT_ID, plan.seedSecret));
    this.users = new SignedInUsers(auth, plan.adminToken);
  }

  rater(userId: string): TokenSource {
    return this.users.user(raterUsername(userId));
  }
}

/** Loads the demo data set through the public APIs: PUT /metadata/{id} as the seed client, PUT /ratings/movie/{id} as each rater. */
async function load(client: PatientClient, all: ServicePorts[], dataset: Dataset, identities: SeedIdentities): Promise<void> {
  await forEachConcurrently(dataset.movies(), SEED_CONCURRENCY, async ({ id, ...fields }: Movie) => {
    const url = `${localUrl(all, 'metadata')}/metadata/${encodeURIComponent(id)}`;
    const answer = await client.call('PUT', url, fields, await client.bearer(identities.seedClient));
    expectStatus(answer, [200, 201], `PUT /metadata/${id}`);
  });
  await forEachConcurrently(dataset.ratings(), SEED_CONCURRENCY, async (rating: Rating) => {
    const path = `/ratings/${RECORD_TYPE}/${encodeURIComponent(rating.recordId)}`;
    const answer = await client.call('PUT', `${localUrl(all, 'rating')}${path}`, { value: rating.value }, await client.bearer(identities.rater(rating.userId)));
    expectStatus(answer, [200, 201], `PUT ${path}`);
  });
}

/**
 * Loads the demo data only into an empty database, never over existing rows. Failures are retried
 * until timeoutMs has passed, then reported in the outcome: seeding never stops the services.
 */
export async function seedDemoData(
  mode: SeedMode,
  all: ServicePorts[],
  identity: IdentityPlan,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<SeedOutcome> {
  if (mode === 'off') return { kind: 'skipped' };
  const client = new PatientClient(Date.now() + timeoutMs, stop);
  const dataset = new Dataset(DEMO_DATASET);
  try {
    const evidence = await existingData(client, all, dataset);
    if (evidence !== undefined) return { kind: 'had-data', evidence };
    say('the database is empty: loading the demo data through the APIs');
    const started = performance.now();
    await load(client, all, dataset, new SeedIdentities(all, identity));
    return { kind: 'loaded', seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    if (!(error instanceof SeedFailure)) throw error;
    return { kind: 'failed', reason: error.message };
  }
}
