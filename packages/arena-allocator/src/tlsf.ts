import { HeapCorruptionError, type Memory } from '@heapkit/memory';

/**
 * TLSF (Two-Level Segregated Fit, Masmano et al. 2004): O(1) malloc and free with immediate
 * coalescing, for every request above the small threshold. Its space is a set of *segments*,
 * regions it reserved from the memory's region protocol (`Memory.reserve`): when no free block
 * fits, it reserves a new segment (at least `growStep` bytes) and retries; `releaseFreeSegments`
 * gives wholly free ones back, so another allocator can use them.
 *
 * A block is named by its payload pointer `p` (16-byte aligned, never 0). Its header is the
 * 16 bytes just before it:
 *
 * ```
 *   p-16  u32  prevPhys   payload pointer of the previous physical block (0 for a segment's first)
 *   p-12  u32  size|FREE  payload bytes (a multiple of 16); bit 0 set when the block is free
 *   p-8   u32  nextFree   next block in the same free list      (free blocks only)
 *   p-4   u32  prevFree   previous block in the same free list  (free blocks only)
 *   p     ...  payload, `size` bytes; the next block's header follows at p + size
 * ```
 *
 * A segment [start, end) holds its first block's header at `start` (payload at start + 16) and
 * ends with a sentinel: a used, zero-size block whose header is the segment's last 16 bytes and
 * whose payload pointer is `end`, so the last real block always has a next. Free blocks are
 * never adjacent.
 *
 * Size mapping: sizes below 512 go to first level 0 in 16-byte steps; above, the first level
 * is the highest set bit and the second level splits it into 32 ranges. Two bitmaps find a
 * non-empty list of big enough blocks in two `clz32`s.
 */
export const HEADER_BYTES = 16;
export const MIN_BLOCK = 16;
export const FREE_BIT = 1;

const SL_SHIFT = 5;
const SL_COUNT = 1 << SL_SHIFT;
const SMALL_LIMIT = 1 << (SL_SHIFT + 4);
const FL_COUNT = 24;
/** The largest block we ever try to find (keeps the mapping below 2^32). */
export const MAX_BLOCK = 0xf000_0000;

export class Tlsf {
  /** Start of every segment (a region of this allocator), in the order they were reserved. */
  readonly segmentStarts: number[] = [];
  /** End of every segment: the payload pointer of its sentinel. */
  readonly segmentEnds: number[] = [];
  /** Segments reserved and released over the allocator's life. */
  segmentsReserved = 0;
  segmentsReleased = 0;
  /** Called before the allocator grows (shared heaps: take back remote frees); true when it may have freed blocks. */
  reclaimer: (() => boolean) | undefined;
  private flBitmap = 0;
  private readonly slBitmaps = new Uint32Array(FL_COUNT);
  private readonly heads = new Uint32Array(FL_COUNT * SL_COUNT);

  /**
   * @param owner the allocator's owner id in the memory's region protocol
   * @param growStep segments are at least this big
   * @param granule segment sizes are multiples of this (keeps the break aligned for arenas)
   * @param alignment segments start at a multiple of this (a shared heap uses 256, so no word
   *   of its block-state map covers two owners' regions)
   */
  constructor(
    private readonly memory: Memory,
    private readonly owner: number,
    private readonly growStep: number,
    private readonly granule: number,
    private readonly alignment = 16,
  ) {}

  /** Size of block `p`'s payload. */
  sizeOf(p: number): number {
    return (this.memory.u32[(p >>> 2) - 3]! & ~15) >>> 0;
  }

  isFree(p: number): boolean {
    return (this.memory.u32[(p >>> 2) - 3]! & FREE_BIT) !== 0;
  }

  /** The block physically after `p` (the sentinel after the last one). */
  next(p: number): number {
    return p + this.sizeOf(p) + HEADER_BYTES;
  }

  prevPhys(p: number): number {
    return this.memory.u32[(p >>> 2) - 4]!;
  }

