import { ConfigurationError, HeapCorruptionError, type Memory } from '@heapkit/memory';
import { POOL_NEXT_PENDING, POOL_OWNER_SLOT, POOL_XFREE } from './pool-header.js';

/**
 * The shared heap's record: what every `ArenaAllocator({ shared: true })` attached to one memory
 * agrees on, kept in the memory's root region (see `Memory.reserveRoot`) so a worker finds it
 * with nothing posted but the memory. Little-endian u32 words:
 *
 * ```
 *   0    magic        0x48534b48 ("HKSH"), written last when the record is set up
 *   4    version      2
 *   8    poolSize     every shared allocator uses these two sizes
 *   12   arenaSize
 *   16   span         64 KiB pages of memory the maps below cover (the first allocator's maxBytes)
 *   20   blockMap     byte offset of the block map (below): each granule's 2 state bits and its
 *                     remote-free bit, side by side in one cache line
 *   24   zero         (version 2 kept a separate remote-free map here)
 *   28   slots        number of heap slots (slot 0 is never used: 0 means "no slot")
 *   32   abandoned    slots detached and not yet adopted (atomic)
 *   36..63            zero
 *   64   slot records, SLOT_BYTES each:
 *        +0  status        FREE, ATTACHED, ABANDONED, ADOPTING or ADOPTED (changed with CAS)
 *        +4  arenaOwner    region owner id of the slot's arenas
 *        +8  largeOwner    region owner id of the slot's large-block (TLSF) segments
 *        +12 pendingPools  stack of pools with remote frees, linked through POOL_NEXT_PENDING
 *        +16 remoteLarge   stack of remotely freed large blocks, linked through their first word
 *        +20 forward       ADOPTED: the slot that took this one over and drains its stacks
 *        +24 batches       stack of published remote-free batches for this slot's blocks,
 *                          linked through BATCH_LINK (see `remote-batches.ts`)
 *        +28 openBatches   this slot's own batches still being filled, linked through
 *                          BATCH_NEXT_OPEN; written only by the slot's allocator (plain stores)
 * ```
 *
 * The block map: for every 2 KiB of the memory, one 64-byte line of 16 u32 words. Words 0-7 are
 * the block-state words of its eight 256-byte spans (2 bits per 16-byte granule, the layout of
 * `block-states.ts`), written only by the owner of the region holding the granule, with plain
 * stores. Words 8-11 are the remote-free words of its four 512-byte spans (1 bit per granule, bit
 * `(ptr >>> 4) & 31`), set with `Atomics.or` by a worker freeing a block it does not own and
 * cleared with `Atomics.and` by the owner when it takes the block back. Words 12-15 are unused.
 * So the owner's free reads one line for both checks (is the block live, did another worker free
 * it already), and a remote free reads and writes one line of the owner's:
 *
 * ```
 *   line of 2 KiB at g = ptr >>> 11, word index (g << 4) + ...
 *   | 0: state 0-255 | 1 | 2 | 3 | 4 | 5 | 6 | 7: state 1792-2047 | 8: remote 0-511 | 9 | 10 | 11 | 12-15: 0 |
 *   stateWord(ptr)  = (g << 4) | ((ptr >>> 8) & 7)      shift (ptr >>> 3) & 30
 *   remoteWord(ptr) = (g << 4) | 8 | ((ptr >>> 9) & 3)  bit   (ptr >>> 4) & 31
 * ```
 *
 * Each pool header holds its owner's slot (`POOL_OWNER_SLOT`), its cross-thread free list
 * (`POOL_XFREE`: the head block, bit 0 set while the pool sits on its owner's `pendingPools`) and
 * the `pendingPools` link. A remote free is one CAS on `POOL_XFREE`, plus one CAS on the slot's
 * stack when the pool was not queued yet (mimalloc's `thread_free` and delayed free). The owner
 * takes a whole stack with one `Atomics.exchange`. Small blocks normally travel in batches
 * instead (`remote-batches.ts`): one CAS per batch on the owner slot's `batches` stack; the
 * per-pool list carries the batches themselves home, and blocks when no batch can be had.
 */
export const SHARED_MAGIC = 0x48534b48;
export const SHARED_VERSION = 3;
const MAGIC = 0;
const VERSION = 4;
const POOL_SIZE = 8;
const ARENA_SIZE = 12;
const SPAN = 16;
const BLOCK_MAP = 20;
const SLOTS = 28;
const ABANDONED = 32;
const SLOT_TABLE = 64;
const SLOT_BYTES = 32;
const SLOT_STATUS = 0;
const SLOT_ARENA_OWNER = 4;
const SLOT_LARGE_OWNER = 8;
const SLOT_PENDING = 12;
const SLOT_REMOTE_LARGE = 16;
const SLOT_FORWARD = 20;
const SLOT_BATCHES = 24;
const SLOT_OPEN_BATCHES = 28;
/** Heap slots per memory: at most 255 allocators attached at once. */
export const SLOT_COUNT = 256;

