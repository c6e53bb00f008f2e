// `npm run lint` (and `npm test`, scripts/test/eslint.test.ts): typescript-eslint's type-aware
// recommended rules on every workspace's TypeScript, with unhandled and misused promises as errors.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', '.tmp/', '.data/'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // One program for every workspace (tsc -b's options, workspaces mapped to their sources): each file's
      // types are worked out once, not again in every workspace program that imports it.
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's runner awaits the suites and tests these declare; their promises are for nesting only.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'suite', 'test', 'it'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Leaving keys out with a rest pattern ({ secret: _secret, ...rest }) is how the code copies an object without them.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // The kit loads only the chosen protocol's OTLP exporter (and B3 only when named), synchronously, when telemetry
      // starts, the MySQL driver only when a database is opened (the in-memory store never loads it), pino-pretty only for a terminal.
      // The body parser is loaded on the first request it would parse (http/body-parser.ts), undici with the first downstream
      // client (client/undici.ts). @cinemetrics/testing loads jose, protobufjs and grpc-js only for the tests that make
      // tokens or receive OTLP.
      '@typescript-eslint/no-require-imports': [
        'error',
        {
          allow: [
            '^@opentelemetry/exporter-(trace|logs)-otlp-(proto|http|grpc)$',
            '^@opentelemetry/propagator-b3$',
            '^mysql2/promise$',
            '^pino-pretty$',
            '^@koa/bodyparser$',
            '^undici$',
            '^jose$',
            '^otlp-transformer-protobufjs/build/src/generated/root$',
            '^\\./otlp-grpc-listener\\.js$',
          ],
        },
      ],
    },
  },
  {
    // What runs in the services: AbortSignal.timeout's timer keeps the async context it was started in (a
    // request's scope and spans) until the signal is garbage-collected; timeoutSignal lets go when the work ends.
    files: ['packages/kit/src/**/*.ts', 'packages/telemetry/src/**/*.ts', 'services/*/src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'AbortSignal', property: 'timeout', message: "Use the kit's timeoutSignal(ms, parent?) and clear() it once the work has ended." },
      ],
    },
  },
);
