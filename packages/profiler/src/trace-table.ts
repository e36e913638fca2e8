/**
 * The live traces of one domain: a direct-mapped table indexed by the block's address, with no
 * hashing and no probing. The address space is cut into 4 KiB pages; a directory gives each
 * 4 KiB of addresses that ever held a trace a page of the store (allocated on first use), and a
 * page holds one packed word per 16-byte granule:
 *
 * ```
 *   ptr ──► directory[ptr >>> 12] = n              the page's number (0: the empty page)
 *           store[n << 8 | (ptr >>> 4) & 255]      the granule's word:
 *              0                                   no trace
 *              (traceback + 1) << 16 | size        size < 64 KiB, traceback id < 0xfffe
 *              0xffff << 16                        a trace in `side` (a big size or id)
 *   side: Map<ptr, [size, traceback]>              those, and every block not 16-byte aligned
 * ```
 *
 * A lookup, an insert or a delete is two dependent typed-array loads (the directory entry, which
 * stays in cache: 4 bytes per 4 KiB of heap, and the word) and at most one store. The table is
 * 1/4 of the heap it covers (4 bytes per 16) whatever the number of live blocks, and the words of
 * neighbouring blocks share cache lines as the blocks do, so the allocator's locality carries
 * over. A trace's weight is not stored: it is a function of its size (see `Profiler`).
 *
 * Blocks of an allocator aligned to 16 bytes (pymalloc's alignment, ArenaAllocator's) only go to
 * `side` when their size is 64 KiB or more, or once the profiler has interned 65,534 tracebacks.
 */

const PAGE_SHIFT = 12;
const GRANULE_SHIFT = 4;
/** log2 of the words per page. */
const WORDS_SHIFT = PAGE_SHIFT - GRANULE_SHIFT;
const PAGE_WORDS = 1 << WORDS_SHIFT;
const WORD_MASK = PAGE_WORDS - 1;
/** The high half of a word whose trace is in `side`. */
const SIDE = 0xffff;
/** The word of a trace in `side`; packed words are below it. */
const SIDE_WORD = (SIDE << 16) >>> 0;
/** Packed words hold sizes below this. */
const MAX_PACKED_SIZE = 0x10000;
/** Packed words hold traceback ids below this (id + 1 < SIDE). */
const MAX_PACKED_TRACEBACK = SIDE - 1;
/** Pages the store starts with room for (page 0, the empty page, included). */
const INITIAL_PAGES = 16;
/** Directory entries to start with (64: 256 KiB of addresses). */
const INITIAL_DIRECTORY = 64;

/** The filter while unaligned blocks are traced: every read is out of bounds ("maybe"). */
const NO_FILTER = new Int32Array(0);

/** The live traces of one domain, by block pointer (see the file comment). */
export class TraceTable {
  /** Page numbers by `ptr >>> 12`; 0: no page (see the file comment). */
  private directory = new Int32Array(INITIAL_DIRECTORY);
  /** The pages one after another; page 0 is all zeros and never written. */
  private store = new Uint32Array(INITIAL_PAGES * PAGE_WORDS);
  /** Pages in `store`, page 0 included (in use or in `freePages`). */
  private pageCount = 1;
  /** Live packed-or-side words per page number. */
  private pageLive = new Int32Array(INITIAL_PAGES);
  /** Numbers of pages whose last trace went (all zeros), for reuse; a stack. */
  private freePages = new Int32Array(INITIAL_PAGES);
  private freePageCount = 0;
  /** Traces that do not fit a packed word, or whose block is not 16-byte aligned. */
  private readonly side = new Map<number, [size: number, traceback: number]>();
  /** Traces in `side` of blocks that are not 16-byte aligned (they have no word in a page). */
  private unaligned = 0;
  /**
   * What {@link mayHold} reads: the directory itself, or, while an unaligned block is traced,
   * an empty array (every read is out of bounds, `undefined`: "maybe").
   */
  private filter: Int32Array<ArrayBuffer> = this.directory;
  /** Bytes of addresses the directory always reaches (see {@link cover}). */
  private covered = 0;
  /**
   * Whether a page whose last trace goes is detached (a sampling profiler's few traces then
   * stay on a few pages, and `mayHold` says no with one load) or kept for the range's next
   * trace (every block traced: the ranges soon fill again).
   */
  readonly releasePages: boolean;

  /** @param releasePages  See {@link releasePages}. */
  constructor(releasePages = true) {
    this.releasePages = releasePages;
  }
  /**
   * Traces held (not kept on the hot paths: summed from the pages' live counts, or, when pages
   * are kept, counted in the pages).
   */
  get count(): number {
    let count = this.unaligned;
    if (this.releasePages) {
      for (let page = 1; page < this.pageCount; page++) count += this.pageLive[page]!;
    } else {
      const store = this.store;
      const end = this.pageCount << WORDS_SHIFT;
      for (let at = PAGE_WORDS; at < end; at++) if (store[at] !== 0) count++;
    }
    return count;
  }

