/**
 * How long a run measures. A mode is only timing and problem size: every mode runs the same
 * code, with the same interleaving, warm-up and seeded inputs.
 */
export type ModeName = 'full' | 'quick' | 'tiny';

export interface Mode {
  readonly name: ModeName;
  /** Interleaved warm-up rounds before measuring; their samples are discarded. */
  readonly warmupRounds: number;
  /** tinybench's warm-up time budget per case per warm-up round, in ms. */
  readonly warmupMs: number;
  /** Interleaved measured rounds: in each, every case runs once for `roundMs`. */
  readonly rounds: number;
  /** tinybench's time budget per case per round, in ms. */
  readonly roundMs: number;
  /** tinybench's minimum samples per case per round (a slow case may overrun `roundMs`). */
  readonly minSamplesPerRound: number;
  /**
   * Fresh processes each suite is measured in, one after the other, every one with the warm-up
   * and rounds above; ratios are the medians of the forks' (see `forks.ts` for why).
   */
  readonly forks: number;
}

export const MODES: Readonly<Record<ModeName, Mode>> = {
  /**
   * The default: five processes of four rounds each, about 30 s per four-case suite. Five forks
   * of four rounds spread farther than one process of twenty: one process's steady state
   * weighs a fifth (see `forks.ts`).
   */
  full: {
    name: 'full',
    warmupRounds: 2,
    warmupMs: 250,
    rounds: 4,
    roundMs: 200,
    minSamplesPerRound: 3,
    forks: 5,
  },
  /** `--quick`: the README's main command and CI's smoke run; a few seconds per suite. */
  quick: {
    name: 'quick',
    warmupRounds: 1,
    warmupMs: 100,
    rounds: 6,
    roundMs: 60,
    minSamplesPerRound: 2,
    forks: 1,
  },
  /** `--tiny`: the tests' mode, a few ms per case; checks that everything runs, figures are noise. */
  tiny: {
    name: 'tiny',
    warmupRounds: 1,
    warmupMs: 1,
    rounds: 2,
    roundMs: 2,
    minSamplesPerRound: 1,
    forks: 1,
  },
};

/** Picks the value for the mode: a suite's problem size per mode. */
export function byMode<T>(mode: ModeName, values: Readonly<Record<ModeName, T>>): T {
  return values[mode];
}
