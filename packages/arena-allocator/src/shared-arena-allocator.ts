/**
 * The prototype of an ArenaAllocator in a shared heap (`new ArenaAllocator({ memory, shared:
 * true })` sets it): the same allocator, with the `malloc` and `free` fast paths a shared heap
 * needs, over the heap's block map, where state words and remote-free words share a cache line
 * (see `shared-heap.ts`). Never constructed itself, and not exported from the package: use
 * ArenaAllocator.
 *
 * Made by a function of the base class, which `arena-allocator.ts` calls once after defining it:
 * this module imports ArenaAllocator's type only, so the two modules do not load each other.
 */
import type { Ptr } from '@heapkit/memory';
import { isPtr } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { LIVE_SMALL as LIVE_SMALL_STATE, SMALL_FLIP as SMALL_FLIP_BITS } from './block-states.js';
import { ALIGNMENT_SHIFT as ALIGNMENT_SHIFT_BITS } from './config.js';
import { FOREIGN as FOREIGN_CLASS } from './pools.js';
import { remoteFree } from './shared-owner.js';

// This module's own bindings of the fast paths' constants and predicate (why: `u32.ts`).
const LIVE_SMALL = LIVE_SMALL_STATE;
const SMALL_FLIP = SMALL_FLIP_BITS;
const ALIGNMENT_SHIFT = ALIGNMENT_SHIFT_BITS;
const FOREIGN = FOREIGN_CLASS;
const isU32 = isPtr; // bound here so V8 folds it (see arena-allocator.ts)

/** The shared heap's prototype, a subclass of `Base` (ArenaAllocator). Called once. */
export function sharedArenaAllocatorPrototype(Base: typeof ArenaAllocator): ArenaAllocator {
  class SharedArenaAllocator extends Base {
    // The shared heap's block map interleaves state and remote-free words (see `shared-heap.ts`):
    // the fast paths below are the private ones with that map's word index, inlined.

    /**
     * Allocates `size` bytes (`PyObject_Malloc`). The private `malloc`'s code, in a function of
     * its own so that its call of `smallMalloc` sees only the shared version (type feedback is
     * per function).
     */
    override malloc(size: number): Ptr {
      if (isU32(size) && size <= this.fastSmallLimit) {
        const p = this.smallMalloc(size === 0 ? 0 : (size - 1) >>> ALIGNMENT_SHIFT);
        if (p !== 0) return p;
      }
      return this.mallocSlow(size);
    }

    /** Frees a block (`PyObject_Free`); another allocator's block of the heap is freed remotely. */
    override free(ptr: Ptr): void {
      // Fast path: a live block of one of our pools. Cost: the private fast path's, plus two
      // checks: the pool's class is not FOREIGN (one byte, read anyway: the pool is ours), and the
      // block's remote-free bit is clear (a word in the same cache line as its state word: no
      // other worker freed it already). Plain loads and stores only: no atomics, no lock. A live
      // block of another worker's pool goes straight to `remoteFree` (one atomic OR, then into a
      // batch); anything else (a large block, an error) takes the slow path.
      if (isU32(ptr) && ptr < this.fastEnd && (ptr & 15) === 0) {
        const bits = this.stateBits;
        const line = (ptr >>> 11) << 4;
        const w = line | ((ptr >>> 8) & 7); // stateWord(ptr)
        const shift = (ptr >>> 3) & 30;
        const word = bits[w]!;
        const c = this.poolClass[ptr >>> this.poolShift]!;
        if (((word >>> shift) & 3) === LIVE_SMALL) {
          if (c === FOREIGN) {
            // Another worker's pool block: freed remotely, without freeSlow's general checks.
            remoteFree(this, ptr, LIVE_SMALL, 'free');
            return;
          }
          if (((bits[line | 8 | ((ptr >>> 9) & 3)]! >>> ((ptr >>> 4) & 31)) & 1) === 0) {
            // remoteWord, remoteBit: clear, no other worker freed it already.
            bits[w] = word ^ (SMALL_FLIP << shift);
            this.cacheOrRelease(ptr, c);
            return;
          }
        }
      }
      this.freeSlow(ptr);
    }

    /** The private `smallMalloc` with the block map's word index. */
    protected override smallMalloc(c: number): Ptr {
      const words = this.cacheWords;
      const s = c << this.cacheStripeShift;
      const n = words[s]!;
      if (n !== 0) {
        words[s] = n - 1;
        const p = words[s + n]!;
        const w = ((p >>> 11) << 4) | ((p >>> 8) & 7); // stateWord(p)
        this.stateBits[w] = this.stateBits[w]! ^ (SMALL_FLIP << ((p >>> 3) & 30)); // FREED -> LIVE_SMALL
        return p;
      }
      return this.smallFromPools(c);
    }
  }
  return SharedArenaAllocator.prototype;
}
