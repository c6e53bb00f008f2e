/**
 * `npm run stack [-- options]`: the whole system natively. Builds the telemetry stack if needed, starts
 * the collector, Jaeger, Prometheus, Alertmanager and VictoriaLogs (data and logs under .data/stack),
 * runs the four services under npm start's supervisor exporting to the collector, loads the demo data
 * into an empty database, sends gentle synthetic traffic and prints where to look, and Alertmanager's
 * notifications as they come. Ctrl+C, SIGTERM or
 * SIGHUP stops the load generator, then the services, then the collector and the other backends.
 * See docs/stack.md and scripts/README.md.
 */
import '@cinemetrics/kit/node-version';
import path from 'node:path';
import { BACKEND_COMPONENT_NAMES, BuildError, buildStack, startStack, writeAlertmanagerConfigWithWebhooks, type AlertmanagerWebhook, type BackendProcess, type RunningStack } from '@cinemetrics/stack';
import { planIdentities } from './identity/plan.js';
import { bringUp } from './start/bring-up.js';
import { preflightOrExitCode, runCommand } from './start/command.js';
import { StartError } from './start/config.js';
import { complain, relayLine, say, speakAs } from './start/output.js';
import { assertPortsFree, servicePortUses, type PortUse } from './start/ports.js';
import { supervisorReport } from './start/report.js';
import { assertBuilt, serviceSpecs, servicePorts, type ServicePorts } from './start/services.js';
import { listenForStop, type StopControl } from './start/stop-signals.js';
import { CONFIGURATION_ERROR_EXIT_CODE, Supervisor } from './start/supervisor.js';
import { startAlertPrinter } from './stack/alert-printer.js';
import { stackBanner } from './stack/banner.js';
import { parseStackConfig, USAGE, type StackConfig } from './stack/config.js';
import { forgetRun, recordRun, stopLeftovers } from './stack/leftovers.js';
import { startLoadgen } from './stack/loadgen-process.js';
import { LogFiles } from './stack/log-files.js';
import { stackPorts, stackPortUses, STACK_PORTS_HINT } from './stack/ports.js';

function portUses(config: StackConfig): PortUse[] {
  return [...servicePortUses(servicePorts(config.portBase)), ...stackPortUses(stackPorts(config.stackPortOffset))];
}

/** Options, compiled services, free ports, built stack: all before anything is started. */
async function preflight(argv: string[], env: NodeJS.ProcessEnv): Promise<StackConfig | undefined> {
  const config = parseStackConfig(argv, env);
  if (config === undefined) return undefined;
  planIdentities(env);
  assertBuilt();
  await stopLeftovers(config.dataDir, say);
  await assertPortsFree(portUses(config), STACK_PORTS_HINT);
  try {
    await buildStack(BACKEND_COMPONENT_NAMES, say);
  } catch (error) {
    if (error instanceof BuildError) throw new StartError(`npm run stack:build: ${error.message}`);
    throw error;
  }
  // A build can take many minutes: check again that nothing took a port meanwhile.
  await assertPortsFree(portUses(config), STACK_PORTS_HINT);
  return config;
}

async function startBackends(config: StackConfig, services: ServicePorts[], logs: LogFiles, printer: AlertmanagerWebhook): Promise<RunningStack> {
  say(`starting the collector, Jaeger, Prometheus, Alertmanager and VictoriaLogs (their output goes to ${logs.dir}/<name>.log)`);
  const stack = await startStack({
    ports: stackPorts(config.stackPortOffset),
    // The repository's receivers are placeholders: the notifications come to the printer instead.
    alertmanagerConfig: await writeAlertmanagerConfigWithWebhooks(printer.url, config.dataDir),
    dataDir: config.dataDir,
    serviceTargets: services.map((service) => ({ service: service.name, address: `127.0.0.1:${service.adminPort}` })),
    tailSampling: config.tailSampling,
    output: (component, line) => logs.write(component, line),
    readyTimeoutMs: config.readyTimeoutMs,
  });
  for (const backend of stack.backends) say(`${backend.name} is ready, pid ${backend.child.pid ?? '?'}`);
  await recordRun(config.dataDir, stack.backends);
  return stack;
}

