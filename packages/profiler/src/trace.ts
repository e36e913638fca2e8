/** {@link Trace}: one traced block in a snapshot. */
import { formatSize } from './format-size.js';
import type { Traceback } from './frame.js';

/**
 * One traced memory block: its domain (which wrapped allocator), its size and where it was
 * allocated. Mirrors `tracemalloc.Trace`. In sampling mode a trace stands for `weight` blocks on
 * average (see the README's "Sampling"); in exact mode `weight` is 1.
 */
export class Trace {
  /** The domain: the id of the wrapped allocator that owns the block. */
  readonly domain: number;
  /** The block's requested size in bytes. */
  readonly size: number;
  /** Where it was allocated. */
  readonly traceback: Traceback;
  /** How many blocks this trace stands for: 1, or `1 / P(sampled)` in sampling mode. */
  readonly weight: number;

  constructor(domain: number, size: number, traceback: Traceback, weight = 1) {
    this.domain = domain;
    this.size = size;
    this.traceback = traceback;
    this.weight = weight;
  }

  /** True when domain, size, weight and frames are equal. */
  equals(other: Trace): boolean {
    return (
      this.domain === other.domain &&
      this.size === other.size &&
      this.weight === other.weight &&
      this.traceback.equals(other.traceback)
    );
  }

  /** `a.js:12: 64 B`, as `str(trace)`. */
  toString(): string {
    return `${this.traceback}: ${formatSize(this.size)}`;
  }
}
