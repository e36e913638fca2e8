import type { Memory } from '@heapkit/memory';
import type { ResolvedConfig } from './config.js';
import * as config from './config.js';
import * as layout from './pool-header.js';

// Module-local copies of imported constants: V8 folds a module's own constants into optimized
// code, but loads an imported binding from its cell (with a hole check) at every use.
const { ALIGNMENT_SHIFT } = config;
const { POOL_HEADER_BYTES, POOL_NEXT_PENDING, POOL_OWNER_SLOT, POOL_XFREE } = layout;
/** Pool header words, from the pool's first word (drawn in pool-header.ts). */
const {
  POOL_REF_WORD: REF,
  POOL_FREEBLOCK_WORD: FREEBLOCK,
  POOL_NEXTPOOL_WORD: NEXTPOOL,
  POOL_PREVPOOL_WORD: PREVPOOL,
  POOL_ARENA_WORD: ARENA,
  POOL_SZIDX_WORD: SZIDX,
  POOL_NEXTOFFSET_WORD: NEXTOFFSET,
  POOL_MAXNEXTOFFSET_WORD: MAXNEXTOFFSET,
} = layout;

/** `poolClass` of a pool that is not carved by this allocator (never a size class). */
export const FOREIGN = 255;

/**
 * Bytes of each block of `pool`, from its header's size class: for a pool whose `poolClass` this
 * allocator does not know (another allocator's, in a shared heap).
 */
export function headerBlockSize(u32: Uint32Array, pool: number): number {
  return (u32[(pool >>> 2) + SZIDX]! + 1) << ALIGNMENT_SHIFT;
}

/**
 * pymalloc, after CPython's `Objects/obmalloc.c`: small requests are rounded up to one of
 * `smallThreshold / 16` size classes and served from pools, each pool a `poolSize`-aligned
 * piece of an arena that holds blocks of one class.
 *
 * Pool header: see `pool-header.ts`.
 *
 * Free blocks form a list through their own first word; never-used blocks are carved from
 * `nextoffset` only when the list runs out, so a pool's memory is touched lazily.
 * `usedpools[c]` lists the pools of class `c` that have a free block: `malloc` takes from its
 * head in O(1). A pool that becomes empty goes to its arena's `freepools`, reusable by any class.
 *
 * Arenas are regions of their own, reserved from the memory's region protocol aligned to the
 * pool size, and released back to it when wholly free (one is kept as a spare). The arenas that have a free pool are kept in a
 * list sorted by free-pool count, fewest first, so allocation packs the fullest arenas and
 * the emptiest ones can drain and be released (one wholly free arena is kept as a spare).
 * `nfp2lasta[k]` is the last arena in that list with exactly `k` free pools, which keeps the
 * list sorted in O(1) as counts move by one. Arena records live on the JS side, indexed by id.
 */
export class Pools {
  /** usedpools: for each size class, the first pool with a free block (0: none). */
  readonly usedpools: Uint32Array;

  // Arena records, by id (ids start at 1; 0 means "none").
  /** Base address of the arena's pools (0: id not in use). */
  arenaAddress = new Uint32Array(8);
  /** Address of the first never-carved pool. */
  arenaPoolAddress = new Uint32Array(8);
  arenaFreePoolCount = new Uint32Array(8);
  /** First pool of the arena's free-pool list, linked through `nextpool`. */
  arenaFreePools = new Uint32Array(8);
  arenaNext = new Uint32Array(8);
  arenaPrev = new Uint32Array(8);
  /** Head of the sorted list of arenas that have a free pool. */
  usableArenas = 0;
  readonly nfp2lasta: Uint32Array;
  private readonly unusedIds: number[] = [];
  private nextId = 1;

  /** Arenas allocated over the allocator's life, released, and the most at once. */
  arenasAllocated = 0;
  arenasReleased = 0;
  arenasHighWater = 0;

  /** The owner's heap slot, written into every pool carved (shared heaps; 0 otherwise). */
  slot = 0;
  /**
   * Called before a new pool is carved (shared heaps: take back remote frees, adopt abandoned
   * pools); true when it may have made a pool of some class usable.
   */
  reclaimer: (() => boolean) | undefined;

  readonly poolSize: number;
  private readonly poolShift: number;
  /**
   * @internal Size class of every pool, by pool number (address >>> poolShift): read by free's
   * fast path. Replaced (bigger) by `resize`.
   */
  poolClass: Uint8Array;
  private readonly arenaSize: number;
  private readonly poolsPerArena: number;