/** Stops in the order that loses nothing: traffic first, then the services drain, then the backends. */
async function shutDown(stop: StopControl, loadgen: BackendProcess | undefined, supervisor: Supervisor, stack: RunningStack, dataDir: string): Promise<void> {
  if (loadgen?.running()) {
    say('stopping the load generator');
    await loadgen.stop();
  }
  await supervisor.stop(stop.urgent);
  say('all services stopped; stopping the collector, then the other backends');
  await Promise.race([stack.stop(), stop.urgent.then(() => killAll(stack.backends))]);
  await forgetRun(dataDir);
  say('the stack is stopped');
}

function killAll(processes: readonly BackendProcess[]): void {
  for (const backend of processes) if (backend.running()) backend.child.kill('SIGKILL');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  speakAs('stack');
  const checked = await preflightOrExitCode(() => preflight(argv, env), USAGE);
  if ('exitCode' in checked) return checked.exitCode;
  const { config } = checked;

  const services = servicePorts(config.portBase);
  const logs = new LogFiles(path.join(config.dataDir, 'logs'));
  const stop = listenForStop('the load generator, the services and the stack');
  let stack: RunningStack;
  let printer: AlertmanagerWebhook | undefined;
  try {
    printer = await startAlertPrinter(stackPorts(config.stackPortOffset).alertPrinter, (line) => relayLine('alerts', line));
    stack = await startBackends(config, services, logs, printer);
  } catch (error) {
    complain(`the stack did not start: ${error instanceof Error ? error.message : String(error)}\nIts output is in ${logs.dir}.`);
    await printer?.close();
    stop.dispose();
    await logs.close();
    return 1;
  }

  const collectorEnv = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.urls.collectorOtlpHttp };
  const identity = planIdentities(env);
  const supervisor = new Supervisor(serviceSpecs(services, collectorEnv, identity), supervisorReport(logs));
  let loadgen: BackendProcess | undefined;
  const killLeftovers = (): void => {
    supervisor.killAll();
    killAll([...stack.backends, ...(loadgen ? [loadgen] : [])]);
  };
  process.on('exit', killLeftovers);
  let exitCode = 0;
  void supervisor.configurationRejected.then((name) => {
    if (stop.signal.aborted) return;
    complain(`${name} rejected its configuration (exit code ${CONFIGURATION_ERROR_EXIT_CODE}; ${logs.whereIs(name)}): stopping everything`);
    exitCode = CONFIGURATION_ERROR_EXIT_CODE;
    stop.request();
  });

  if (!stop.signal.aborted) {
    say(`starting ${services.map((s) => `${s.name} (:${s.port}, admin :${s.adminPort})`).join(', ')}, exporting to ${stack.urls.collectorOtlpHttp}`);
    supervisor.start();
    const up = await bringUp(config, services, identity, stop.signal);
    if (up !== undefined && config.loadgenRate !== undefined) {
      loadgen = startLoadgen({
        ratePerSecond: config.loadgenRate,
        portBase: config.portBase,
        collectorOtlpHttp: stack.urls.collectorOtlpHttp,
        env,
        adminToken: identity.adminToken,
      });
      say(`loadgen started, pid ${loadgen.child.pid ?? '?'}`);
      void loadgen.exited.then((how) => {
        if (!stop.signal.aborted) say(`the load generator ${how === 'exited with code 0' ? 'has finished' : how}; everything else keeps running`);
      });
    }
    if (up !== undefined) {
      say(stackBanner({ config, stack, services, env, up, logDir: logs.dir, ratingPid: supervisor.pid('rating') }));
    }
  }
  await stop.stopped;

  await shutDown(stop, loadgen, supervisor, stack, config.dataDir);
  await printer.close();
  stop.dispose();
  process.off('exit', killLeftovers);
  await logs.close();
  return exitCode;
}

if (require.main === module) runCommand(main);
