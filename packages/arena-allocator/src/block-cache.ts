/**
 * A per-size-class LIFO cache of freed small blocks, in front of the pools: glibc's tcache, or
 * CPython's per-type free lists, at the allocator level.
 *
 * pymalloc returns a freed block to its own pool's free list, and `malloc` takes from the head
 * pool of the class: under churn that is a block freed long ago, in a cold cache line, so
 * almost every `malloc` waits on memory. The cache hands back the most recently freed block of
 * the class instead (its line is still hot) and touches no pool header on either side.
 *
 * A cached block is free to its user (the block-state map says FREED, so a double free is still
 * caught) but still counted as allocated by its pool; at most `depth` blocks per class are held.
 * `ArenaAllocator.trim()` and the checks flush or account for them. Depth 0 turns it off.
 *
 * One typed array holds the whole cache, a stripe of `2 * depth` words per class (a power of two,
 * so a stripe starts at `c << stripeShift`; with depth 0 a stripe is 2 words, the count and one
 * unused slot), the count first, then the class's pointers, oldest first:
 *
 * ```
 *   stripe c = words[c << stripeShift ...]
 *   +0        count: entries in use (0 .. depth)
 *   +1 + i    entry i, for i < count (entry count-1 is the most recently freed)
 *   ...       up to +depth; the rest of the stripe is padding
 * ```
 *
 * `ArenaAllocator`'s malloc and free index `words` directly (pop: the count at `s`, the entry at
 * `s + count`; push at `s + count + 1` while count < depth): that is its fast path, kept free of
 * calls. One array instead of two (counts, slots) saves the fast path a typed array's loads and
 * checks on each side (each typed array read from an object costs its length, base and buffer).
 */
export class BlockCache {
  readonly depth: number;
  /** The stripes, one per class (see the class comment). */
  readonly words: Uint32Array;
  /** log2 of a stripe's length in words: class c's stripe starts at words[c << stripeShift]. */
  readonly stripeShift: number;
  private readonly classes: number;

  /** `depth` must be 0 or a power of two. */
  constructor(sizeClasses: number, depth: number) {
    this.depth = depth;
    this.classes = sizeClasses;
    this.stripeShift = depth === 0 ? 1 : Math.log2(depth) + 1;
    this.words = new Uint32Array(sizeClasses << this.stripeShift);
  }

  /** Empties the cache, handing every block to `release`. */
  flush(release: (ptr: number) => void): number {
    let flushed = 0;
    for (let c = 0; c < this.classes; c++) {
      const s = c << this.stripeShift;
      const n = this.words[s]!;
      this.words[s] = 0;
      for (let i = 1; i <= n; i++) release(this.words[s + i]!);
      flushed += n;
    }
    return flushed;
  }

  /** Calls `visit` for every cached block with its class. */
  forEach(visit: (ptr: number, c: number) => void): void {
    for (let c = 0; c < this.classes; c++) {
      const s = c << this.stripeShift;
      for (let i = 1; i <= this.words[s]!; i++) visit(this.words[s + i]!, c);
    }
  }

  /** Bytes the cache takes on the JS side. */
  get metadataBytes(): number {
    return this.words.byteLength;
  }
}
