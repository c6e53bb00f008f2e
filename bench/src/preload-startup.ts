/**
 * bench/preload-startup: what the telemetry preload alone costs a process at start — modules loaded and
 * CPU time of `node --require @cinemetrics/telemetry/register -e 0` (exporting to a closed loopback
 * port, so the trace exporter is built as in a service with a collector) — for this tree and, with
 * `--baseline <built checkout>`, for another one, alternating run after run.
 *
 *   npm run bench:preload [-- --runs 15 --baseline /path/to/another/checkout]
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';
import { numberOption, readCommandLine, textOption } from './options.js';
import { quartiles } from './spread.js';

const { runs, baseline } = readCommandLine({ runs: numberOption(15, { min: 1, max: 1000 }), baseline: textOption() });

/** Printed by the measured process as it exits: what it loaded and the CPU it used, all threads. */
const REPORT = `process.on('exit', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ modules: Object.keys(require.cache).length, cpuMs: (cpu.user + cpu.system) / 1000 }));
});`;

interface Sample {
  modules: number;
  cpuMs: number;
}

function measure(root: string): Sample {
  const preload = path.join(root, 'packages/telemetry/dist/src/register.js');
  const output = execFileSync(process.execPath, ['--require', preload, '-e', REPORT], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', OTEL_SERVICE_NAME: 'preload-bench', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' },
  });
  return JSON.parse(output) as Sample;
}

const trees: Array<[string, string]> = [['this tree', REPOSITORY_ROOT]];
if (baseline) trees.push(['baseline', path.resolve(baseline)]);
const samples = new Map<string, Sample[]>(trees.map(([name]) => [name, []]));
for (let run = 0; run < runs; run += 1) {
  for (const [name, root] of run % 2 === 0 ? trees : [...trees].reverse()) samples.get(name)?.push(measure(root));
}

console.log(`${runs} runs each, Node ${process.version}`);
console.log('| tree | modules loaded | CPU ms (q1–median–q3) |');
console.log('|---|---:|---:|');
for (const [name, list] of samples) {
  const [q1, median, q3] = quartiles(list.map((sample) => sample.cpuMs));
  const modules = [...new Set(list.map((sample) => sample.modules))].join(', ');
  console.log(`| ${name} | ${modules} | ${q1.toFixed(0)}–${median.toFixed(0)}–${q3.toFixed(0)} |`);
}
