/**
 * `npm start [-- --no-seed]`: runs the four services locally under a supervisor, loads the demo data
 * into an empty database and prints URLs to try. Ends on Ctrl+C, SIGTERM or SIGHUP (every service
 * drained: SIGTERM, SIGKILL after 10 s; exit 0) or when a service rejects its configuration (exit 2).
 * See scripts/README.md.
 */
import '@cinemetrics/kit/node-version';
import { banner, sampleLine } from './start/banner.js';
import { parseStartConfig, StartError, USAGE, type StartConfig } from './start/config.js';
import { seedDemoData } from './start/demo-seed.js';
import { complain, prefixLines, say } from './start/output.js';
import { assertPortsFree } from './start/ports.js';
import { waitUntilReady } from './start/readiness.js';
import { assertBuilt, serviceSpecs, servicePorts, type ServicePorts } from './start/services.js';
import { CONFIGURATION_ERROR_EXIT_CODE, Supervisor, type SupervisorListener } from './start/supervisor.js';

export { DEMO_DATASET } from './start/config.js';
export { SERVICE_NAMES, servicePorts, serviceEnv } from './start/services.js';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** A stop signal repeated within this window is the same request delivered twice, not "kill at once". */
const SAME_SIGNAL_WINDOW_MS = 1_000;

/** Turns what the supervisor reports into tagged lines. */
const reportToConsole: SupervisorListener = {
  spawned(child, spec, restart) {
    prefixLines(child.stdout, spec.name, process.stdout);
    prefixLines(child.stderr, spec.name, process.stderr);
    say(`${spec.name} ${restart === 0 ? 'started' : 'restarted'}, pid ${child.pid ?? '?'}`);
  },
  exitedUnexpectedly(name, how) {
    complain(`${name} ${how} unexpectedly`);
  },
  restarting(name, delayMs, restart, maxRestarts) {
    complain(`restarting ${name} in ${delayMs / 1000} s (restart ${restart} of at most ${maxRestarts} in a row); the other services keep running`);
  },
  gaveUp(name, restarts) {
    complain(`${name} is crash-looping: it exited again after ${restarts} restarts in a row, so it is given up. The other services keep running; its output is above. Ctrl+C stops everything.`);
  },
  forceKilled(name, reason, stopTimeoutMs) {
    complain(`${name} ${reason === 'timeout' ? `did not stop within ${stopTimeoutMs / 1000} s` : 'is being killed'}; sending SIGKILL`);
  },
};

/** Checks that must pass before anything is started; undefined when only the usage was asked for. */
async function preflight(argv: string[], env: NodeJS.ProcessEnv): Promise<StartConfig | undefined> {
  const config = parseStartConfig(argv, env);
  if (config === undefined) return undefined;
  assertBuilt();
  await assertPortsFree(servicePorts(config.portBase));
  return config;
}

/** Readiness, demo data, banner: reported, never fatal; cut short when the system is being stopped. */
async function bringUp(config: StartConfig, all: ServicePorts[], env: NodeJS.ProcessEnv, stop: AbortSignal): Promise<void> {
  const late = await waitUntilReady(all, config.readyTimeoutMs, stop);
  if (stop.aborted) return;
  if (late.length > 0) complain(`${late.join('\n')}\nThey keep being supervised; the demo data is tried anyway.`);
  const seed = await seedDemoData(config.seed, all, config.readyTimeoutMs, stop);
  if (stop.aborted) return;
  if (seed.kind === 'loaded') say(`sample: ${await sampleLine(all)}`);
  if (stop.aborted) return;
  say(banner(all, env, seed));
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: StartConfig | undefined;
  try {
    config = await preflight(argv, env);
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    complain(error.message);
    return error.exitCode;
  }
  if (config === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const all = servicePorts(config.portBase);
  const supervisor = new Supervisor(serviceSpecs(all, env), reportToConsole);
  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  let urgent: () => void = () => undefined;
  const urgentStop = new Promise<void>((resolve) => {
    urgent = resolve;
  });
  let exitCode = 0;

  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt !== undefined) {
      // One Ctrl+C can arrive twice: from the terminal and forwarded by npm.
      if (Date.now() - firstSignalAt >= SAME_SIGNAL_WINDOW_MS) urgent();
      return;
    }
    firstSignalAt = Date.now();
    if (process.stdout.isTTY === true) process.stdout.write('\n'); // past the ^C the terminal echoed
    say(`${signal}: stopping the services (again, a second later, to kill them at once)`);
    stop.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const killLeftovers = (): void => supervisor.killAll();
  process.on('exit', killLeftovers);
  void supervisor.configurationRejected.then((name) => {
    if (stop.signal.aborted) return;
    complain(`${name} rejected its configuration (exit code ${CONFIGURATION_ERROR_EXIT_CODE}, its message is above): stopping everything`);
    exitCode = CONFIGURATION_ERROR_EXIT_CODE;
    stop.abort();
  });

  say(`starting ${all.map((s) => `${s.name} (:${s.port}, admin :${s.adminPort})`).join(', ')}`);
  supervisor.start();
  await bringUp(config, all, env, stop.signal);
  await stopped;

  await supervisor.stop(urgentStop);
  say(exitCode === 0 ? 'all services stopped' : 'all services stopped after a configuration error');
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  process.off('exit', killLeftovers);
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      complain(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
