import assert from 'node:assert/strict';
import { glob, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';

const SOURCES = ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'scripts/src/**/*.ts'];

/**
 * `x._name` or `x?._name`, and `_name:` declared in a type: how code reaches into another library's
 * private state (`ctx._matchedRoute`, a pool's `_freeConnections`). zod's `_zod` is the interface zod
 * documents for libraries that read schemas, so it is allowed.
 */
const PRIVATE_MEMBER = /(?<=[\w)\]?])\._(?!zod\b)[A-Za-z]\w*|^\s*_[A-Za-z]\w*\??:/gm;

test("no source reaches into a dependency's private members (names starting with _)", async () => {
  const found: string[] = [];
  for await (const file of glob(SOURCES, { cwd: REPOSITORY_ROOT })) {
    const text = await readFile(`${REPOSITORY_ROOT}/${file}`, 'utf8');
    for (const match of text.matchAll(PRIVATE_MEMBER)) {
      const line = text.slice(0, match.index).split('\n').length;
      found.push(`${file}:${line}: ${match[0].trim()}`);
    }
  }
  assert.deepEqual(found, [], 'use the library’s public interface, or ask its maintainers for one');
});
