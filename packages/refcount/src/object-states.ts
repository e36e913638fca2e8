/**
 * The object-state map: two bits for every 8-byte granule of the memory, saying whether an
 * object starts at that address. It is what lets every operation reject a pointer that is not
 * a live object in O(1) without trusting the memory (which a buggy program may have
 * overwritten, and where the allocator writes its free lists once a block is freed).
 *
 * ```
 *   word  = ptr >>> 7            16 granules (128 bytes) per 32-bit word
 *   shift = (ptr >>> 2) & 30     2 bits per granule
 *
 *   00 NONE    no object starts here
 *   01 LIVE    a live object starts here
 *   10 FREED   an object started here and was freed; none starts here now
 * ```
 *
 * `FREED` stays until an object starts at the same address again, so a stale pointer is
 * reported as a use after free rather than as a pointer that was never an object. The map lives
 * on the JS side: 1/32 of the memory's size.
 */
export const NONE = 0;
export const LIVE = 1;
export const FREED = 2;

export class ObjectStates {
  bits: Int32Array;

  constructor(memoryBytes: number) {
    this.bits = new Int32Array(wordsFor(memoryBytes));
  }

  /** Makes room for a memory of `memoryBytes` bytes, keeping every state. */
  resize(memoryBytes: number): void {
    const needed = wordsFor(memoryBytes);
    if (needed <= this.bits.length) return;
    // Grow by a quarter at least, so a memory growing a page at a time copies in linear total time.
    const bits = new Int32Array(Math.max(needed, Math.ceil(this.bits.length * 1.25)));
    bits.set(this.bits);
    this.bits = bits;
  }

  /** The state of the granule at `ptr` (any 8-aligned address inside the memory). */
  get(ptr: number): number {
    return (this.bits[ptr >>> 7]! >>> ((ptr >>> 2) & 30)) & 3;
  }

  /** Marks `ptr` as the start of a live object (whatever it was before). */
  setLive(ptr: number): void {
    const w = ptr >>> 7;
    const shift = (ptr >>> 2) & 30;
    this.bits[w] = (this.bits[w]! & ~(3 << shift)) | (LIVE << shift);
  }

  /** Marks the live object at `ptr` as freed. */
  setFreed(ptr: number): void {
    const w = ptr >>> 7;
    const shift = (ptr >>> 2) & 30;
    this.bits[w] = (this.bits[w]! & ~(3 << shift)) | (FREED << shift);
  }

  /** Calls `visit` with every live object's pointer, in address order. */
  forEachLive(visit: (ptr: number) => void): void {
    const bits = this.bits;
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w]!;
      if (word === 0) continue;
      for (let g = 0; g < 16 && word !== 0; g++, word >>>= 2) {
        if ((word & 3) === LIVE) visit(w * 128 + g * 8);
      }
    }
  }
}

function wordsFor(memoryBytes: number): number {
  return Math.ceil(memoryBytes / 128);
}
