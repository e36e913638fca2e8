/**
 * `freeMany`: many blocks freed in one call, for a layer that frees a batch at once (a cycle
 * collector's garbage, through `@heapkit/refcount`'s collector port).
 *
 * The outcome is that of calling `free` on each block in order, with one difference for errors
 * (below). What a batch saves: the pool blocks of one pool that follow each other in `ptrs` are
 * checked and marked freed one by one (the block-state map, as `free` does), then given back
 * together. When they are every block the pool holds (its header's live count), the pool is
 * released whole, as the last `free` would release it, without linking each block into the
 * pool's free list first: a pool taken back into use is carved from its start again (see
 * `Pools.allocFromNewPool`), so that list would never be read. A cycle collector's garbage,
 * freed in list order, comes mostly in such runs.
 *
 * The block cache is not used: a batch is large, and the cache holds a few blocks per class.
 * A debug, shared or detached allocator frees block by block through `free`.
 */
import { describeValue, type Ptr } from '@heapkit/memory';
import { LIVE_SMALL as LIVE_SMALL_STATE, SMALL_FLIP as SMALL_FLIP_BITS } from './block-states.js';
import type { Pools } from './pools.js';

// Module-local copies: V8 folds a module's own constants into optimized code.
const LIVE_SMALL = LIVE_SMALL_STATE;
const SMALL_FLIP = SMALL_FLIP_BITS;

/** What `freeMany` reads of the allocator: its fast-path fields, pools and `free`. */
export interface BatchFreeTarget {
  readonly pools: Pools;
  /** End of the range where `free`'s fast path applies (0: never, a debug or detached allocator). */
  readonly fastEnd: number;
  /** The block-state map's words (2 bits per 16 bytes). */
  readonly stateBits: Uint32Array;
  /** Whether the allocator is part of a shared heap (its `free` then has more to check). */
  readonly shared: boolean;
  free(ptr: Ptr): void;
}

/** Checks `freeMany`'s arguments: a Uint32Array and a count of its entries. */
export function checkBatch(ptrs: unknown, count: unknown): void {
  if (!(ptrs instanceof Uint32Array)) {
    throw new TypeError(`freeMany: ptrs must be a Uint32Array, got ${describeValue(ptrs)}`);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > ptrs.length) {
    throw new RangeError(
      `freeMany: count must be an integer from 0 to ptrs.length (${ptrs.length}), got ${describeValue(count)}`,
    );
  }
}

/**
 * Frees `ptrs[0..count)` (arguments checked). A block `free` refuses (not live, a double free,
 * not ours) is skipped and the others are freed all the same; the first such error is thrown
 * once every other block is freed, so a bad entry loses nothing.
 */
export function freeMany(heap: BatchFreeTarget, ptrs: Uint32Array, count: number): void {
  let failure: unknown;
  let failed = false;
  const poolMask = heap.pools.poolSize - 1;
  let k = 0;
  while (k < count) {
    const first = ptrs[k]!;
    const pool = first - (first & poolMask);
    // The run: the blocks from k on that lie in `pool` and pass `free`'s fast-path checks,
    // each marked freed as it joins (so a block listed twice ends the run at its second entry).
    let j = k;
    if (!heap.shared) {
      const bits = heap.stateBits;
      const fastEnd = heap.fastEnd;
      while (j < count) {
        const p = ptrs[j]!;
        if (p - (p & poolMask) !== pool || p >= fastEnd || (p & 15) !== 0) break;
        const w = p >>> 8;
        const shift = (p >>> 3) & 30;
        const word = bits[w]!;
        if (((word >>> shift) & 3) !== LIVE_SMALL) break;
        bits[w] = word ^ (SMALL_FLIP << shift);
        j++;
      }
    }
    if (j > k) {
      heap.pools.releaseRun(ptrs, k, j, pool);
      k = j;
      continue;
    }
    // Anything else (a large block, a shared heap's, a bad pointer): `free` decides.
    try {
      heap.free(first);
    } catch (error) {
      if (!failed) failure = error;
      failed = true;
    }
    k++;
  }
  if (failed) throw failure;
}