  /** @param owner the allocator's owner id in the memory's region protocol */
  constructor(
    private readonly memory: Memory,
    private readonly owner: number,
    config: ResolvedConfig,
  ) {
    this.usedpools = new Uint32Array(config.sizeClasses);
    this.poolSize = config.poolSize;
    this.arenaSize = config.arenaSize;
    this.poolsPerArena = config.poolsPerArena;
    this.nfp2lasta = new Uint32Array(config.poolsPerArena + 1);
    this.poolShift = config.poolShift;
    this.poolClass = new Uint8Array(Math.ceil(memory.byteLength / config.poolSize)).fill(FOREIGN);
  }

  /** Makes room in the per-pool tables for a memory of `byteLength` bytes. */
  resize(byteLength: number): void {
    const pools = Math.ceil(byteLength / this.poolSize);
    if (pools <= this.poolClass.length) return;
    const poolClass = new Uint8Array(Math.max(pools, Math.ceil(this.poolClass.length * 1.25))).fill(FOREIGN);
    poolClass.set(this.poolClass);
    this.poolClass = poolClass;
  }

  /** Arenas currently allocated. */
  get arenaCount(): number {
    return this.arenasAllocated - this.arenasReleased;
  }

  /** The highest arena id ever used; ids 1..this may be live (check `arenaAddress`). */
  get maxArenaId(): number {
    return this.nextId - 1;
  }

  /**
   * Allocates a block of size class `szidx`; 0 when no arena can be reserved (the caller then
   * falls back to the large-block allocator, as CPython falls back to the raw allocator).
   * The caller marks the block live in the block-state map.
   * Fast path: one load of usedpools, three header words, one free-list word.
   */
  alloc(szidx: number): number {
    const pool = this.usedpools[szidx]!;
    if (pool === 0) return this.allocFromNewPool(szidx);
    const u32 = this.memory.u32;
    const h = pool >>> 2;
    const block = u32[h + FREEBLOCK]!;
    u32[h + REF]!++;
    const next = u32[block >>> 2]!;
    if (next !== 0) u32[h + FREEBLOCK] = next;
    else this.advance(u32, pool, szidx);
    return block;
  }

  /**
   * Returns a block to its pool (the caller has checked that it is live and marked it freed).
   * Fast path: two header words and the block's link word.
   */
  release(ptr: number): void {
    const u32 = this.memory.u32;
    const pool = ptr - (ptr & (this.poolSize - 1));
    const h = pool >>> 2;
    const lastfree = u32[h + FREEBLOCK]!;
    u32[ptr >>> 2] = lastfree;
    u32[h + FREEBLOCK] = ptr;
    const ref = --u32[h + REF]!;
    if (lastfree === 0) {
      // The pool was full, so it was in no list: it has a free block again.
      this.linkUsedPool(u32, pool, u32[h + SZIDX]!);
      return;
    }
    if (ref !== 0) return;
    this.unlinkUsedPool(u32, pool, u32[h + SZIDX]!);
    this.poolBecameEmpty(u32, pool, u32[h + ARENA]!);
  }

  /**
   * Returns blocks `ptrs[from..to)`, all of `pool`, live until now (the caller has checked each
   * and marked it freed). When they are every block the pool holds, the pool is released whole
   * without touching them: its free list is never read again, since a pool taken back into use
   * is carved from its start (`allocFromNewPool`). Otherwise each goes back as by `release`.
   */
  releaseRun(ptrs: Uint32Array, from: number, to: number, pool: number): void {
    const u32 = this.memory.u32;
    const h = pool >>> 2;
    if (to - from !== u32[h + REF]) {
      for (let k = from; k < to; k++) this.release(ptrs[k]!);
      return;
    }
    u32[h + REF] = 0;
    // A pool with a free block is in usedpools; a full one is in no list.
    if (u32[h + FREEBLOCK] !== 0) this.unlinkUsedPool(u32, pool, u32[h + SZIDX]!);
    this.poolBecameEmpty(u32, pool, u32[h + ARENA]!);
  }

  /** Block size of the pool block at `ptr`. */
  blockSize(ptr: number): number {
    return (this.poolClass[ptr >>> this.poolShift]! + 1) << ALIGNMENT_SHIFT;
  }

  /** The arena id owning address `ptr`, or 0 (a scan: for error messages and checks only). */
  arenaOf(ptr: number): number {
    for (let id = 1; id < this.nextId; id++) {
      const base = this.arenaAddress[id]!;
      if (base !== 0 && ptr >= base && ptr < base + this.arenaSize) return id;
    }
    return 0;
  }

