import { sampleLine } from './banner.js';
import type { StartConfig } from './config.js';
import { seedDemoData, type SeedOutcome } from './demo-seed.js';
import { complain, say } from './output.js';
import { waitUntilReady } from './readiness.js';
import type { ServicePorts } from './services.js';

/**
 * Readiness, then the demo data: reported, never fatal. Resolves with what happened to the demo data,
 * or undefined when the system is being stopped meanwhile.
 */
export async function bringUp(config: StartConfig, all: ServicePorts[], stop: AbortSignal): Promise<SeedOutcome | undefined> {
  const late = await waitUntilReady(all, config.readyTimeoutMs, stop);
  if (stop.aborted) return undefined;
  if (late.length > 0) complain(`${late.join('\n')}\nThey keep being supervised; the demo data is tried anyway.`);
  const seed = await seedDemoData(config.seed, all, config.readyTimeoutMs, stop);
  if (stop.aborted) return undefined;
  if (seed.kind === 'loaded') say(`sample: ${await sampleLine(all)}`);
  return stop.aborted ? undefined : seed;
}
