import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';

const root = (...parts: string[]): string => path.join(REPOSITORY_ROOT, ...parts);
const PROMISE_RULES = ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises'];
const ERROR = 2;
/** Outside every workspace's sources, so only the snippet's own default project sees it. */
const SNIPPET = 'eslint-rules-snippet.ts';

describe('eslint (npm run lint)', () => {
  const eslint = new ESLint({ cwd: REPOSITORY_ROOT });

  // In this process rather than as `eslint .`, so the last test reuses the type-checked program. Type-
  // checking the whole repository is the heaviest single test: on a machine shared with other work it can
  // take many times its usual half minute, past the runner's default bound.
  test('finds no problem in the repository', { timeout: 600_000 }, async () => {
    const results = await eslint.lintFiles(['.']);
    const problems = results.filter(({ errorCount, warningCount }) => errorCount + warningCount > 0);
    const report = await (await eslint.loadFormatter('stylish')).format(problems);
    assert.equal(problems.length, 0, report);
    assert.ok(results.length > 300, `only ${results.length} files linted`);
  });

  test("checks every workspace's TypeScript with the type-aware rules, the promise rules as errors; never dist", async () => {
    const linted = [
      root('packages', 'kit', 'src', 'index.ts'),
      root('services', 'movie', 'test', 'movie.http.test.ts'),
      root('scripts', 'src', 'start.ts'),
      root('tests', 'telemetry', 'log-messages.test.ts'),
      root('bench', 'src', 'overhead.ts'),
      root('grafana', 'src', 'cli.ts'),
    ];
    for (const file of linted) {
      assert.equal(await eslint.isPathIgnored(file), false, file);
      const { rules = {} } = (await eslint.calculateConfigForFile(file)) as { rules?: Record<string, unknown[]> };
      for (const rule of [...PROMISE_RULES, '@typescript-eslint/await-thenable', '@typescript-eslint/no-unsafe-return']) {
        assert.equal(rules[rule]?.[0], ERROR, `${rule} in ${file}`);
      }
    }
    assert.equal(await eslint.isPathIgnored(root('services', 'movie', 'dist', 'src', 'main.js')), true);
  });

  test('reports a dropped promise and a promise where a callback must return nothing', async () => {
    // The repository's rules on a file of its own, type-checked alone (a default project: the snippet and
    // Node's types), not as a changed copy of a file the whole-repository program already holds.
    const snippetLinter = new ESLint({
      cwd: REPOSITORY_ROOT,
      overrideConfig: {
        languageOptions: {
          parserOptions: { project: null, projectService: { allowDefaultProject: [SNIPPET], defaultProject: 'tsconfig.base.json' }, tsconfigRootDir: REPOSITORY_ROOT },
        },
      },
    });
    const source = [
      "import { EventEmitter } from 'node:events';",
      'function work(): Promise<void> {',
      '  return Promise.resolve();',
      '}',
      'work();',
      'new EventEmitter().on("event", async () => work());',
      '',
    ].join('\n');
    const [result] = await snippetLinter.lintText(source, { filePath: root(SNIPPET) });
    assert.deepEqual(
      result?.messages.map(({ ruleId, line }) => [ruleId, line]),
      PROMISE_RULES.map((rule, index) => [rule, index + 5]),
    );
  });
});