  /**
   * False when `ptr` certainly has no trace: no page covers it and no block outside the pages
   * (unaligned) is traced. The traced allocators' free fast path when sampling: one load of the
   * directory (most of it is 0: a page whose last trace goes is released) through
   * {@link filter}, with no bounds check (past its end a read is `undefined`, which is not 0:
   * "maybe", and `remove` looks properly). As small in bytecode as it can be, so that V8 still
   * inlines the wrapped allocator's own code (see `TracedAllocator.malloc`).
   */
  mayHold(ptr: number): boolean {
    return this.filter[ptr >>> PAGE_SHIFT] !== 0;
  }

  /**
   * Removes the trace of `ptr` and returns its size, or -1 when it has none (then nothing
   * changes). The free fast path when every block is traced (pages kept, so no live counts):
   * for a 16-byte-aligned block with a packed word, two dependent loads, a compare and one
   * store; everything else out of line (the hot paths are kept small in bytecode: see
   * `TracedAllocator.malloc`).
   */
  remove(ptr: number): number {
    const index = ptr >>> PAGE_SHIFT;
    const directory = this.directory;
    if ((ptr & 15) === 0 && index < directory.length && !this.releasePages) {
      const at = (directory[index]! << WORDS_SHIFT) | ((ptr >>> GRANULE_SHIFT) & WORD_MASK);
      const word = this.store[at]!;
      if (word === 0) return -1; // no trace (an aligned block is in `side` only under SIDE_WORD)
      if (word < SIDE_WORD) {
        this.store[at] = 0;
        return word & 0xffff;
      }
    }
    return this.removeSlow(ptr);
  }

  /**
   * Records a trace for `ptr`. When `ptr` already has one (a block freed behind the profiler's
   * back), it is replaced, and its size is returned; otherwise -1. The fast path (pages kept):
   * an aligned block in a page already in use, with a size and id that fit a word; everything
   * else out of line.
   */
  insert(ptr: number, size: number, traceback: number): number {
    const index = ptr >>> PAGE_SHIFT;
    const directory = this.directory;
    if (
      (ptr & 15) === 0 &&
      index < directory.length &&
      size < MAX_PACKED_SIZE &&
      traceback < MAX_PACKED_TRACEBACK &&
      !this.releasePages
    ) {
      const at = (directory[index]! << WORDS_SHIFT) | ((ptr >>> GRANULE_SHIFT) & WORD_MASK);
      if (at >= PAGE_WORDS && this.store[at] === 0) {
        this.store[at] = (((traceback + 1) << 16) | size) >>> 0;
        return -1;
      }
    }
    return this.insertSlow(ptr, size, traceback);
  }

  /** The traceback id of the trace of `ptr`, or -1 when it has none. */
  tracebackOf(ptr: number): number {
    if ((ptr & 15) === 0) {
      const index = ptr >>> PAGE_SHIFT;
      if (index >= this.directory.length) return -1;
      const word =
        this.store[(this.directory[index]! << WORDS_SHIFT) | ((ptr >>> GRANULE_SHIFT) & WORD_MASK)]!;
      if (word === 0) return -1;
      if (word >>> 16 !== SIDE) return (word >>> 16) - 1;
    }
    return this.side.get(ptr)?.[1] ?? -1;
  }

  /** Calls `visit` with every trace (the packed ones in address order, then the others). */
  forEach(visit: (ptr: number, size: number, traceback: number) => void): void {
    const directory = this.directory;
    const store = this.store;
    for (let index = 0; index < directory.length; index++) {
      const base = directory[index]! << WORDS_SHIFT;
      if (base === 0) continue;
      for (let at = 0; at < PAGE_WORDS; at++) {
        const word = store[base + at]!;
        if (word === 0 || word >>> 16 === SIDE) continue;
        visit(((index << PAGE_SHIFT) | (at << GRANULE_SHIFT)) >>> 0, word & 0xffff, (word >>> 16) - 1);
      }
    }
    for (const [ptr, [size, traceback]] of this.side) visit(ptr, size, traceback);
  }

  /**
   * Lets the directory reach every address below `byteLength` (the traced allocator's memory,
   * as it grows), so that {@link mayHold} reads in bounds for the allocator's blocks: 4 bytes
   * per 4 KiB of memory. Kept through {@link clear}.
   */
  cover(byteLength: number): void {
    this.covered = Math.max(this.covered, byteLength);
    const entries = Math.ceil(this.covered / (1 << PAGE_SHIFT));
    if (entries > this.directory.length) this.growDirectory(entries - 1);
  }

