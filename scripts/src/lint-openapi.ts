/**
 * `npm run lint:openapi`: lints the OpenAPI document each service serves (started in memory on free
 * loopback ports) with Redocly's recommended rules (redocly.yaml). Exit code 0 when no rule reports
 * a problem, 1 otherwise. See the README (API).
 */
import '@cinemetrics/kit/node-version';
import { lintDocuments, writeServedDocuments } from './openapi/lint.js';

async function main(): Promise<number> {
  const files = await writeServedDocuments();
  const { code, text } = await lintDocuments(files);
  process.stdout.write(text);
  return code === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