/** The block map's word holding `ptr`'s two state bits (at `(ptr >>> 3) & 30`). */
export function stateWord(ptr: number): number {
  return ((ptr >>> 11) << 4) | ((ptr >>> 8) & 7);
}

/** The block map's word holding `ptr`'s remote-free bit (see {@link remoteBit}). */
export function remoteWord(ptr: number): number {
  return ((ptr >>> 11) << 4) | 8 | ((ptr >>> 9) & 3);
}

/** `ptr`'s remote-free bit in its {@link remoteWord}. */
export function remoteBit(ptr: number): number {
  return 1 << ((ptr >>> 4) & 31);
}

export const FREE = 0;
export const ATTACHED = 1;
export const ABANDONED_SLOT = 2;
export const ADOPTING = 3;
export const ADOPTED = 4;

/** The record of one memory's shared heap, seen from one thread. */
export class SharedHeap {
  readonly record: number;
  readonly span: number;
  /** The block map (see the file comment) over the memory's buffer, re-created after a grow. */
  stateBits!: Uint32Array;
  /** The same block map as Int32, for `Atomics` on its remote-free words. */
  remoteBits!: Int32Array;

  private constructor(
    private readonly memory: Memory,
    record: number,
  ) {
    this.record = record;
    this.span = memory.u32[(record + SPAN) >>> 2]! * 65536;
    this.rebind();
  }

  /**
   * The shared heap of `memory`: created (zeroed maps, magic last) by the first allocator, found by
   * the others. Throws ConfigurationError when an existing record disagrees with `poolSize` or
   * `arenaSize`, or the memory cannot hold the maps.
   */
  static attach(memory: Memory, poolSize: number, arenaSize: number): SharedHeap {
    const span = Math.ceil(memory.maxBytes / 65536) * 65536;
    const blockMap = alignUp(SLOT_TABLE + SLOT_COUNT * SLOT_BYTES, 256);
    const size = blockMap + span / 32;
    const owner = memory.registerOwner('the shared heap record');
    const { start, created } = memory.reserveRoot(size, owner, 256);
    if (start === 0) {
      throw new ConfigurationError(
        `new ArenaAllocator({ shared: true }): the memory cannot hold the shared heap's maps (${size} bytes for maxBytes ${memory.maxBytes}); ` +
          'give the memory more room, or a smaller maxBytes (the maps take maxBytes / 32)',
      );
    }
    if (start + size > memory.byteLength) memory.refresh();
    const i32 = memory.i32;
    const w = start >>> 2;
    if (created) {
      const u32 = memory.u32;
      u32[w + (VERSION >>> 2)] = SHARED_VERSION;
      u32[w + (POOL_SIZE >>> 2)] = poolSize;
      u32[w + (ARENA_SIZE >>> 2)] = arenaSize;
      u32[w + (SPAN >>> 2)] = span / 65536;
      u32[w + (BLOCK_MAP >>> 2)] = start + blockMap;
      u32[w + (SLOTS >>> 2)] = SLOT_COUNT;
      Atomics.store(i32, w + (MAGIC >>> 2), SHARED_MAGIC | 0);
      Atomics.notify(i32, w + (MAGIC >>> 2));
    } else {
      waitForMagic(i32, w);
    }
    const u32 = memory.u32;
    if (u32[w + (MAGIC >>> 2)] !== SHARED_MAGIC || u32[w + (VERSION >>> 2)] !== SHARED_VERSION) {
      throw new ConfigurationError(
        `new ArenaAllocator({ shared: true }): the memory's root region holds no shared heap of version ${SHARED_VERSION} ` +
          '(another party reserved it for something else)',
      );
    }
    const theirs = [u32[w + (POOL_SIZE >>> 2)]!, u32[w + (ARENA_SIZE >>> 2)]!];
    if (theirs[0] !== poolSize || theirs[1] !== arenaSize) {
      throw new ConfigurationError(
        `new ArenaAllocator({ shared: true }): this memory's shared heap uses poolSize ${theirs[0]} and arenaSize ${theirs[1]}; ` +
          `pass the same (got ${poolSize} and ${arenaSize})`,
      );
    }
    const heap = new SharedHeap(memory, start);
    if (memory.maxBytes > heap.span) {
      throw new ConfigurationError(
        `new ArenaAllocator({ shared: true }): this Memory may grow to ${memory.maxBytes} bytes, beyond the ${heap.span} the shared heap's maps cover; ` +
          `create it with the maxBytes of the first: new Memory({ buffer, maxBytes: ${heap.span} })`,
      );
    }
    return heap;
  }

