/**
 * `npm run loadgen [-- options]`: realistic weighted traffic against the local services, bounded
 * in time, with a summary at the end (loadgen/options.ts lists the options). Ctrl+C stops it early
 * and still prints the summary. Exit codes: 0 done, 2 bad options.
 */
import { getTelemetry } from '@cinemetrics/kit';
import { parseLoadOptions, UsageError, USAGE } from './loadgen/options.js';
import { formatSummary, runLoad } from './loadgen/run.js';
import { SignedInUsers } from './identity/signed-in-users.js';
import { serviceUrls } from './loadgen/scenario.js';

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseLoadOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`loadgen: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const urls = serviceUrls(options.basePort, options.serviceHosts);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  // Started by npm run stack: its IPC channel closes when that command is gone, however it went.
  if (process.channel) process.once('disconnect', () => stop.abort());
  process.stdout.write(
    `loadgen: ${options.ratePerSecond} requests/s for ${options.durationSeconds} s against movie ${urls.movie}, metadata ${urls.metadata}, rating ${urls.rating}\n`,
  );
  const adminToken = process.env[options.adminTokenEnv];
  const users = adminToken ? new SignedInUsers({ url: urls.auth, adminUrl: options.authAdminUrl }, adminToken) : undefined;
  process.stdout.write(
    users
      ? `loadgen: ratings are given by load-user-N users, made through ${options.authAdminUrl} and signed in at ${urls.auth}\n`
      : `loadgen: ${options.adminTokenEnv} is not set: sending reads only (ratings need users made through auth's admin API; see --admin-token-env)\n`,
  );
  const summary = await runLoad(options, urls, stop.signal, users);
  process.stdout.write(`${formatSummary(summary)}\n`);
  await getTelemetry()?.shutdown();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`loadgen: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
