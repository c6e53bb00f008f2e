import { prepareDemoAccounts, type DemoAccounts } from '../identity/demo-accounts.js';
import type { IdentityPlan } from '../identity/plan.js';
import { sampleLine } from './sample-line.js';
import type { StartConfig } from './config.js';
import { seedDemoData, type SeedOutcome } from './demo-seed.js';
import { complain, say } from './output.js';
import { waitUntilReady } from './readiness.js';
import { localAuth, type ServicePorts } from './services.js';

export interface BroughtUp {
  seed: SeedOutcome;
  accounts: DemoAccounts;
}

/**
 * Readiness, the demo accounts, then the demo data: reported, never fatal. Resolves with what
 * happened, or undefined when the system is being stopped meanwhile.
 */
export async function bringUp(config: StartConfig, all: ServicePorts[], identity: IdentityPlan, stop: AbortSignal): Promise<BroughtUp | undefined> {
  const late = await waitUntilReady(all, config.readyTimeoutMs, stop);
  if (stop.aborted) return undefined;
  if (late.length > 0) complain(`${late.join('\n')}\nThey keep being supervised; the demo data is tried anyway.`);
  const accounts = await prepareDemoAccounts(identity, localAuth(all));
  for (const check of accounts.checks) if (!check.works) complain(`the demo account ${check.account.username} does not work: ${check.reason}`);
  const seed = await seedDemoData(config.seed, all, identity, config.readyTimeoutMs, stop);
  if (stop.aborted) return undefined;
  if (seed.kind === 'loaded') say(`sample: ${await sampleLine(all)}`);
  return stop.aborted ? undefined : { seed, accounts };
}
