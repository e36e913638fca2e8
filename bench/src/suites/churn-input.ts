/**
 * The small-block churn both the `churn` and the `profiler` suites replay: 10,000 live blocks of
 * random 8..512 B; step k frees the block in slot `slots[k]` and allocates `sizes[k]` bytes in its
 * place. The streams are generated once per run from the run's seed (no random numbers are drawn
 * in a timed loop) and replayed cyclically.
 */
import { deriveSeed, Random } from '../random.js';

/** Live blocks during churn. */
export const LIVE_BLOCKS = 10_000;
export const MIN_SIZE = 8;
export const MAX_SIZE = 512;
/** Pre-generated steps, replayed cyclically (2 MiB of inputs: far more than the branch predictor learns). */
export const STREAM_LENGTH = 1 << 18;
export const STREAM_MASK = STREAM_LENGTH - 1;
/** Steps per timed call: spreads the timer's own cost (~50 ns) over many steps. */
export const STEPS_PER_CALL = 1000;

/** The inputs every case replays. */
export interface ChurnInput {
  /** Size of each slot's block before the first step. */
  readonly initialSizes: Uint32Array;
  /** Step k frees the block in `slots[k]`... */
  readonly slots: Uint32Array;
  /** ...and allocates `sizes[k]` bytes in its place. */
  readonly sizes: Uint32Array;
}

/** The streams for a run, from the run's seed and the suite's label (each suite its own streams). */
export function churnInput(seed: number, label: string): ChurnInput {
  const random = new Random(deriveSeed(seed, label));
  return {
    initialSizes: random.ints(LIVE_BLOCKS, MIN_SIZE, MAX_SIZE),
    slots: random.ints(STREAM_LENGTH, 0, LIVE_BLOCKS - 1),
    sizes: random.ints(STREAM_LENGTH, MIN_SIZE, MAX_SIZE),
  };
}

/** Fails a case whose allocator returned 0: exhaustion must never write through NULL. */
export function exhausted(suite: string, name: string): never {
  throw new Error(`${suite}: ${name} returned 0 (out of memory)`);
}