  /** Re-creates the map views (after the memory grew: an unshared backing's old buffer is gone). */
  rebind(): void {
    const u32 = this.memory.u32;
    const buffer = this.memory.buffer;
    const map = u32[(this.record + BLOCK_MAP) >>> 2]!;
    this.stateBits = new Uint32Array(buffer, map, this.span / 32 / 4);
    this.remoteBits = new Int32Array(buffer, map, this.span / 32 / 4);
  }

  /** Claims a free slot for an allocator whose regions are owned by `arenaOwner` and `largeOwner`. */
  claimSlot(arenaOwner: number, largeOwner: number): number {
    const i32 = this.memory.i32;
    for (let slot = 1; slot < SLOT_COUNT; slot++) {
      const at = this.slotWord(slot, SLOT_STATUS);
      if (Atomics.compareExchange(i32, at, FREE, ATTACHED) === FREE) {
        const u32 = this.memory.u32;
        u32[this.slotWord(slot, SLOT_ARENA_OWNER)] = arenaOwner;
        u32[this.slotWord(slot, SLOT_LARGE_OWNER)] = largeOwner;
        Atomics.store(i32, this.slotWord(slot, SLOT_PENDING), 0);
        Atomics.store(i32, this.slotWord(slot, SLOT_REMOTE_LARGE), 0);
        Atomics.store(i32, this.slotWord(slot, SLOT_FORWARD), 0);
        Atomics.store(i32, this.slotWord(slot, SLOT_BATCHES), 0);
        Atomics.store(i32, this.slotWord(slot, SLOT_OPEN_BATCHES), 0);
        return slot;
      }
    }
    throw new ConfigurationError(
      `new ArenaAllocator({ shared: true }): all ${SLOT_COUNT - 1} heap slots of this memory are taken; detach() allocators that are done`,
    );
  }

  status(slot: number): number {
    return Atomics.load(this.memory.i32, this.slotWord(slot, SLOT_STATUS));
  }

  /** Moves `slot` from status `from` to `to`; false when it was not in `from`. */
  setStatus(slot: number, from: number, to: number): boolean {
    const ok = Atomics.compareExchange(this.memory.i32, this.slotWord(slot, SLOT_STATUS), from, to) === from;
    if (ok && to === ABANDONED_SLOT) Atomics.add(this.memory.i32, (this.record + ABANDONED) >>> 2, 1);
    if (ok && from === ABANDONED_SLOT) Atomics.sub(this.memory.i32, (this.record + ABANDONED) >>> 2, 1);
    return ok;
  }

  /** Slots detached and not yet adopted. One atomic load. */
  get abandonedCount(): number {
    return Atomics.load(this.memory.i32, (this.record + ABANDONED) >>> 2);
  }

  arenaOwner(slot: number): number {
    return this.memory.u32[this.slotWord(slot, SLOT_ARENA_OWNER)]!;
  }

  largeOwner(slot: number): number {
    return this.memory.u32[this.slotWord(slot, SLOT_LARGE_OWNER)]!;
  }

  forward(slot: number): number {
    return Atomics.load(this.memory.i32, this.slotWord(slot, SLOT_FORWARD));
  }

  setForward(slot: number, to: number): void {
    Atomics.store(this.memory.i32, this.slotWord(slot, SLOT_FORWARD), to);
  }

  /** The slot whose arenas or large-block segments `owner` names, or 0. A scan: remote frees of large blocks and error paths. */
  slotOfOwner(owner: number): number {
    const u32 = this.memory.u32;
    for (let slot = 1; slot < SLOT_COUNT; slot++) {
      if (this.status(slot) === FREE) continue;
      if (
        u32[this.slotWord(slot, SLOT_ARENA_OWNER)] === owner ||
        u32[this.slotWord(slot, SLOT_LARGE_OWNER)] === owner
      )
        return slot;
    }
    return 0;
  }

  // Remote frees: the block's remote bit is already claimed (see ArenaAllocator.remoteFree).

