/**
 * The block-state map: two bits for every 16-byte granule of the memory, saying what starts at
 * that address. It is what makes invalid and double frees detectable in O(1) without trusting
 * anything stored in the memory (which a buggy program may have overwritten).
 *
 * ```
 *   word  = ptr >>> 8            16 granules (256 bytes) per 32-bit word
 *   shift = (ptr >>> 3) & 30     2 bits per granule
 *
 *   00 NONE         no block starts here
 *   01 LIVE_SMALL   a live pool block starts here
 *   10 FREED        a block started here and was freed; none starts here now
 *   11 LIVE_LARGE   a live TLSF block starts here
 * ```
 *
 * `FREED` stays until a new block starts at the same address, so a stale pointer is reported
 * as a double free even after its space was merged into a larger block, or its region was
 * released and reserved again by this allocator. (Pointers into another party's region are
 * refused before the map is read.) No block is live in a region when it is released.
 * The map lives on the JS side (like CPython's `arenas` array): 1/64 of the memory's size. A
 * shared heap's map lives in the shared memory instead, its state words interleaved with the
 * remote-free words (see `shared-heap.ts`): `index` says which layout, and every access here goes
 * through it (the allocators' fast paths inline their own layout's arithmetic).
 */
import { type SharedHeap, stateWord } from './shared-heap.js';

export const NONE = 0;
export const LIVE_SMALL = 1;
export const FREED = 2;
export const LIVE_LARGE = 3;
/** XOR with this (shifted to a granule) turns LIVE_SMALL into FREED and FREED into LIVE_SMALL. */
export const SMALL_FLIP = LIVE_SMALL ^ FREED;

export class BlockStates {
  bits: Uint32Array;

  /**
   * A map on the JS side for a memory of `memoryBytes` bytes, or, for a shared heap, the map in
   * the shared memory that every allocator of the heap reads (`shared`, see `shared-heap.ts`).
   */
  constructor(
    memoryBytes: number,
    private readonly shared?: SharedHeap,
  ) {
    this.bits = shared === undefined ? new Uint32Array(wordsFor(memoryBytes)) : shared.stateBits;
  }

  /** Makes room for a memory of `memoryBytes` bytes, keeping every state. */
  resize(memoryBytes: number): void {
    if (this.shared !== undefined) {
      // The shared map covers the memory's whole span already; only its view may be stale.
      this.shared.rebind();
      this.bits = this.shared.stateBits;
      return;
    }
    const needed = wordsFor(memoryBytes);
    if (needed <= this.bits.length) return;
    // Grow by a quarter at least, so a heap growing 1 MiB at a time copies in linear total time.
    const bits = new Uint32Array(Math.max(needed, Math.ceil(this.bits.length * 1.25)));
    bits.set(this.bits);
    this.bits = bits;
  }

  /** The word of `bits` holding `ptr`'s state. */
  index(ptr: number): number {
    return this.shared === undefined ? ptr >>> 8 : stateWord(ptr);
  }

  get(ptr: number): number {
    return (this.bits[this.index(ptr)]! >>> ((ptr >>> 3) & 30)) & 3;
  }

  set(ptr: number, state: number): void {
    const w = this.index(ptr);
    const shift = (ptr >>> 3) & 30;
    this.bits[w] = (this.bits[w]! & ~(3 << shift)) | (state << shift);
  }

  /**
   * Calls `visit(ptr, state)` for every live block (LIVE_SMALL or LIVE_LARGE), lowest first, in
   * [start, end) (both multiples of 256; default: the whole map).
   */
  forEachLive(visit: (ptr: number, state: number) => void, start = 0, end = this.coveredBytes()): void {
    const bits = this.bits;
    const last = Math.min(this.coveredBytes(), end); // end may be 2^32
    for (let at = start; at < last; at += 256) {
      let word = bits[this.index(at)]!;
      for (let g = 0; word !== 0; g++, word >>>= 2) {
        const state = word & 3;
        if (state === LIVE_SMALL || state === LIVE_LARGE) visit(at + g * 16, state);
      }
    }
  }

  /** Bytes of memory the map covers. */
  private coveredBytes(): number {
    return this.shared === undefined ? this.bits.length * 256 : this.bits.length * 128;
  }

  /** Bytes the map itself takes (JS-side metadata). */
  get byteLength(): number {
    return this.bits.byteLength;
  }
}

function wordsFor(memoryBytes: number): number {
  return Math.ceil(memoryBytes / 256);
}
