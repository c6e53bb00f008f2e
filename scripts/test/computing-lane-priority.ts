/**
 * Preloaded into every test file of `npm test`'s computing lane (run-tests.ts): the file's process,
 * and every process it starts, run at a lower scheduling priority than the waiting lane's. When both
 * lanes want the cores, the waiting lane's few busy moments — a half-second Prometheus scrape, twenty
 * calls at once against a token's lifetime — come first, and the computing lane takes the rest, which
 * is most of the time. Lowering one's own priority needs no privilege.
 */
import { getPriority, setPriority } from 'node:os';

const COMPUTING_LANE_NICENESS = 10;

if (getPriority() < COMPUTING_LANE_NICENESS) setPriority(COMPUTING_LANE_NICENESS);
