/** Where burnCpu's arithmetic goes, so the loop has an observable effect and is not optimised away. */
let sink = 0;

/**
 * The CPU-burn fault: a synchronous busy loop of `milliseconds` on the event loop. Its name is a
 * contract: a CPU profile taken while the fault is on shows `burnCpu` as the hottest function
 * (docs/profiling.md). The clock is read once per batch of arithmetic, so the samples land in this
 * function rather than in the clock call.
 */
export function burnCpu(milliseconds: number): number {
  const deadline = performance.now() + milliseconds;
  let value = sink;
  do {
    for (let i = 0; i < 20_000; i += 1) value = (value * 1_103_515_245 + 12_345 + i) % 2_147_483_648;
  } while (performance.now() < deadline);
  sink = value;
  return value;
}
