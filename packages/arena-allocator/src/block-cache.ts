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
 * ```
 *   slots:  [class 0: depth entries][class 1: depth entries]...   pointers, on the JS side
 *   counts: entries in use per class; class c's entries are slots[(c << shift) + 0 .. count-1]
 * ```
 *
 * `ArenaAllocator`'s malloc and free index `slots` and `counts` directly (pop the entry at
 * count-1; push at count while count < depth): that is its fast path, kept free of calls.
 */
export class BlockCache {
  readonly depth: number;
  readonly slots: Uint32Array;
  readonly counts: Uint32Array;
  /** log2(depth): class c's entries start at slots[c << shift]. */
  readonly shift: number;

  /** `depth` must be 0 or a power of two. */
  constructor(sizeClasses: number, depth: number) {
    this.depth = depth;
    this.shift = depth === 0 ? 0 : Math.log2(depth);
    this.slots = new Uint32Array(sizeClasses * depth);
    this.counts = new Uint32Array(sizeClasses);
  }

  /** Empties the cache, handing every block to `release`. */
  flush(release: (ptr: number) => void): number {
    let flushed = 0;
    for (let c = 0; c < this.counts.length; c++) {
      const n = this.counts[c]!;
      this.counts[c] = 0;
      for (let i = 0; i < n; i++) release(this.slots[(c << this.shift) + i]!);
      flushed += n;
    }
    return flushed;
  }

  /** Calls `visit` for every cached block with its class. */
  forEach(visit: (ptr: number, c: number) => void): void {
    for (let c = 0; c < this.counts.length; c++) {
      for (let i = 0; i < this.counts[c]!; i++) visit(this.slots[(c << this.shift) + i]!, c);
    }
  }

  /** Bytes the cache takes on the JS side. */
  get metadataBytes(): number {
    return this.slots.byteLength + this.counts.byteLength;
  }
}
