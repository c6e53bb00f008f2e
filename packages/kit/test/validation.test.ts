import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseInput } from '../src/http/validation.js';
import { ProblemError } from '../src/problem.js';

const body = z.strictObject({ title: z.string().min(1), year: z.int().min(1870), actors: z.array(z.string()).default([]) });

function problemOf(run: () => unknown): ProblemError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ProblemError);
    return error;
  }
  assert.fail('expected a problem');
}

test('names each field with its location, path and rule', () => {
  const problem = problemOf(() => parseInput(body, { year: 1700, actors: ['a', 3], extra: true }, 'body'));
  assert.equal(problem.status, 400);
  assert.deepEqual(
    (problem.extensions['errors'] as Array<{ field: string; rule: string }>).map(({ field, rule }) => ({ field, rule })),
    [
      { field: 'body.title', rule: 'required' },
      { field: 'body.year', rule: 'too_small' },
      { field: 'body.actors[1]', rule: 'invalid_type' },
      { field: 'body.extra', rule: 'unrecognized_key' },
    ],
  );
  assert.match(problem.detail ?? '', /^body\.title: is required \(rule: required\) and 3 more$/);
});

test('a wrong type is not reported as missing', () => {
  const problem = problemOf(() => parseInput(body, { title: 'x', year: '1999' }, 'body'));
  const [first] = problem.extensions['errors'] as Array<{ field: string; rule: string }>;
  assert.deepEqual(first && { field: first.field, rule: first.rule }, { field: 'body.year', rule: 'invalid_type' });
});

test('valid input is returned parsed, with defaults', () => {
  assert.deepEqual(parseInput(body, { title: 'x', year: 1999 }, 'body'), { title: 'x', year: 1999, actors: [] });
});

test('lone surrogates are found at any depth, and a deeply nested value is a 400, not a stack overflow', () => {
  const nested = JSON.parse(`${'{"a":'.repeat(20_000)}"\\ud800"${'}'.repeat(20_000)}`) as unknown;
  const deep = problemOf(() => parseInput(z.strictObject({ a: z.unknown() }), nested, 'body'));
  assert.equal(deep.status, 400);
  const [error] = deep.extensions['errors'] as Array<{ field: string; rule: string }>;
  assert.equal(error?.rule, 'lone_surrogate');
  assert.equal(error?.field, `body${'.a'.repeat(20_000)}`);
  const arrays = JSON.parse(`${'['.repeat(30_000)}${']'.repeat(30_000)}`) as unknown;
  assert.equal(problemOf(() => parseInput(body, arrays, 'body')).status, 400);
});

test('in a flat record, as route parameters and queries are, a lone surrogate in a key or a value is named; a clean one passes', () => {
  const query = z.record(z.string(), z.string());
  for (const [value, field] of [
    [{ q: 'fine', lang: 'a\udfffb' }, 'query.lang'],
    [{ q: 'fine', '\ud800': 'x' }, 'query.\ud800'],
  ] as const) {
    const [error] = problemOf(() => parseInput(query, value, 'query')).extensions['errors'] as Array<{ field: string; rule: string }>;
    assert.deepEqual([error?.field, error?.rule], [field, 'lone_surrogate']);
  }
  assert.deepEqual(parseInput(query, { q: 'fine', emoji: '\ud83d\ude00' }, 'query'), { q: 'fine', emoji: '\ud83d\ude00' });
});
