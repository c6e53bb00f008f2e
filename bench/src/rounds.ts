/** Arms measured alternately: one window per arm per round, the order rotating so no arm always comes first. */

/** The order of `arms` in round `round`: rotated by one place per round. */
export function roundOrder<T>(arms: readonly T[], round: number): T[] {
  return arms.map((_, i) => arms[(i + round) % arms.length] as T);
}

export type Sampled<T> = T & { arm: string; round: number };

export async function alternate<A extends { name: string }, T>(
  arms: readonly A[],
  rounds: number,
  window: (arm: A, round: number) => Promise<T>,
  progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Sampled<T>[]> {
  const samples: Sampled<T>[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const arm of roundOrder(arms, round)) samples.push({ ...(await window(arm, round)), arm: arm.name, round });
    progress(`round ${round + 1} of ${rounds} done`);
  }
  return samples;
}

/** Per-round figures of sampled windows: one arm's sample of one round, and a figure over all rounds. */
export function perRound<T>(samples: readonly Sampled<T>[], rounds: number) {
  const sampleOf = (arm: string, round: number): Sampled<T> => {
    const sample = samples.find((s) => s.arm === arm && s.round === round);
    if (sample === undefined) throw new Error(`no sample of ${arm} in round ${round}`);
    return sample;
  };
  const overRounds = (figure: (round: number) => number): number[] => Array.from({ length: rounds }, (_, round) => figure(round));
  return { sampleOf, overRounds };
}