  /** Releases every wholly free arena (the spare included). Returns how many. */
  releaseFreeArenas(): number {
    let released = 0;
    for (let id = this.usableArenas; id !== 0; ) {
      const next = this.arenaNext[id]!;
      if (this.arenaFreePoolCount[id] === this.poolsPerArena) {
        this.unlinkArena(id);
        this.releaseArena(id);
        released++;
      }
      id = next;
    }
    return released;
  }

  /** The free list ran out: carve the next never-used block, or mark the pool full. */
  private advance(u32: Uint32Array, pool: number, szidx: number): void {
    const h = pool >>> 2;
    const offset = u32[h + NEXTOFFSET]!;
    if (offset <= u32[h + MAXNEXTOFFSET]!) {
      const block = pool + offset;
      u32[h + NEXTOFFSET] = offset + ((szidx + 1) << ALIGNMENT_SHIFT);
      u32[block >>> 2] = 0;
      u32[h + FREEBLOCK] = block;
      return;
    }
    u32[h + FREEBLOCK] = 0;
    this.unlinkUsedPool(u32, pool, szidx);
  }

  private allocFromNewPool(szidx: number): number {
    // A shared heap first takes back what other workers freed: that bounds the pools in use
    // while blocks are in flight (a new pool is carved only when none came back).
    // Whatever it returns, look again: it may have put a pool of this class back in usedpools
    // (a block of the allocator's own coming home counts as nothing taken back).
    this.reclaimer?.();
    if (this.usedpools[szidx] !== 0) return this.alloc(szidx);
    let arena = this.usableArenas;
    if (arena === 0) {
      arena = this.newArena();
      if (arena === 0) return 0;
    }
    // Take a pool from the arena at the head (the one with the fewest free pools).
    let u32 = this.memory.u32;
    let pool = this.arenaFreePools[arena]!;
    if (pool !== 0) {
      this.arenaFreePools[arena] = u32[(pool >>> 2) + NEXTPOOL]!;
    } else {
      pool = this.arenaPoolAddress[arena]!;
      this.arenaPoolAddress[arena] = pool + this.poolSize;
    }
    const nf = this.arenaFreePoolCount[arena]!;
    if (this.nfp2lasta[nf] === arena) this.nfp2lasta[nf] = 0;
    this.arenaFreePoolCount[arena] = nf - 1;
    if (nf - 1 > 0) {
      // Still the head: it had the fewest free pools, and now has one fewer.
      if (this.nfp2lasta[nf - 1] === 0) this.nfp2lasta[nf - 1] = arena;
    } else {
      this.usableArenas = this.arenaNext[arena]!;
      if (this.usableArenas !== 0) this.arenaPrev[this.usableArenas] = 0;
      this.arenaNext[arena] = 0;
    }
    u32 = this.memory.u32;
    const size = (szidx + 1) << ALIGNMENT_SHIFT;
    const h = pool >>> 2;
    const block = pool + POOL_HEADER_BYTES;
    u32[h + REF] = 1;
    u32[h + ARENA] = arena;
    u32[h + SZIDX] = szidx;
    u32[h + NEXTOFFSET] = POOL_HEADER_BYTES + size;
    u32[h + MAXNEXTOFFSET] = this.poolSize - size;
    u32[(pool + POOL_OWNER_SLOT) >>> 2] = this.slot;
    u32[(pool + POOL_XFREE) >>> 2] = 0; // no block of an empty pool can be in flight
    u32[(pool + POOL_NEXT_PENDING) >>> 2] = 0;
    // usedpools[szidx] is empty (that is why we are here): the new pool becomes its only entry.
    u32[h + NEXTPOOL] = 0;
    u32[h + PREVPOOL] = 0;
    this.usedpools[szidx] = pool;
    this.poolClass[pool >>> this.poolShift] = szidx;
    this.advance(u32, pool, szidx);
    return block;
  }

  private linkUsedPool(u32: Uint32Array, pool: number, szidx: number): void {
    const head = this.usedpools[szidx]!;
    const h = pool >>> 2;
    u32[h + NEXTPOOL] = head;
    u32[h + PREVPOOL] = 0;
    if (head !== 0) u32[(head >>> 2) + PREVPOOL] = pool;
    this.usedpools[szidx] = pool;
  }

