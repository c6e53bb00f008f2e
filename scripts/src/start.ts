/**
 * `npm start [-- --no-seed]`: runs the four services locally under a supervisor, loads the demo data
 * into an empty database and prints URLs to try. Ends on Ctrl+C, SIGTERM or SIGHUP (every service
 * drained: SIGTERM, SIGKILL after 10 s; exit 0) or when a service rejects its configuration (exit 2).
 * See scripts/README.md.
 */
import '@cinemetrics/kit/node-version';
import { banner } from './start/banner.js';
import { bringUp } from './start/bring-up.js';
import { preflightOrExitCode, runCommand } from './start/command.js';
import { parseStartConfig, USAGE, type StartConfig } from './start/config.js';
import { complain, say } from './start/output.js';
import { assertPortsFree, servicePortUses } from './start/ports.js';
import { supervisorReport, TERMINAL_OUTPUT } from './start/report.js';
import { planIdentities } from './identity/plan.js';
import { assertBuilt, serviceSpecs, servicePorts } from './start/services.js';
import { listenForStop } from './start/stop-signals.js';
import { CONFIGURATION_ERROR_EXIT_CODE, Supervisor } from './start/supervisor.js';

export { DEMO_DATASET } from './start/config.js';
export { SERVICE_NAMES, servicePorts, serviceEnv } from './start/services.js';

/** Checks that must pass before anything is started; undefined when only the usage was asked for. */
async function preflight(argv: string[], env: NodeJS.ProcessEnv): Promise<StartConfig | undefined> {
  const config = parseStartConfig(argv, env);
  if (config === undefined) return undefined;
  planIdentities(env);
  assertBuilt();
  await assertPortsFree(servicePortUses(servicePorts(config.portBase)));
  return config;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const checked = await preflightOrExitCode(() => preflight(argv, env), USAGE);
  if ('exitCode' in checked) return checked.exitCode;
  const { config } = checked;

  const all = servicePorts(config.portBase);
  const identity = planIdentities(env);
  const supervisor = new Supervisor(serviceSpecs(all, env, identity), supervisorReport(TERMINAL_OUTPUT));
  const stop = listenForStop('the services');
  let exitCode = 0;
  const killLeftovers = (): void => supervisor.killAll();
  process.on('exit', killLeftovers);
  void supervisor.configurationRejected.then((name) => {
    if (stop.signal.aborted) return;
    complain(`${name} rejected its configuration (exit code ${CONFIGURATION_ERROR_EXIT_CODE}, its message is above): stopping everything`);
    exitCode = CONFIGURATION_ERROR_EXIT_CODE;
    stop.request();
  });

  say(`starting ${all.map((s) => `${s.name} (:${s.port}, admin :${s.adminPort})`).join(', ')}`);
  supervisor.start();
  const up = await bringUp(config, all, identity, stop.signal);
  if (up !== undefined) say(banner(all, env, up));
  await stop.stopped;

  await supervisor.stop(stop.urgent);
  say(exitCode === 0 ? 'all services stopped' : 'all services stopped after a configuration error');
  stop.dispose();
  process.off('exit', killLeftovers);
  return exitCode;
}

if (require.main === module) runCommand(main);