  /**
   * Allocates a block of at least `size` bytes; 0 when memory is exhausted.
   * Cost: two bitmap scans, one list unlink, at most one split and its list insert.
   */
  malloc(size: number): number {
    if (size > MAX_BLOCK) return 0;
    size = size <= MIN_BLOCK ? MIN_BLOCK : ((size + 15) & ~15) >>> 0;
    const p = this.findOrGrow(size);
    if (p === 0) return 0;
    const u32 = this.memory.u32;
    this.unlink(u32, p, (u32[(p >>> 2) - 3]! & ~15) >>> 0);
    u32[(p >>> 2) - 3] &= ~FREE_BIT;
    this.splitTail(p, size);
    return p;
  }

  /**
   * Frees block `p`, merging it with free neighbours.
   * Cost: up to two list unlinks and one insert.
   */
  free(p: number): void {
    const u32 = this.memory.u32;
    let size = (u32[(p >>> 2) - 3]! & ~15) >>> 0;
    const n = p + size + HEADER_BYTES;
    const nSizeFlags = u32[(n >>> 2) - 3]!;
    if ((nSizeFlags & FREE_BIT) !== 0) {
      const nSize = (nSizeFlags & ~15) >>> 0;
      this.unlink(u32, n, nSize);
      size += HEADER_BYTES + nSize;
    }
    const prev = u32[(p >>> 2) - 4]!;
    if (prev !== 0) {
      const pSizeFlags = u32[(prev >>> 2) - 3]!;
      if ((pSizeFlags & FREE_BIT) !== 0) {
        const pSize = (pSizeFlags & ~15) >>> 0;
        this.unlink(u32, prev, pSize);
        size += HEADER_BYTES + pSize;
        p = prev;
      }
    }
    u32[(p >>> 2) - 3] = size | FREE_BIT;
    u32[((p + size + HEADER_BYTES) >>> 2) - 4] = p;
    this.link(u32, p, size);
  }

  /**
   * Resizes used block `p` in place: shrinks it (the tail goes back to the free lists) or grows
   * it into a free next neighbour. Returns false, changing nothing, when it cannot.
   */
  resizeInPlace(p: number, size: number): boolean {
    if (size > MAX_BLOCK) return false;
    size = size <= MIN_BLOCK ? MIN_BLOCK : ((size + 15) & ~15) >>> 0;
    const u32 = this.memory.u32;
    const current = (u32[(p >>> 2) - 3]! & ~15) >>> 0;
    if (size <= current) {
      this.splitTail(p, size);
      return true;
    }
    const n = p + current + HEADER_BYTES;
    const nSizeFlags = u32[(n >>> 2) - 3]!;
    if ((nSizeFlags & FREE_BIT) === 0) return false;
    const merged = current + HEADER_BYTES + ((nSizeFlags & ~15) >>> 0);
    if (merged < size) return false;
    this.unlink(u32, n, (nSizeFlags & ~15) >>> 0);
    u32[(p >>> 2) - 3] = merged;
    u32[((p + merged + HEADER_BYTES) >>> 2) - 4] = p;
    this.splitTail(p, size);
    return true;
  }

