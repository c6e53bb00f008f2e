import type { Logger } from 'pino';
import { ConfigError, type ServiceEnv } from '../config.js';
import { FaultInjector, UnknownFaultRouteError } from '../faults/injector.js';
import type { Route } from '../http/route.js';

/** The fault injector, with the rules of FAULTS in force; a rule naming no route of the service is a configuration error. */
export function faultsFromEnvironment(env: ServiceEnv, routes: readonly Route[], logger: Logger): FaultInjector {
  const faults = new FaultInjector({ logger, routes });
  if (!env.FAULTS) return faults;
  try {
    faults.replace(env.FAULTS.rules, 'environment');
  } catch (error) {
    if (!(error instanceof UnknownFaultRouteError)) throw error;
    throw new ConfigError(error.problems.map((problem) => `FAULTS.rules.${problem.index}.route: ${problem.message}`));
  }
  return faults;
}
