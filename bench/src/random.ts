/**
 * A tiny seeded PRNG, so every peer of a suite gets exactly the same inputs, run after run.
 *
 * mulberry32 (Tommy Ettinger's 32-bit generator): one 32-bit state word, period 2^32, good
 * enough statistical quality for generating benchmark inputs, and a few integer operations per
 * number. Inputs are generated up front into typed arrays, so the generator never runs inside
 * a timed loop.
 */
/** The seed of a run unless `--seed` says otherwise, so runs are comparable with each other. */
export const DEFAULT_SEED = 0x5eed_1234;

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `count` integers in [min, max], both inclusive. */
  ints(count: number, min: number, max: number): Uint32Array {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.int(min, max);
    return out;
  }
}

/**
 * Derives an independent seed for one input stream from the run's seed and a label, so that
 * adding a stream to a suite does not shift the numbers of the others.
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed.
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
