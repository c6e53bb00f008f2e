import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The constant message of every pino call: the last argument, a string literal. */
function loggedMessages(): Map<string, string> {
  const roots = [path.join(REPOSITORY_ROOT, 'packages', 'kit', 'src'), ...['metadata', 'rating', 'movie', 'auth'].map((name) => path.join(REPOSITORY_ROOT, 'services', name, 'src'))];
  const call = /[lL]ogger\.(?:trace|debug|info|warn|error|fatal)\((?:[^;]*?,\s*)?'([^']+)',?\s*\)/g;
  const messages = new Map<string, string>();
  for (const file of roots.flatMap(sourceFiles)) {
    for (const match of readFileSync(file, 'utf8').matchAll(call)) messages.set(match[1] as string, path.relative(REPOSITORY_ROOT, file));
  }
  return messages;
}

test('every message the services log is in the message table of docs/telemetry.md', () => {
  const doc = readFileSync(path.join(REPOSITORY_ROOT, 'docs', 'telemetry.md'), 'utf8');
  const messages = loggedMessages();
  assert.ok(messages.size >= 25, `found ${messages.size} messages`);
  assert.ok(messages.has('request completed') && messages.has('service started'));
  const undocumented = [...messages].filter(([message]) => !doc.includes(`| \`${message}\``) && !doc.includes(` / \`${message}\``));
  assert.deepEqual(undocumented, []);
});
