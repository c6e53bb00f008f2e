import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { httpJson, startMariaDb, type MariaDb } from '@cinemetrics/testing';
import { Dataset } from '../src/dataset.js';
import { DEMO_DATASET } from '../src/start.js';
import { freePortBase, interrupt, npmStart, READY_LINE, STOP_TIMEOUT_MS } from './support/npm-start.js';

let db: MariaDb;
before(async () => {
  db = await startMariaDb();
});
after(async () => {
  await db?.dispose();
});

const ADMIN_PASSWORD = 'admin-password-from-env';
const USER_PASSWORD = 'demo-password-from-env';

/** Signs in at the running auth; the Authorization header of the user's token. */
async function signedIn(base: number, username: string, password: string): Promise<Record<string, string>> {
  const answer = await httpJson('POST', `http://127.0.0.1:${base + 4}/tokens`, { username, password });
  assert.equal(answer.status, 200, `${username} signs in: ${JSON.stringify(answer.body)}`);
  return { authorization: `Bearer ${(answer.body as { access_token: string }).access_token}` };
}

/** One `npm start` on the test database: waits until ready, runs `work`, then Ctrl+C. Resolves with its output. */
async function withStart(base: number, work: () => Promise<void>): Promise<string[]> {
  const proc = await npmStart({
    CINEMETRICS_PORT_BASE: String(base),
    MYSQL_URL: db.url,
    LOG_LEVEL: 'warn',
    CINEMETRICS_DEMO_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CINEMETRICS_DEMO_USER_PASSWORD: USER_PASSWORD,
  });
  try {
    await proc.waitForLine(READY_LINE, 120_000);
    await work();
    await interrupt(proc);
    return proc.lines();
  } finally {
    await proc.stop('SIGTERM', STOP_TIMEOUT_MS);
  }
}

test('demo data goes only into an empty database; the demo accounts from CINEMETRICS_DEMO_* work; an edit and a new rating survive two restarts', async () => {
  const base = await freePortBase();
  const metadataUrl = `http://127.0.0.1:${base + 1}/metadata/tt0000001`;
  const ratingUrl = `http://127.0.0.1:${base + 2}/ratings/movie/tt0000001`;
  const seeded = new Dataset(DEMO_DATASET).movie(0);
  const edited = { title: 'Edited After Seeding', year: seeded.year, description: seeded.description, director: seeded.director, actors: seeded.actors };
  let ratingBefore: unknown;

  const first = await withStart(base, async () => {
    assert.equal((await httpJson('PUT', metadataUrl, edited, await signedIn(base, 'admin', ADMIN_PASSWORD))).status, 200);
    assert.equal((await httpJson('PUT', ratingUrl, { value: 1 }, await signedIn(base, 'demo', USER_PASSWORD))).status, 201);
    ratingBefore = (await httpJson('GET', ratingUrl)).body;
  });
  const checksums = await db.query('CHECKSUM TABLE metadata.movies, rating.ratings');

  const restarts: string[][] = [];
  for (const round of [1, 2]) {
    const lines = await withStart(base, async () => {
      const movie = await httpJson('GET', metadataUrl);
      assert.deepEqual(movie.body, { id: seeded.id, ...edited }, `restart ${round}: the edit survived`);
      assert.deepEqual((await httpJson('GET', ratingUrl)).body, ratingBefore, `restart ${round}: demo's rating survived`);
      await signedIn(base, 'demo', USER_PASSWORD);
      await signedIn(base, 'admin', ADMIN_PASSWORD);
    });
    assert.deepEqual(await db.query('CHECKSUM TABLE metadata.movies, rating.ratings'), checksums, `restart ${round} changed no row`);
    restarts.push(lines);
  }
  assert.ok(first.some((line) => line.includes('loaded demo data into the empty database')), first.join('\n'));
  for (const lines of [first, ...restarts]) {
    assert.ok(lines.some((line) => line.includes('demo (no roles), password from CINEMETRICS_DEMO_USER_PASSWORD')), lines.join('\n'));
    assert.ok(!lines.some((line) => line.includes(USER_PASSWORD) || line.includes(ADMIN_PASSWORD)), 'a password from a variable is not printed');
  }
  for (const lines of restarts) {
    assert.ok(
      lines.some((line) => line.includes('database already has data (movie tt0000001): demo data not loaded')),
      `a restart says why nothing was loaded:\n${lines.join('\n')}`,
    );
  }
});