  /**
   * Makes room for a free block of `size` bytes: grows one of the newest segments in place when
   * the memory has free bytes right after it (as `sbrk` callers do, so the heap stays
   * contiguous and coalesces), else reserves a new segment. A whole `growStep` when the memory
   * has room, else just what is needed. False when the memory cannot provide it.
   */
  private grow(size: number): boolean {
    // findFit rounds the request up to its list's lower bound: the new space must cover that.
    const searched = size >= SMALL_LIMIT ? size + (1 << (31 - Math.clz32(size) - SL_SHIFT)) : size;
    const step = this.roundUp(this.growStep);
    const u32 = this.memory.u32;
    for (let i = this.segmentStarts.length - 1; i >= 0 && i >= this.segmentStarts.length - 4; i--) {
      const start = this.segmentStarts[i]!;
      const end = this.segmentEnds[i]!;
      // A free last block merges with the new space, so only the rest is needed.
      const last = u32[(end >>> 2) - 4]!;
      const lastFlags = u32[(last >>> 2) - 3]!;
      const tail = (lastFlags & FREE_BIT) !== 0 ? ((lastFlags & ~15) >>> 0) + HEADER_BYTES : 0;
      const needed = this.roundUp(Math.max(searched + HEADER_BYTES - tail, HEADER_BYTES + MIN_BLOCK));
      if (end + needed > 2 ** 32) continue;
      if (
        this.memory.extend(start, this.owner, end - start + Math.max(needed, step)) ||
        this.memory.extend(start, this.owner, end - start + needed)
      ) {
        this.extendSegment(i, this.memory.regionOf(start)!.end);
        return true;
      }
    }
    const needed = this.roundUp(searched + 2 * HEADER_BYTES);
    if (needed > MAX_BLOCK + 2 * HEADER_BYTES) return false;
    let bytes = Math.max(needed, step);
    let start = this.memory.reserve(bytes, this.owner, this.alignment);
    if (start === 0 && bytes > needed) {
      bytes = needed;
      start = this.memory.reserve(bytes, this.owner, this.alignment);
    }
    if (start === 0) return false;
    const p = start + HEADER_BYTES;
    const end = start + bytes;
    const v = this.memory.u32;
    v[(p >>> 2) - 4] = 0;
    v[(p >>> 2) - 3] = bytes - 2 * HEADER_BYTES;
    this.writeSentinel(v, end, p);
    this.segmentStarts.push(start);
    this.segmentEnds.push(end);
    this.segmentsReserved++;
    this.free(p);
    return true;
  }

  /** Segment `i` grew to `newEnd`: its old sentinel becomes a free block (merged), a new one ends it. */
  private extendSegment(i: number, newEnd: number): void {
    const u32 = this.memory.u32;
    const oldEnd = this.segmentEnds[i]!;
    u32[(oldEnd >>> 2) - 3] = newEnd - oldEnd - HEADER_BYTES;
    this.writeSentinel(u32, newEnd, oldEnd);
    this.segmentEnds[i] = newEnd;
    this.free(oldEnd);
  }

  /** The used, zero-size block whose payload pointer is a segment's `end`. */
  private writeSentinel(u32: Uint32Array, end: number, prevPhys: number): void {
    const si = end >>> 2;
    u32[si - 4] = prevPhys;
    u32[si - 3] = 0;
    u32[si - 2] = 0;
    u32[si - 1] = 0;
  }

  private roundUp(bytes: number): number {
    return Math.ceil(bytes / this.granule) * this.granule;
  }

  /**
   * Takes over segment [start, end) (already transferred to this allocator's owner) from a
   * departed allocator of the shared heap: walks its blocks from the first to the sentinel and
   * puts the free ones on this allocator's free lists. Throws HeapCorruptionError, adopting
   * nothing, when the chain does not lead to the sentinel.
   */
  adoptSegment(start: number, end: number): void {
    const u32 = this.memory.u32;
    const free: number[] = [];
    let prev = 0;
    let p = start + HEADER_BYTES;
    while (p !== end) {
      const sizeFlags = u32[(p >>> 2) - 3]!;
      if (p > end || (p & 15) !== 0 || u32[(p >>> 2) - 4] !== prev || (sizeFlags === 0 && p !== end)) {
        throw new HeapCorruptionError(p, `an adopted large-block segment's chain is damaged at ${p}`);
      }
      if ((sizeFlags & FREE_BIT) !== 0) free.push(p);
      prev = p;
      p += ((sizeFlags & ~15) >>> 0) + HEADER_BYTES;
    }
    for (const f of free) this.link(u32, f, (u32[(f >>> 2) - 3]! & ~15) >>> 0);
    this.segmentStarts.push(start);
    this.segmentEnds.push(end);
    this.segmentsReserved++;
  }

