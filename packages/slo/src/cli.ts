import { parseArgs } from 'node:util';
import path from 'node:path';
import { REPOSITORY_ROOT } from './definitions.js';
import { staleRuleFiles, writeRules } from './generate.js';

const USAGE = `Usage: npm run rules [-- options]
  (no options)          write alerts/*.rules.yml (and the same rules as a PrometheusRule under
                        deploy/kubernetes) from alerts/slos.yaml and ownership.yaml
  --check               only compare: exit 1 when a committed rule file differs from the generator
  --time-scale N        divide every window and \`for\` by N (tests); needs --out
  --out DIR             write the files into DIR instead of alerts/`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.check) {
    const stale = await staleRuleFiles();
    if (stale.length > 0) {
      console.error(`Out of date (run \`npm run rules\`): ${stale.join(', ')}`);
      return 1;
    }
    console.log('alerts/*.rules.yml and the PrometheusRule match alerts/slos.yaml and ownership.yaml');
    return 0;
  }
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (timeScale !== 1 && values.out === undefined) throw new Error('--time-scale needs --out: time-scaled rules never replace the committed ones');
  const written = await writeRules({ timeScale, ...(values.out === undefined ? {} : { outDir: path.resolve(values.out) }) });
  for (const file of written) console.log(`wrote ${path.relative(REPOSITORY_ROOT, file) || file}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(USAGE);
    process.exitCode = 2;
  },
);
