import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { createLogger, DependencyUnavailableError, DownstreamUnavailableError, runWithDeadline, toProblem } from '@cinemetrics/kit';
import { MovieController, MovieNotFoundError } from '../src/controller.js';
import type { MetadataGateway, RatingGateway } from '../src/gateway/gateway.js';
import { GatewayNotFoundError } from '../src/gateway/errors.js';
import type { Metadata, RatingSummary } from '../src/model.js';

const alien: Metadata = {
  id: 'alien-1979',
  title: 'Alien',
  year: 1979,
  description: 'In space no one can hear you scream.',
  director: 'Ridley Scott',
  actors: ['Sigourney Weaver'],
};

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A gateway whose every call waits until the test settles it, and which records what it was asked. */
class FakeMetadata implements MetadataGateway {
  readonly calls: string[] = [];
  readonly pending: Deferred<Metadata>[] = [];

  getMetadata(id: string): Promise<Metadata> {
    this.calls.push(id);
    const call = deferred<Metadata>();
    this.pending.push(call);
    return call.promise;
  }
}

class FakeRating implements RatingGateway {
  readonly calls: string[] = [];
  readonly pending: Deferred<RatingSummary | null>[] = [];

  getMovieRating(id: string): Promise<RatingSummary | null> {
    this.calls.push(id);
    const call = deferred<RatingSummary | null>();
    this.pending.push(call);
    return call.promise;
  }
}

/** Gateways that answer at once with the given outcomes (a value, or an Error to reject with). */
function immediate(metadata: Metadata | Error, rating: RatingSummary | null | Error) {
  const metadataGateway: MetadataGateway = {
    getMetadata: () => (metadata instanceof Error ? Promise.reject(metadata) : Promise.resolve(structuredClone(metadata))),
  };
  const ratingGateway: RatingGateway = {
    getMovieRating: () => (rating instanceof Error ? Promise.reject(rating) : Promise.resolve(rating)),
  };
  return { metadataGateway, ratingGateway };
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'movie',
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

function controllerWith(metadata: Metadata | Error, rating: RatingSummary | null | Error) {
  const { metadataGateway, ratingGateway } = immediate(metadata, rating);
  const { logger, lines } = capturingLogger();
  return { controller: new MovieController(metadataGateway, ratingGateway, logger), lines };
}

describe('MovieController.getMovieDetails', () => {
  test('starts the metadata and the rating call before either has answered', async () => {
    const metadata = new FakeMetadata();
    const rating = new FakeRating();
    const controller = new MovieController(metadata, rating, capturingLogger().logger);

    const details = controller.getMovieDetails('alien-1979');
    await tick();
    // Neither fake has been settled yet, so a sequential implementation could not have reached the second.
    assert.equal(metadata.calls.length, 1, 'metadata requested');
    assert.equal(rating.calls.length, 1, 'rating requested while metadata is still pending');
    assert.deepEqual(metadata.calls, ['alien-1979']);
    assert.deepEqual(rating.calls, ['alien-1979']);

    // Settle them in the opposite order to the one a sequential implementation would await.
    rating.pending[0]?.resolve({ average: 4.5, count: 2 });
    await tick();
    metadata.pending[0]?.resolve(alien);
    assert.deepEqual(await details, { metadata: alien, rating: { average: 4.5, count: 2 }, degraded: [] });
  });

  test('waits for the slower call: the answer does not come before the rating is known', async () => {
    const metadata = new FakeMetadata();
    const rating = new FakeRating();
    const controller = new MovieController(metadata, rating, capturingLogger().logger);
    let settled = false;
    const details = controller.getMovieDetails('alien-1979').then((value) => {
      settled = true;
      return value;
    });
    await tick();
    metadata.pending[0]?.resolve(alien);
    await tick();
    assert.equal(settled, false, 'answered before the rating call settled');
    rating.pending[0]?.resolve(null);
    assert.deepEqual(await details, { metadata: alien, rating: null, degraded: [] });
  });

  test('joins metadata and the aggregate rating', async () => {
    const { controller, lines } = controllerWith(alien, { average: 3, count: 2 });
    assert.deepEqual(await controller.getMovieDetails('alien-1979'), {
      metadata: alien,
      rating: { average: 3, count: 2 },
      degraded: [],
    });
    assert.equal(lines.filter((line) => line['level'] === 'warn').length, 0);
  });

  test('no ratings yet → rating null and nothing degraded', async () => {
    const { controller, lines } = controllerWith(alien, null);
    assert.deepEqual(await controller.getMovieDetails('alien-1979'), { metadata: alien, rating: null, degraded: [] });
    assert.equal(lines.filter((line) => line['level'] === 'warn').length, 0);
  });

  test('metadata not found → MovieNotFoundError, whatever the rating outcome', async () => {
    for (const rating of [null, { average: 5, count: 1 }, new DownstreamUnavailableError('rating', 'bad_answer', 'status 500')]) {
      const { controller } = controllerWith(new GatewayNotFoundError('metadata', 'metadata for this movie'), rating);
      await assert.rejects(controller.getMovieDetails('nope'), (error: unknown) => {
        assert.ok(error instanceof MovieNotFoundError);
        assert.equal(error.message, 'movie metadata not found');
        assert.equal(error.id, 'nope');
        return true;
      });
    }
  });

  test('metadata unavailable → the outage itself, answered as a 503 problem naming the metadata service', async () => {
    const outage = new DownstreamUnavailableError('metadata', 'connection', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
    for (const rating of [null, { average: 5, count: 1 }, new DownstreamUnavailableError('rating', 'bad_answer', 'status 500')]) {
      const { controller } = controllerWith(outage, rating);
      await assert.rejects(controller.getMovieDetails('alien-1979'), (error: unknown) => {
        assert.equal(error, outage);
        const problem = toProblem(error);
        assert.ok(problem instanceof DependencyUnavailableError);
        assert.equal(problem.status, 503);
        assert.equal(problem.dependency, 'metadata service');
        assert.equal(problem.cause, outage);
        return true;
      });
    }
  });

  test('an unexpected metadata failure is not disguised as an outage', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    const { controller } = controllerWith(bug, null);
    await assert.rejects(controller.getMovieDetails('alien-1979'), (error: unknown) => error === bug);
  });

  test('rating unavailable → still answered, rating null, degraded ["rating"], warning with the reason', async () => {
    const { controller, lines } = controllerWith(alien, new DownstreamUnavailableError('rating', 'timeout', 'no answer within 1000 ms'));
    assert.deepEqual(await runWithDeadline(5_000, () => controller.getMovieDetails('alien-1979'), { requestId: 'req-7' }), {
      metadata: alien,
      rating: null,
      degraded: ['rating'],
    });
    const warnings = lines.filter((line) => line['level'] === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.['msg'], 'rating unavailable; answering without it');
    assert.equal(warnings[0]?.['reason'], 'no answer within 1000 ms');
    assert.equal(warnings[0]?.['movie_id'], 'alien-1979');
    assert.equal(warnings[0]?.['dependency'], 'rating');
    assert.equal(warnings[0]?.['request_id'], 'req-7');
  });

  test('any rating failure degrades, even an unexpected one', async () => {
    const { controller, lines } = controllerWith(alien, new RangeError('bad aggregate'));
    assert.deepEqual(await controller.getMovieDetails('alien-1979'), { metadata: alien, rating: null, degraded: ['rating'] });
    assert.equal(lines.find((line) => line['level'] === 'warn')?.['reason'], 'bad aggregate');
  });
});