  /** Gives every wholly free segment back to the memory's region protocol. Returns how many. */
  releaseFreeSegments(): number {
    const u32 = this.memory.u32;
    let released = 0;
    for (let i = this.segmentStarts.length - 1; i >= 0; i--) {
      const start = this.segmentStarts[i]!;
      const end = this.segmentEnds[i]!;
      const p = start + HEADER_BYTES;
      const sizeFlags = u32[(p >>> 2) - 3]!;
      if ((sizeFlags & FREE_BIT) === 0 || p + ((sizeFlags & ~15) >>> 0) + HEADER_BYTES !== end) continue;
      this.unlink(u32, p, (sizeFlags & ~15) >>> 0);
      this.segmentStarts.splice(i, 1);
      this.segmentEnds.splice(i, 1);
      this.memory.release(start, this.owner);
      this.segmentsReleased++;
      released++;
    }
    return released;
  }

  /** The segment holding `ptr` as [start, end), or undefined (a scan: for errors and checks). */
  segmentOf(ptr: number): [number, number] | undefined {
    for (let i = 0; i < this.segmentStarts.length; i++) {
      if (ptr >= this.segmentStarts[i]! && ptr < this.segmentEnds[i]!) {
        return [this.segmentStarts[i]!, this.segmentEnds[i]!];
      }
    }
    return undefined;
  }

  /** Total bytes in free blocks (payloads only) and their count, by walking the free lists. */
  freeListTotals(): { bytes: number; blocks: number; largest: number } {
    const u32 = this.memory.u32;
    let bytes = 0;
    let blocks = 0;
    let largest = 0;
    for (let i = 0; i < this.heads.length; i++) {
      for (let p = this.heads[i]!; p !== 0; p = u32[(p >>> 2) - 2]!) {
        const size = (u32[(p >>> 2) - 3]! & ~15) >>> 0;
        bytes += size;
        blocks++;
        if (size > largest) largest = size;
      }
    }
    return { bytes, blocks, largest };
  }

  /**
   * Checks the free-list structure (links, bitmaps, that each block is free and in the list
   * its size maps to). Returns a description of the first problem, or undefined.
   */
  checkFreeLists(): string | undefined {
    const u32 = this.memory.u32;
    for (let fl = 0; fl < FL_COUNT; fl++) {
      const flSet = (this.flBitmap & (1 << fl)) !== 0;
      if (flSet !== (this.slBitmaps[fl] !== 0))
        return `first-level bitmap bit ${fl} disagrees with its lists`;
      for (let sl = 0; sl < SL_COUNT; sl++) {
        const head = this.heads[fl * SL_COUNT + sl]!;
        const slSet = (this.slBitmaps[fl]! & (1 << sl)) !== 0;
        if (slSet !== (head !== 0)) return `bitmap bit (${fl},${sl}) disagrees with its list`;
        let prev = 0;
        for (let p = head, steps = 0; p !== 0; p = u32[(p >>> 2) - 2]!, steps++) {
          if (this.segmentOf(p) === undefined || (p & 15) !== 0) {
            return `free list (${fl},${sl}) links to ${p}, outside every segment`;
          }
          if (steps > 2 ** 27) return `free list (${fl},${sl}) has a cycle`;
          const sizeFlags = u32[(p >>> 2) - 3]!;
          if ((sizeFlags & FREE_BIT) === 0) return `block ${p} is in a free list but marked used`;
          const index = mapInsert((sizeFlags & ~15) >>> 0);
          if (index !== fl * SL_COUNT + sl)
            return `block ${p} of size ${(sizeFlags & ~15) >>> 0} is in the wrong list`;
          if (u32[(p >>> 2) - 1] !== prev) return `block ${p} has a wrong back link`;
          prev = p;
        }
      }
    }
    return undefined;
  }