  private unlinkUsedPool(u32: Uint32Array, pool: number, szidx: number): void {
    const h = pool >>> 2;
    const next = u32[h + NEXTPOOL]!;
    const prev = u32[h + PREVPOOL]!;
    if (next !== 0) u32[(next >>> 2) + PREVPOOL] = prev;
    if (prev !== 0) u32[(prev >>> 2) + NEXTPOOL] = next;
    else this.usedpools[szidx] = next;
  }

  /** A pool emptied: give it to its arena and keep the arena list sorted. */
  private poolBecameEmpty(u32: Uint32Array, pool: number, arena: number): void {
    u32[(pool >>> 2) + NEXTPOOL] = this.arenaFreePools[arena]!;
    this.arenaFreePools[arena] = pool;
    const nf = ++this.arenaFreePoolCount[arena]!;
    if (nf === 1) {
      // The arena was full, so in no list; with one free pool it belongs at the head.
      const head = this.usableArenas;
      this.arenaNext[arena] = head;
      this.arenaPrev[arena] = 0;
      if (head !== 0) this.arenaPrev[head] = arena;
      this.usableArenas = arena;
      if (this.nfp2lasta[1] === 0) this.nfp2lasta[1] = arena;
    } else {
      // It sat among the arenas with nf-1 free pools; move it to the end of that run.
      const lastOfRun = this.nfp2lasta[nf - 1]!;
      if (lastOfRun === arena) {
        const prev = this.arenaPrev[arena]!;
        this.nfp2lasta[nf - 1] = prev !== 0 && this.arenaFreePoolCount[prev] === nf - 1 ? prev : 0;
      } else {
        this.removeFromList(arena);
        this.insertAfter(arena, lastOfRun);
      }
      if (this.nfp2lasta[nf] === 0) this.nfp2lasta[nf] = arena;
    }
    if (nf === this.poolsPerArena) {
      // Wholly free. Keep one such arena as a spare; release any other.
      const prev = this.arenaPrev[arena]!;
      const another = this.nfp2lasta[nf] !== arena || (prev !== 0 && this.arenaFreePoolCount[prev] === nf);
      if (another) {
        this.unlinkArena(arena);
        this.releaseArena(arena);
      }
    }
  }

  /** Removes an arena from the usable list, keeping nfp2lasta right. */
  private unlinkArena(arena: number): void {
    const nf = this.arenaFreePoolCount[arena]!;
    if (this.nfp2lasta[nf] === arena) {
      const prev = this.arenaPrev[arena]!;
      this.nfp2lasta[nf] = prev !== 0 && this.arenaFreePoolCount[prev] === nf ? prev : 0;
    }
    this.removeFromList(arena);
  }

  private removeFromList(arena: number): void {
    const prev = this.arenaPrev[arena]!;
    const next = this.arenaNext[arena]!;
    if (prev !== 0) this.arenaNext[prev] = next;
    else this.usableArenas = next;
    if (next !== 0) this.arenaPrev[next] = prev;
    this.arenaNext[arena] = 0;
    this.arenaPrev[arena] = 0;
  }

  private insertAfter(arena: number, after: number): void {
    const next = this.arenaNext[after]!;
    this.arenaPrev[arena] = after;
    this.arenaNext[arena] = next;
    this.arenaNext[after] = arena;
    if (next !== 0) this.arenaPrev[next] = arena;
  }

  private newArena(): number {
    const address = this.memory.reserve(this.arenaSize, this.owner, this.poolSize);
    if (address === 0) return 0;
    const id = this.newArenaRecord(address);
    this.arenaPoolAddress[id] = address;
    this.arenaFreePoolCount[id] = this.poolsPerArena;
    this.usableArenas = id;
    this.nfp2lasta[this.poolsPerArena] = id;
    return id;
  }

  /** A record for arena `address`, in no list, with no pools yet. */
  private newArenaRecord(address: number): number {
    let id = this.unusedIds.pop();
    if (id === undefined) {
      id = this.nextId++;
      if (id >= this.arenaAddress.length) this.growArenaRecords();
    }
    this.arenaAddress[id] = address;
    this.arenaPoolAddress[id] = address;
    this.arenaFreePoolCount[id] = 0;
    this.arenaFreePools[id] = 0;
    this.arenaNext[id] = 0;
    this.arenaPrev[id] = 0;
    this.arenasAllocated++;
    const current = this.arenaCount;
    if (current > this.arenasHighWater) this.arenasHighWater = current;
    return id;
  }

  private releaseArena(id: number): void {
    const first = this.arenaAddress[id]! >>> this.poolShift;
    this.poolClass.fill(FOREIGN, first, first + this.poolsPerArena);
    this.memory.release(this.arenaAddress[id]!, this.owner);
    this.arenaAddress[id] = 0;
    this.arenaPoolAddress[id] = 0;
    this.arenaFreePoolCount[id] = 0;
    this.arenaFreePools[id] = 0;
    this.unusedIds.push(id);
    this.arenasReleased++;
  }

