import { Gauge, type Registry, type RegistryContentType } from 'prom-client';

export interface RegisteredGaugeOptions<L extends string> {
  labelNames?: readonly L[];
  aggregator?: 'average' | 'min' | 'max';
  /** Runs before each scrape reads the gauge; one collect may set its sibling gauges too. */
  collect?: (() => void | Promise<void>) | undefined;
}

/** A gauge on `registry` only, as the kit's runtime collectors make theirs. */
export function registeredGauge<L extends string = string>(
  registry: Registry<RegistryContentType>,
  name: string,
  help: string,
  { labelNames, aggregator, collect }: RegisteredGaugeOptions<L> = {},
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    registers: [registry],
    ...(labelNames ? { labelNames } : {}),
    ...(aggregator ? { aggregator } : {}),
    ...(collect ? { collect } : {}),
  });
}
