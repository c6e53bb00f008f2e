/**
 * Every backend's configuration, validated by the binary that runs it (the versions npm run
 * stack:build pins): the collector's own `validate`, promtool, amtool, and Jaeger's start-up.
 */
import assert from 'node:assert/strict';
import { mkdir, cp, symlink } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { freeStackPorts, REPOSITORY_ROOT, runCommand, startStack, stackBinary } from '@cinemetrics/stack';
import { makeTempDir } from '@cinemetrics/testing';

const repo = (...parts: string[]): string => path.join(REPOSITORY_ROOT, ...parts);

const run = async (command: string, args: string[]): Promise<{ code: number | null; output: string }> => {
  const { code, text } = await runCommand(command, args, REPOSITORY_ROOT);
  return { code, output: text };
};

test('otelcol validate: the collector configuration, alone and with tail sampling switched on', async () => {
  const otelcol = await stackBinary('otel-collector', 'otelcol-cinemetrics');
  for (const files of [['config.yaml'], ['config.yaml', 'tail-sampling.yaml']]) {
    const result = await run(otelcol, ['validate', ...files.map((file) => `--config=file:${repo('otel-collector', file)}`)]);
    assert.equal(result.code, 0, `${files.join(' + ')}:\n${result.output}`);
  }
});

test('otelcol validate catches a broken configuration (the check can fail)', async () => {
  const otelcol = await stackBinary('otel-collector', 'otelcol-cinemetrics');
  const result = await run(otelcol, ['validate', `--config=file:${repo('otel-collector', 'config.yaml')}`, '--set=connectors::span_metrics::histogram::unit=fortnights']);
  assert.notEqual(result.code, 0);
});

test('the collector distribution has exactly the components the configuration and docs name', async () => {
  const otelcol = await stackBinary('otel-collector', 'otelcol-cinemetrics');
  const result = await run(otelcol, ['components']);
  assert.equal(result.code, 0, result.output);
  for (const name of ['otlp', 'memory_limiter', 'redaction', 'transform', 'tail_sampling', 'span_metrics', 'service_graph', 'forward', 'otlp_grpc', 'otlp_http', 'health_check']) {
    assert.match(result.output, new RegExp(`name: ${name}\\b`), `component ${name}`);
  }
});

test('promtool check config: prometheus.yml with the local and the compose target lists', async (t) => {
  const promtool = await stackBinary('prometheus', 'promtool');
  const local = await run(promtool, ['check', 'config', repo('prometheus', 'prometheus.yml')]);
  assert.equal(local.code, 0, local.output);
  const dir = await makeTempDir('cinemetrics-compose-layout-');
  t.after(() => dir.remove());
  await mkdir(path.join(dir.path, 'prometheus', 'targets'), { recursive: true });
  await cp(repo('prometheus', 'prometheus.yml'), path.join(dir.path, 'prometheus', 'prometheus.yml'));
  await cp(repo('prometheus', 'targets', 'compose.json'), path.join(dir.path, 'prometheus', 'targets', 'active.json'));
  await symlink(repo('alerts'), path.join(dir.path, 'alerts'));
  const compose = await run(promtool, ['check', 'config', path.join(dir.path, 'prometheus', 'prometheus.yml')]);
  assert.equal(compose.code, 0, compose.output);
});

test('amtool check-config: alertmanager.yml', async () => {
  const amtool = await stackBinary('alertmanager', 'amtool');
  const result = await run(amtool, ['check-config', repo('alertmanager', 'alertmanager.yml')]);
  assert.equal(result.code, 0, result.output);
});

test('every backend starts from the repository configuration and answers its readiness probe', async (t) => {
  const data = await makeTempDir('cinemetrics-stack-configs-');
  const output: string[] = [];
  const stack = await startStack({ ports: await freeStackPorts(), dataDir: data.path, serviceTargets: [], output: (name, line) => output.push(`[${name}] ${line}`) });
  t.after(async () => {
    await stack.stop();
    await data.remove();
  });
  assert.deepEqual(stack.backends.map((backend) => [backend.name, backend.running()]), [
    ['victorialogs', true],
    ['prometheus', true],
    ['alertmanager', true],
    ['jaeger', true],
    ['otel-collector', true],
  ]);
  // Deprecated names or options would be warned about at start-up.
  assert.deepEqual(output.filter((line) => /deprecated/i.test(line)), []);
});