  /** Bytes the TLSF control structure takes on the JS side. */
  get metadataBytes(): number {
    return this.slBitmaps.byteLength + this.heads.byteLength + 8 + 16 * this.segmentStarts.length;
  }

  /** A free block of at least `size` bytes, reserving a segment when none fits; 0 if it cannot. */
  private findOrGrow(size: number): number {
    let p = this.findFit(size);
    if (p !== 0) return p;
    // A shared heap first takes back the large blocks other workers freed.
    if (this.reclaimer?.()) {
      p = this.findFit(size);
      if (p !== 0) return p;
    }
    if (!this.grow(size)) return 0;
    return this.findFit(size);
  }

  private findFit(size: number): number {
    let index = mapSearch(size);
    let fl = index >>> SL_SHIFT;
    let slMap = this.slBitmaps[fl]! & (~0 << (index & (SL_COUNT - 1)));
    if (slMap === 0) {
      const flMap = fl + 1 < FL_COUNT ? this.flBitmap & (~0 << (fl + 1)) : 0;
      if (flMap === 0) return 0;
      fl = ctz(flMap);
      slMap = this.slBitmaps[fl]!;
    }
    index = fl * SL_COUNT + ctz(slMap);
    return this.heads[index]!;
  }

  /** Cuts used block `p` down to `size`, freeing the tail when it can hold a block. */
  private splitTail(p: number, size: number): void {
    const u32 = this.memory.u32;
    const pi = p >>> 2;
    const current = (u32[pi - 3]! & ~15) >>> 0;
    const rest = current - size;
    if (rest < HEADER_BYTES + MIN_BLOCK) return;
    u32[pi - 3] = size | (u32[pi - 3]! & FREE_BIT);
    const q = p + size + HEADER_BYTES;
    const qi = q >>> 2;
    u32[qi - 4] = p;
    u32[qi - 3] = rest - HEADER_BYTES;
    u32[((q + rest) >>> 2) - 4] = q;
    this.free(q);
  }

  private link(u32: Uint32Array, p: number, size: number): void {
    const index = mapInsert(size);
    const head = this.heads[index]!;
    const pi = p >>> 2;
    u32[pi - 2] = head;
    u32[pi - 1] = 0;
    if (head !== 0) u32[(head >>> 2) - 1] = p;
    this.heads[index] = p;
    const fl = index >>> SL_SHIFT;
    this.flBitmap |= 1 << fl;
    this.slBitmaps[fl]! |= 1 << (index & (SL_COUNT - 1));
  }

  private unlink(u32: Uint32Array, p: number, size: number): void {
    const pi = p >>> 2;
    const next = u32[pi - 2]!;
    const prev = u32[pi - 1]!;
    if (next !== 0) u32[(next >>> 2) - 1] = prev;
    if (prev !== 0) {
      u32[(prev >>> 2) - 2] = next;
      return;
    }
    const index = mapInsert(size);
    this.heads[index] = next;
    if (next === 0) {
      const fl = index >>> SL_SHIFT;
      const sl = this.slBitmaps[fl]! & ~(1 << (index & (SL_COUNT - 1)));
      this.slBitmaps[fl] = sl;
      if (sl === 0) this.flBitmap &= ~(1 << fl);
    }
  }
}

/** The list index (fl * 32 + sl) a free block of `size` bytes belongs to. */
function mapInsert(size: number): number {
  if (size < SMALL_LIMIT) return size >>> 4;
  const msb = 31 - Math.clz32(size);
  const fl = msb - (SL_SHIFT + 4) + 1;
  return fl * SL_COUNT + ((size >>> (msb - SL_SHIFT)) & (SL_COUNT - 1));
}

/** The first list index whose blocks are all at least `size` bytes. */
function mapSearch(size: number): number {
  if (size >= SMALL_LIMIT) size += (1 << (31 - Math.clz32(size) - SL_SHIFT)) - 1;
  return mapInsert(size);
}

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}
