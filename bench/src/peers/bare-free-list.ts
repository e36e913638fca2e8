/**
 * The practical limit of a small-block allocator over an ArrayBuffer: a segregated free list
 * with nothing else. 32 size classes of 16 B steps (1..16 B is class 0, 497..512 B is class 31),
 * blocks carved by a bump pointer and recycled through one singly linked free list per class,
 * linked through the block's own first word. No headers, no pools, no checks, no growth: the
 * caller passes the size again on free (as a runtime that knows its objects' types would), must
 * only ask for 1..512 bytes, and must only free live blocks.
 *
 * ```
 *   memory:  | 16 B unused (0 is NULL) | block | block | ... | <- top (bump pointer) ... end |
 *   free:    heads[c] -> block -> block -> 0     (the "next" offset is the block's first u32)
 * ```
 *
 * malloc costs one class computation, one head load and, on a hit, one load + store; free one
 * class computation and two stores.
 */

/** Number of size classes. */
export const BARE_CLASSES = 32;
/** Largest request served. */
export const BARE_MAX_SIZE = BARE_CLASSES * 16;

export class BareFreeList {
  /** The whole buffer as 32-bit words (index = byte offset >>> 2). */
  readonly u32: Uint32Array;
  /** Head of each class's free list (a byte offset; 0 = empty). */
  private readonly heads = new Uint32Array(BARE_CLASSES);
  /** Bump pointer: the first byte never handed out. */
  private top = 16;
  private readonly end: number;

  /** @param capacityBytes the fixed size of the buffer; malloc returns 0 once it is carved up. */
  constructor(capacityBytes: number) {
    this.end = Math.ceil(capacityBytes / 16) * 16;
    this.u32 = new Uint32Array(new ArrayBuffer(this.end));
  }

  /** Returns a 16-byte aligned block of at least `size` (1..512) bytes, or 0 when the buffer is full. */
  malloc(size: number): number {
    const cls = (size - 1) >>> 4;
    const head = this.heads[cls]!;
    if (head !== 0) {
      this.heads[cls] = this.u32[head >>> 2]!;
      return head;
    }
    const block = this.top;
    const next = block + ((cls + 1) << 4);
    if (next > this.end) return 0;
    this.top = next;
    return block;
  }

  /** Frees a live block; `size` must be what it was allocated with (or in the same class). */
  free(ptr: number, size: number): void {
    const cls = (size - 1) >>> 4;
    this.u32[ptr >>> 2] = this.heads[cls]!;
    this.heads[cls] = ptr;
  }

  /** Bytes occupied: everything below the bump pointer, plus the class heads. */
  footprintBytes(): number {
    return this.top + this.heads.byteLength;
  }
}