  /** Forgets every trace, and the pages. */
  clear(): void {
    this.directory = new Int32Array(INITIAL_DIRECTORY);
    this.cover(this.covered);
    this.store = new Uint32Array(INITIAL_PAGES * PAGE_WORDS);
    this.pageCount = 1;
    this.pageLive = new Int32Array(INITIAL_PAGES);
    this.freePages = new Int32Array(INITIAL_PAGES);
    this.freePageCount = 0;
    this.side.clear();
    this.unaligned = 0;
    this.filter = this.directory;
  }

  /** Bytes held by the table (typed arrays exactly; side entries estimated at 64 B each). */
  byteSize(): number {
    return (
      this.store.byteLength +
      this.directory.byteLength +
      this.pageLive.byteLength +
      this.freePages.byteLength +
      this.side.size * 64
    );
  }

  /** The index in `store` of the word of aligned `ptr`, giving its range a page if needed. */
  private wordIndex(ptr: number): number {
    const index = ptr >>> PAGE_SHIFT;
    let page = index < this.directory.length ? this.directory[index]! : 0;
    if (page === 0) page = this.newPage(index);
    return (page << WORDS_SHIFT) | ((ptr >>> GRANULE_SHIFT) & WORD_MASK);
  }

  /** Gives the range `index` (inside the directory) a page: a free one, all zeros. */
  private attachPage(index: number): number {
    if (this.freePageCount === 0) this.addPages();
    const page = this.freePages[--this.freePageCount]!;
    this.directory[index] = page;
    return page;
  }

  /** Gives the range `index` a page, growing the directory first if it does not reach it. */
  private newPage(index: number): number {
    if (index >= this.directory.length) this.growDirectory(index);
    return this.attachPage(index);
  }

  /** Doubles the directory until it reaches range `index`. */
  private growDirectory(index: number): void {
    let length = this.directory.length * 2;
    while (length <= index) length *= 2;
    this.directory = grown(this.directory, length);
    if (this.unaligned === 0) this.filter = this.directory;
  }

  /**
   * Doubles the store and puts its new pages on the free list (the lowest number on top), so
   * that a range's first trace takes a page in a few loads and stores (out of line: `insert`'s
   * fast path is only the case of a range that has its page).
   */
  private addPages(): void {
    const first = this.pageCount;
    const pages = this.store.length / PAGE_WORDS; // the store's room, in pages
    let end = pages;
    if (first === pages) {
      const store = new Uint32Array(this.store.length * 2);
      store.set(this.store);
      this.store = store;
      end = pages * 2;
    }
    if (end > this.pageLive.length) {
      this.pageLive = grown(this.pageLive, end);
      this.freePages = grown(this.freePages, end);
    }
    for (let page = end - 1; page >= first; page--) this.freePages[this.freePageCount++] = page;
    this.pageCount = end;
  }

  /** Detaches page `page` (its last trace went) from range `index`, for reuse. */
  private releasePage(index: number, page: number): void {
    this.directory[index] = 0;
    this.freePages[this.freePageCount++] = page;
  }

  /** {@link insert}, every case. */
  private insertSlow(ptr: number, size: number, traceback: number): number {
    const old = this.removeSlow(ptr);
    this.place(ptr, size, traceback);
    return old;
  }

  /** {@link remove}, every case. */
  private removeSlow(ptr: number): number {
    let size = -1;
    if ((ptr & 15) === 0) {
      const index = ptr >>> PAGE_SHIFT;
      if (index >= this.directory.length) return -1;
      const page = this.directory[index]!;
      const at = (page << WORDS_SHIFT) | ((ptr >>> GRANULE_SHIFT) & WORD_MASK);
      const word = this.store[at]!;
      if (word === 0) return -1;
      this.store[at] = 0;
      if (this.releasePages && --this.pageLive[page]! === 0) this.releasePage(index, page);
      if (word >>> 16 !== SIDE) return word & 0xffff;
    }
    const entry = this.side.get(ptr);
    if (entry === undefined) return size;
    this.side.delete(ptr);
    // An aligned one was counted down with its word.
    if ((ptr & 15) !== 0 && --this.unaligned === 0) this.filter = this.directory;
    size = entry[0];
    return size;
  }

  /** Records a trace for `ptr`, which has none. */
  private place(ptr: number, size: number, traceback: number): void {
    if ((ptr & 15) !== 0) {
      this.unaligned++;
      this.filter = NO_FILTER;
      this.side.set(ptr, [size, traceback]);
      return;
    }
    const at = this.wordIndex(ptr);
    if (this.releasePages) this.pageLive[at >>> WORDS_SHIFT]!++;
    if (size < MAX_PACKED_SIZE && traceback < MAX_PACKED_TRACEBACK) {
      this.store[at] = (((traceback + 1) << 16) | size) >>> 0;
    } else {
      this.store[at] = (SIDE << 16) >>> 0;
      this.side.set(ptr, [size, traceback]);
    }
  }
}

function grown(array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(length);
  next.set(array);
  return next;
}
