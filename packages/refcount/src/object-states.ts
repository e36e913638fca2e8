/**
 * The object-state map: one byte for every 8-byte granule of the memory, saying whether an
 * object starts at that address. It is what lets every operation reject a pointer that is not
 * a live object in O(1) without trusting the memory (which a buggy program may have
 * overwritten, and where the allocator writes its free lists once a block is freed).
 *
 * ```
 *   byte = ptr >>> 3             one byte per granule: a test is one load, a change one store
 *
 *   0 NONE    no object starts here
 *   1 LIVE    a live object starts here
 *   2 FREED   an object started here and was freed; none starts here now
 * ```
 *
 * `FREED` stays until an object starts at the same address again, so a stale pointer is
 * reported as a use after free rather than as a pointer that was never an object. The map lives
 * on the JS side: 1/8 of the memory's size. (A byte rather than two bits: the liveness test is
 * on every operation, and a byte makes it one load and a compare, and marking an object live or
 * freed one store instead of a load, a mask and a store.)
 */
export const NONE = 0;
export const LIVE = 1;
export const FREED = 2;

export class ObjectStates {
  bytes: Uint8Array;

  constructor(memoryBytes: number) {
    this.bytes = new Uint8Array(bytesFor(memoryBytes));
  }

  /** Makes room for a memory of `memoryBytes` bytes, keeping every state. */
  resize(memoryBytes: number): void {
    const needed = bytesFor(memoryBytes);
    if (needed <= this.bytes.length) return;
    // Grow by a quarter at least, so a memory growing a page at a time copies in linear total time.
    const bytes = new Uint8Array((Math.max(needed, Math.ceil(this.bytes.length * 1.25)) + 3) & ~3);
    bytes.set(this.bytes);
    this.bytes = bytes;
  }

  /** The state of the granule at `ptr` (any 8-aligned address inside the memory). */
  get(ptr: number): number {
    return this.bytes[ptr >>> 3]!;
  }

  /** Calls `visit` with every live object's pointer, in address order. */
  forEachLive(visit: (ptr: number) => void): void {
    const bytes = this.bytes;
    // Four granules at a time: most of a sparse map is zero words.
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let g = w * 4; g < w * 4 + 4; g++) {
        if (bytes[g] === LIVE) visit(g * 8);
      }
    }
  }
}

/** Map bytes for a memory of `memoryBytes`: one per granule, a whole number of 32-bit words. */
function bytesFor(memoryBytes: number): number {
  return (Math.ceil(memoryBytes / 8) + 3) & ~3;
}
