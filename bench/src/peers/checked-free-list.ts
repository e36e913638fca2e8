/**
 * The fair limit of a *safe* small-block allocator with heapkit's API: a segregated free list like
 * `bare-free-list.ts`, plus exactly what heapkit's contract needs and nothing else. `free(ptr)`
 * takes no size (the block's class comes from its page), and an invalid or double free is
 * detected in O(1) (one live bit per 16-byte granule) and throws, changing nothing. No growth,
 * no statistics, no trimming, no large blocks, no other owners.
 *
 * ```
 *   memory:  | 16 KiB unused (0 is NULL) | page | page | ... | end |   each page holds one class
 *   pages:   pageClass[ptr >>> 14]  = class + 1 of the page (0: not carved)
 *   live:    live[ptr >>> 9] bit (ptr >>> 4) & 31  = a live block starts at ptr
 *   free:    heads[c] -> block -> block -> 0   (linked through the block's first u32)
 * ```
 *
 * malloc: one class computation, one head load and, on a hit, one load + store, then one live
 * word read and written. free: a type check, three compares, one live word read and written, the
 * page's class (one byte), two stores.
 */

/** Number of size classes (16 B steps up to 512 B). */
const CLASSES = 32;
const PAGE_SHIFT = 14;
const PAGE_BYTES = 1 << PAGE_SHIFT;

export class CheckedFreeList {
  /** The whole buffer as 32-bit words (index = byte offset >>> 2). */
  readonly u32: Uint32Array;
  private readonly heads = new Uint32Array(CLASSES);
  /** Next never-used block of each class's current page, and that page's end. */
  private readonly bump = new Uint32Array(CLASSES);
  private readonly bumpEnd = new Uint32Array(CLASSES);
  private readonly pageClass: Uint8Array;
  private readonly live: Uint32Array;
  /** Next never-used page. */
  private nextPage = PAGE_BYTES;
  private readonly end: number;

  /** @param capacityBytes the fixed size of the buffer; malloc returns 0 once it is carved up. */
  constructor(capacityBytes: number) {
    this.end = Math.floor(capacityBytes / PAGE_BYTES) * PAGE_BYTES;
    this.u32 = new Uint32Array(new ArrayBuffer(this.end));
    this.pageClass = new Uint8Array(this.end >>> PAGE_SHIFT);
    this.live = new Uint32Array(Math.ceil(this.end / 512));
  }

  /** A 16-byte aligned block of at least `size` (1..512) bytes, or 0 when the buffer is full. */
  malloc(size: number): number {
    const c = (size - 1) >>> 4;
    let p = this.heads[c]!;
    if (p !== 0) {
      this.heads[c] = this.u32[p >>> 2]!;
    } else {
      p = this.bump[c]!;
      if (p === 0 || p + ((c + 1) << 4) > this.bumpEnd[c]!) {
        p = this.newPage(c);
        if (p === 0) return 0;
      }
      this.bump[c] = p + ((c + 1) << 4);
    }
    const w = p >>> 9;
    this.live[w] = this.live[w]! | (1 << ((p >>> 4) & 31));
    return p;
  }

  /** Frees a live block; throws (changing nothing) for anything that is not one. */
  free(ptr: number): void {
    if (typeof ptr === 'number' && ptr >>> 0 === ptr && ptr < this.end && (ptr & 15) === 0) {
      const w = ptr >>> 9;
      const bit = 1 << ((ptr >>> 4) & 31);
      const word = this.live[w]!;
      if ((word & bit) !== 0) {
        this.live[w] = word ^ bit;
        const c = this.pageClass[ptr >>> PAGE_SHIFT]! - 1;
        this.u32[ptr >>> 2] = this.heads[c]!;
        this.heads[c] = ptr;
        return;
      }
    }
    throw new Error(`free(${String(ptr)}): not a live block (invalid or double free)`);
  }

  private newPage(c: number): number {
    const page = this.nextPage;
    if (page + PAGE_BYTES > this.end) return 0;
    this.nextPage = page + PAGE_BYTES;
    this.pageClass[page >>> PAGE_SHIFT] = c + 1;
    this.bumpEnd[c] = page + PAGE_BYTES;
    return page;
  }
}
