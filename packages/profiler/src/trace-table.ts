/**
 * The live traces of one domain: a direct-mapped table indexed by the block's address, with no
 * hashing and no probing. The address space is cut into 4 KiB pages; a directory holds one
 * typed-array page per 4 KiB of addresses that ever held a trace (allocated on first use), and a
 * page holds one packed word per 16-byte granule:
 *
 * ```
 *   ptr ──► pages[ptr >>> 12]                     the page (EMPTY_PAGE: never written)
 *           page[(ptr >>> 4) & 255]               the granule's word:
 *              0                                  no trace
 *              (traceback + 1) << 16 | size       size < 64 KiB, traceback id < 0xfffe
 *              0xffff << 16                       a trace in `side` (a big size or id)
 *   side: Map<ptr, [size, traceback]>             those, and every block not 16-byte aligned
 * ```
 *
 * A lookup, an insert or a delete is two dependent loads (the directory entry, which stays in
 * cache: 8 bytes per 4 KiB of heap, and the word) and at most one store. The table is 1/16 of the
 * heap it covers (4 bytes per 16), whatever the number of live blocks, so it is as big as the
 * old open-addressed table's 16 bytes per slot at a quarter load only when every granule starts
 * a block; and the words of neighbouring blocks share cache lines, as the blocks do, so the
 * allocator's locality carries over. A trace's weight is not stored: it is a function of its
 * size (see `Profiler`).
 *
 * Blocks of an allocator aligned to 16 bytes (pymalloc's alignment, ArenaAllocator's) never go
 * to `side` unless their size is 64 KiB or more, or the profiler has interned 65,534 tracebacks.
 */

const PAGE_SHIFT = 12;
const GRANULE_SHIFT = 4;
const PAGE_WORDS = 1 << (PAGE_SHIFT - GRANULE_SHIFT);
const WORD_MASK = PAGE_WORDS - 1;
/** The high half of a word whose trace is in `side`. */
const SIDE = 0xffff;
/** Packed words hold sizes below this. */
const MAX_PACKED_SIZE = 0x10000;
/** Packed words hold traceback ids below this (id + 1 < SIDE). */
const MAX_PACKED_TRACEBACK = SIDE - 1;

/** The page of every directory entry not written yet: all zeros, never written. */
const EMPTY_PAGE = new Uint32Array(PAGE_WORDS);

/** The live traces of one domain, by block pointer (see the file comment). */
export class TraceTable {
  /** The directory: page `i` covers addresses `[i << 12, (i + 1) << 12)`. */
  private pages: Uint32Array[] = [];
  /** Pages allocated (not EMPTY_PAGE). */
  private pageCount = 0;
  /** Traces that do not fit a packed word, or whose block is not 16-byte aligned. */
  private readonly side = new Map<number, [size: number, traceback: number]>();
  /** Traces held. */
  count = 0;
  /**
   * The traceback id of the trace that the last {@link remove} or {@link insert} took out (when
   * it returned a size, not -1).
   */
  removedTraceback = 0;

  /**
   * Removes the trace of `ptr` and returns its size, or -1 when it has none (then nothing
   * changes). The traceback id it had is left in {@link removedTraceback}. The free fast path:
   * for a traced or untraced 16-byte-aligned block, two loads, a compare and a store.
   */
  remove(ptr: number): number {
    if ((ptr & 15) === 0) {
      const index = ptr >>> PAGE_SHIFT;
      const pages = this.pages;
      if (index >= pages.length) return -1;
      const page = pages[index]!;
      const at = (ptr >>> GRANULE_SHIFT) & WORD_MASK;
      const word = page[at]!;
      if (word === 0) return -1;
      page[at] = 0;
      this.count--;
      const high = word >>> 16;
      if (high !== SIDE) {
        this.removedTraceback = high - 1;
        return word & 0xffff;
      }
    }
    return this.removeSide(ptr);
  }