  /** Pushes small block `ptr` of `pool` on the pool's cross-thread list: one CAS (two when it queues the pool). */
  pushSmall(ptr: number, pool: number): void {
    const i32 = this.memory.i32;
    const at = (pool + POOL_XFREE) >>> 2;
    let old: number;
    do {
      old = Atomics.load(i32, at);
      i32[ptr >>> 2] = old & ~1; // the link, published by the CAS below
    } while (Atomics.compareExchange(i32, at, old, ptr | 1) !== old);
    if ((old & 1) === 0) {
      // The pool was not queued: put it on its owner's stack (read after our CAS, so an adopter
      // that re-owned the pool before it is seen; one that did after drains our slot anyway).
      const slot = this.memory.u32[(pool + POOL_OWNER_SLOT) >>> 2]!;
      this.push(this.slotWord(slot, SLOT_PENDING), pool, (pool + POOL_NEXT_PENDING) >>> 2);
    }
  }

  /** Pushes large block `ptr` on `slot`'s stack of remotely freed large blocks: one CAS. */
  pushLarge(ptr: number, slot: number): void {
    this.push(this.slotWord(slot, SLOT_REMOTE_LARGE), ptr, ptr >>> 2);
  }

  /** Publishes remote-free batch `batch` (its link word at `link`) on `slot`'s stack: one CAS. */
  pushBatch(batch: number, link: number, slot: number): void {
    this.push(this.slotWord(slot, SLOT_BATCHES), batch, link >>> 2);
  }

  /** Takes `slot`'s whole stack of published batches (one exchange); 0 when empty. */
  takeBatches(slot: number): number {
    return this.takeStack(this.slotWord(slot, SLOT_BATCHES));
  }

  /** The head of `slot`'s stack of published batches, left in place (for `validate`). */
  peekBatches(slot: number): number {
    return Atomics.load(this.memory.i32, this.slotWord(slot, SLOT_BATCHES)) >>> 0;
  }

  /** The first of `slot`'s batches still being filled (its allocator's list; read when quiescent). */
  openBatches(slot: number): number {
    return this.memory.u32[this.slotWord(slot, SLOT_OPEN_BATCHES)]!;
  }

  /** Sets the head of `slot`'s list of open batches (only `slot`'s allocator, or its adopter). */
  setOpenBatches(slot: number, batch: number): void {
    this.memory.u32[this.slotWord(slot, SLOT_OPEN_BATCHES)] = batch;
  }

  /** Takes `slot`'s whole stack of pools with remote frees (one exchange); 0 when empty. */
  takePendingPools(slot: number): number {
    return this.takeStack(this.slotWord(slot, SLOT_PENDING));
  }

  /** Takes a pool's cross-thread list (one exchange), clearing its queued bit. */
  takePoolList(pool: number): number {
    return (Atomics.exchange(this.memory.i32, (pool + POOL_XFREE) >>> 2, 0) & ~1) >>> 0;
  }

  /** Takes `slot`'s stack of remotely freed large blocks; 0 when empty. */
  takeRemoteLarge(slot: number): number {
    return this.takeStack(this.slotWord(slot, SLOT_REMOTE_LARGE));
  }

  /** The head of `slot`'s stack of remotely freed large blocks, left in place (for `validate`). */
  peekRemoteLarge(slot: number): number {
    return Atomics.load(this.memory.i32, this.slotWord(slot, SLOT_REMOTE_LARGE)) >>> 0;
  }

  /** Takes the whole stack at word `at` (one exchange; none when it is empty); 0 when empty. */
  private takeStack(at: number): number {
    if (Atomics.load(this.memory.i32, at) === 0) return 0;
    return Atomics.exchange(this.memory.i32, at, 0) >>> 0;
  }

  /** Treiber push of `item` (link word index `link`) on the stack at word `head`. */
  private push(head: number, item: number, link: number): void {
    const i32 = this.memory.i32;
    let old: number;
    do {
      old = Atomics.load(i32, head);
      i32[link] = old;
    } while (Atomics.compareExchange(i32, head, old, item | 0) !== old);
  }

  private slotWord(slot: number, field: number): number {
    if (slot <= 0 || slot >= SLOT_COUNT)
      throw new HeapCorruptionError(slot, `heap slot ${slot} is out of range`);
    return (this.record + SLOT_TABLE + slot * SLOT_BYTES + field) >>> 2;
  }
}

/** Another thread created the record a moment ago: wait (briefly) for its magic. */
function waitForMagic(i32: Int32Array, w: number): void {
  for (let tries = 0; tries < 1000 && Atomics.load(i32, w) === 0; tries++) {
    try {
      Atomics.wait(i32, w, 0, 1);
    } catch {
      // a browser's main thread cannot wait: spin
    }
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