  /**
   * Takes over arena `address` (already transferred to this allocator's owner) from a departed
   * allocator of the shared heap, trusting only the block-state map: a pool with a live block
   * keeps its header's class and gets a free list of every other block (`ref` = its live
   * blocks, which include blocks still on its cross-thread list); a pool without one is free.
   * Returns the number of live blocks, or -1 (the arena released) when it had none.
   */
  adoptArena(address: number, isLive: (ptr: number) => boolean): number {
    const u32 = this.memory.u32;
    let freePools = 0;
    let freeList = 0;
    let live = 0;
    const id = this.newArenaRecord(address);
    for (let pool = address + this.arenaSize - this.poolSize; pool >= address; pool -= this.poolSize) {
      const h = pool >>> 2;
      const szidx = u32[h + SZIDX]!;
      const size = (szidx + 1) << ALIGNMENT_SHIFT;
      // The pool's last block: blocks are walked down to the first, so its free list runs up.
      const last = pool + this.poolSize - size - ((this.poolSize - POOL_HEADER_BYTES) % size);
      let ref = 0;
      let head = 0;
      if (szidx < this.usedpools.length) {
        for (let b = last; b >= pool + POOL_HEADER_BYTES; b -= size) {
          if (isLive(b)) ref++;
        }
      }
      if (ref === 0) {
        u32[h + REF] = 0;
        u32[h + NEXTPOOL] = freeList;
        freeList = pool;
        freePools++;
        continue;
      }
      for (let b = last; b >= pool + POOL_HEADER_BYTES; b -= size) {
        if (isLive(b)) continue;
        u32[b >>> 2] = head;
        head = b;
      }
      live += ref;
      u32[h + REF] = ref;
      u32[h + FREEBLOCK] = head;
      u32[h + ARENA] = id;
      // Every block counts as carved: the free list holds all that are not live.
      u32[h + NEXTOFFSET] = POOL_HEADER_BYTES + Math.floor((this.poolSize - POOL_HEADER_BYTES) / size) * size;
      u32[h + MAXNEXTOFFSET] = this.poolSize - size;
      u32[(pool + POOL_OWNER_SLOT) >>> 2] = this.slot;
      this.poolClass[pool >>> this.poolShift] = szidx;
      if (head !== 0) this.linkUsedPool(u32, pool, szidx);
    }
    this.arenaPoolAddress[id] = address + this.arenaSize;
    this.arenaFreePools[id] = freeList;
    this.arenaFreePoolCount[id] = freePools;
    if (freePools === this.poolsPerArena) {
      this.releaseArena(id);
      return -1;
    }
    if (freePools > 0) this.insertSorted(id);
    return live;
  }

  /** Puts arena `id` (not in the list) into the usable list at its place by free-pool count. */
  private insertSorted(id: number): void {
    const nf = this.arenaFreePoolCount[id]!;
    let after = 0;
    for (let a = this.usableArenas; a !== 0 && this.arenaFreePoolCount[a]! <= nf; a = this.arenaNext[a]!)
      after = a;
    if (after === 0) {
      const head = this.usableArenas;
      this.arenaNext[id] = head;
      this.arenaPrev[id] = 0;
      if (head !== 0) this.arenaPrev[head] = id;
      this.usableArenas = id;
    } else {
      this.insertAfter(id, after);
    }
    if (this.nfp2lasta[nf] === 0 || this.nfp2lasta[nf] === after) this.nfp2lasta[nf] = id;
  }

  private growArenaRecords(): void {
    const size = this.arenaAddress.length * 2;
    const grow = (a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.arenaAddress = grow(this.arenaAddress);
    this.arenaPoolAddress = grow(this.arenaPoolAddress);
    this.arenaFreePoolCount = grow(this.arenaFreePoolCount);
    this.arenaFreePools = grow(this.arenaFreePools);
    this.arenaNext = grow(this.arenaNext);
    this.arenaPrev = grow(this.arenaPrev);
  }

  /** Bytes the arena records and size-class tables take on the JS side. */
  get metadataBytes(): number {
    return (
      this.usedpools.byteLength +
      this.poolClass.byteLength +
      this.nfp2lasta.byteLength +
      6 * this.arenaAddress.byteLength +
      4 * this.unusedIds.length
    );
  }
}
