/**
 * Poisson sampling by bytes, as tcmalloc and V8's sampling heap profiler do: sample points fall
 * on the stream of allocated bytes with exponentially distributed gaps of mean `interval`, and a
 * block is sampled when a point falls inside it. A block of `s` bytes is then sampled with
 * probability `p(s) = 1 - exp(-s / interval)`, independently of every other block (the
 * exponential distribution is memoryless), so weighting a sampled block by `1 / p(s)` makes
 *
 *     Σ over sampled blocks of 1 / p(s)      an unbiased estimate of the number of blocks
 *     Σ over sampled blocks of s / p(s)      an unbiased estimate of their bytes
 *
 * for any group of blocks (a file, a line, a traceback): E[1{sampled} / p] = 1 per block. Large
 * blocks are almost always sampled (weight ≈ 1); a block of `interval / 100` bytes about once in
 * a hundred (weight ≈ 100). Blocks of 0 bytes are never sampled.
 *
 * The gaps come from a seeded xorshift128+ generator, so a run is reproducible.
 */

/**
 * The sampler of a `Profiler` in sampling mode: exponential gaps between sample points
 * (`nextGap`; the traced allocators count the bytes down) and the weight of a sampled block
 * (`weight`). Not
 * in CPython (tracemalloc traces every block).
 */
export class PoissonSampler {
  /** Mean distance between sample points, in bytes. */
  readonly interval: number;
  // Every number field is initialised where it is declared: a class field declared without a
  // value starts as `undefined`, and V8 then stores its doubles boxed.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(interval: number, seed: number) {
    this.interval = interval;
    // splitmix32 spreads the seed over the four words of the state.
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** A uniform number in (0, 1] (xoshiro128+ on 32-bit words). */
  uniform(): number {
    const result = (this.s0 + this.s3) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return (result + 1) / 4294967296;
  }

  /** An exponential gap with mean `interval`. */
  nextGap(): number {
    return -Math.log(this.uniform()) * this.interval;
  }

  /** 1 / P(a block of `size` bytes is sampled): the block's weight. */
  weight(size: number): number {
    return 1 / -Math.expm1(-size / this.interval);
  }
}