  /**
   * Records a trace for `ptr`. When `ptr` already has one (a block freed behind the profiler's
   * back), it is replaced, and its size is returned (its traceback id in
   * {@link removedTraceback}); otherwise -1.
   */
  insert(ptr: number, size: number, traceback: number): number {
    if ((ptr & 15) === 0 && size < MAX_PACKED_SIZE && traceback < MAX_PACKED_TRACEBACK) {
      const index = ptr >>> PAGE_SHIFT;
      let page = index < this.pages.length ? this.pages[index]! : EMPTY_PAGE;
      if (page === EMPTY_PAGE) page = this.newPage(index);
      const at = (ptr >>> GRANULE_SHIFT) & WORD_MASK;
      const word = page[at]!;
      page[at] = (((traceback + 1) << 16) | size) >>> 0;
      if (word === 0) {
        this.count++;
        return -1;
      }
      if (word >>> 16 !== SIDE) {
        this.removedTraceback = (word >>> 16) - 1;
        return word & 0xffff;
      }
      const old = this.side.get(ptr)!;
      this.side.delete(ptr);
      this.removedTraceback = old[1];
      return old[0];
    }
    return this.insertSide(ptr, size, traceback);
  }

  /** The traceback id of the trace of `ptr`, or -1 when it has none. */
  tracebackOf(ptr: number): number {
    const word = this.wordOf(ptr);
    if (word === 0) return -1;
    if (word >>> 16 !== SIDE) return (word >>> 16) - 1;
    return this.side.get(ptr)![1];
  }

  /** Calls `visit` with every trace (in address order for the packed ones, then the others). */
  forEach(visit: (ptr: number, size: number, traceback: number) => void): void {
    const pages = this.pages;
    for (let index = 0; index < pages.length; index++) {
      const page = pages[index]!;
      if (page === EMPTY_PAGE) continue;
      for (let at = 0; at < PAGE_WORDS; at++) {
        const word = page[at]!;
        if (word === 0 || word >>> 16 === SIDE) continue;
        visit(((index << PAGE_SHIFT) | (at << GRANULE_SHIFT)) >>> 0, word & 0xffff, (word >>> 16) - 1);
      }
    }
    for (const [ptr, [size, traceback]] of this.side) visit(ptr, size, traceback);
  }

  /** Forgets every trace, and the pages. */
  clear(): void {
    this.pages = [];
    this.pageCount = 0;
    this.side.clear();
    this.count = 0;
  }

  /** Bytes held by the table (pages and directory exactly; side entries estimated at 64 B). */
  byteSize(): number {
    return this.pageCount * PAGE_WORDS * 4 + this.pages.length * 8 + this.side.size * 64;
  }

  /** The packed word of `ptr` (0: no trace; SIDE in the high half: see `side`). */
  private wordOf(ptr: number): number {
    if ((ptr & 15) !== 0) return this.side.has(ptr) ? SIDE << 16 : 0;
    const index = ptr >>> PAGE_SHIFT;
    if (index >= this.pages.length) return 0;
    return this.pages[index]![(ptr >>> GRANULE_SHIFT) & WORD_MASK]!;
  }

  private newPage(index: number): Uint32Array {
    const pages = this.pages;
    while (pages.length <= index) pages.push(EMPTY_PAGE);
    const page = new Uint32Array(PAGE_WORDS);
    pages[index] = page;
    this.pageCount++;
    return page;
  }

  /** {@link remove} for a block not 16-byte aligned, or one whose word says `side`. */
  private removeSide(ptr: number): number {
    const entry = this.side.get(ptr);
    if (entry === undefined) return -1;
    this.side.delete(ptr);
    if ((ptr & 15) !== 0) this.count--; // an aligned one was counted down with its word
    this.removedTraceback = entry[1];
    return entry[0];
  }

  /** {@link insert} of a trace that does not fit a packed word. */
  private insertSide(ptr: number, size: number, traceback: number): number {
    let old = -1;
    if ((ptr & 15) === 0) {
      const index = ptr >>> PAGE_SHIFT;
      let page = index < this.pages.length ? this.pages[index]! : EMPTY_PAGE;
      if (page === EMPTY_PAGE) page = this.newPage(index);
      const at = (ptr >>> GRANULE_SHIFT) & WORD_MASK;
      const word = page[at]!;
      page[at] = (SIDE << 16) >>> 0;
      if (word === 0) {
        this.count++;
      } else if (word >>> 16 !== SIDE) {
        this.removedTraceback = (word >>> 16) - 1;
        old = word & 0xffff;
      }
    }
    const entry = this.side.get(ptr);
    if (entry !== undefined) {
      this.removedTraceback = entry[1];
      old = entry[0];
    } else if ((ptr & 15) !== 0) {
      this.count++;
    }
    this.side.set(ptr, [size, traceback]);
    return old;
  }
}
