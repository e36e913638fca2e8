import {
  type AllocationObserver,
  type Allocator,
  InvalidSizeError,
  isPtr,
  Memory,
  type ObservedAllocator,
  type Ptr,
} from '@heapkit/memory';
import { BlockCache } from './block-cache.js';
import {
  BlockStates,
  FREED,
  LIVE_LARGE,
  LIVE_SMALL as LIVE_SMALL_STATE,
  SMALL_FLIP as SMALL_FLIP_BITS,
} from './block-states.js';
import {
  ALIGNMENT_SHIFT as ALIGNMENT_SHIFT_BITS,
  type ArenaAllocatorOptions,
  type ResolvedConfig,
  resolveConfig,
} from './config.js';
import { checkDebugBlock } from './debug-guards.js';
import { debugFree, debugInnerOf, debugMalloc, debugRealloc } from './debug-mode.js';
import { checkBatch, freeMany } from './free-many.js';
import { observe } from './observed.js';
import { liveStateOf, viewsWereStale } from './pointer-errors.js';
import { Pools } from './pools.js';
import { RemoteBatches } from './remote-batches.js';
import { sharedArenaAllocatorPrototype } from './shared-arena-allocator.js';
import { remoteBit, remoteWord, type SharedHeap } from './shared-heap.js';
import {
  addReclaimListener,
  adoptAbandonedSlots,
  detachedError,
  FOREIGN_LARGE,
  FOREIGN_SMALL,
  foreignUsableSize,
  joinSharedHeap,
  leaveSharedHeap,
  reallocForeign,
  reclaimAll,
  reclaimBeforeGrowth,
  recoverSlot,
  remoteFree,
  requireShared,
} from './shared-owner.js';
import { type AllocatorStats, collectStats, formatStats } from './stats.js';
import { MAX_BLOCK, Tlsf } from './tlsf.js';
import { validateHeap } from './validate.js';
import { validateShared } from './validate-shared.js';

// The fast paths' constants and predicate as this module's own `const` bindings: V8 folds those
// into the code, while an imported binding is read through its module cell at every use (a load,
// a hole check and a Smi check) and a called import has its identity checked before it is
// inlined. Measured: about 30 instructions a churn step (of ~300).
const LIVE_SMALL = LIVE_SMALL_STATE;
const SMALL_FLIP = SMALL_FLIP_BITS;
const ALIGNMENT_SHIFT = ALIGNMENT_SHIFT_BITS;
const isU32 = isPtr; // @heapkit/memory's predicate, bound here so V8 folds it into the fast paths

/**
 * CPython's small-object allocator (pymalloc) with a TLSF allocator for large blocks, over a
 * heapkit {@link Memory}. Mirrors `PyObject_Malloc` and friends, and adds what C cannot:
 * every invalid or double free is caught in O(1) and leaves the heap untouched.
 *
 * - Requests up to `smallThreshold` (512) bytes: size classes of 16 bytes, served from 16 KiB
 *   pools carved from 1 MiB arenas (see `pools.ts`).
 * - Larger requests: TLSF blocks in segments of the same memory (see `tlsf.ts`).
 * - Arenas and TLSF segments are regions reserved through the memory's region protocol
 *   (`Memory.reserve`) and given back to it when free (`trim()`, arenas beyond the spare), so
 *   several allocators, workers and WASM modules share one memory without sharing a byte. A
 *   pointer into another party's region is refused with an error that says whose region it is.
 * - `malloc` returns 0 when memory is exhausted and cannot grow; bad arguments throw typed errors
 *   from `@heapkit/memory` (`InvalidPointerError`, `DoubleFreeError`, `InvalidSizeError`,
 *   `HeapCorruptionError`).
 *
 *
 * @example
 * ```ts
 * import { ArenaAllocator } from '@heapkit/arena-allocator';
 *
 * const heap = new ArenaAllocator();
 * const p = heap.malloc(24);              // 16-byte aligned, 32 usable bytes
 * heap.memory.u32[p >>> 2] = 42;
 * const q = heap.realloc(p, 4096);        // moves to a large block, keeps the 42
 * heap.free(q);
 * heap.validate();                        // walks every structure; throws if anything is off
 * console.log(heap.formatStats());
 * ```
 */
export class ArenaAllocator implements Allocator {
  /** The memory every pointer points into. Read its views afresh after any allocation. */
  readonly memory: Memory;
  /** The options in force, after defaults. */
  readonly config: ResolvedConfig;
  /** This allocator's owner id in the memory's region protocol (see `Memory.registerOwner`). */
  readonly owner: number;
  /**
   * The owner id of its large-block (TLSF) segments: `owner` itself, except in a shared heap,
   * where the two kinds of region are told apart so that an adopter knows which is which.
   */
  readonly largeOwner: number;
  /** @internal The shared heap's record, when `shared: true` (see `shared-heap.ts`). */
  readonly sharedHeap: SharedHeap | undefined;
  /**
   * This allocator's slot in the memory's shared heap (1 to 255), or 0 when it is private. Post
   * it to whoever should `recover()` this worker's part of the heap if the worker dies.
   */
  readonly heapSlot: number;
  /** @internal Slots this allocator adopted: it drains their remote-free stacks too. */
  readonly adoptedSlots: number[] = [];
  /** @internal Open batches of remote frees, when shared (see `remote-batches.ts`). */
  readonly batches: RemoteBatches | undefined;
  /** @internal See {@link ArenaAllocator.onReclaim}. */
  readonly reclaimListeners: ((ptr: Ptr) => void)[] = [];
  private detached = false;
  /** @internal The two-bit block-state map (see `block-states.ts`). */
  readonly states: BlockStates;
  /** @internal The large-block allocator and its segments. */
  readonly tlsf: Tlsf;
  /** @internal pymalloc's arenas and pools. */
  readonly pools: Pools;
  /** @internal Recently freed small blocks, per size class (see `block-cache.ts`). */
  readonly cache: BlockCache;
  private readonly threshold: number;
  private readonly debug: boolean;
  /** Requests up to this size take malloc's fast path: the threshold, or -1 in debug mode. */
  protected fastSmallLimit: number;
  /** Pointers below this take free's fast path: the memory's end, or 0 in debug mode. */
  protected fastEnd: number;
  // The fast paths read these directly rather than through their owners (one object hop
  // instead of two; see `malloc` and `free`). `stateBits` and `poolClass` are replaced when
  // the memory grows, so the grow listener re-reads them.
  protected stateBits: Uint32Array;
  protected poolClass: Uint8Array;
  protected readonly poolShift: number;
  protected readonly cacheWords: Uint32Array;
  protected readonly cacheStripeShift: number;
  private readonly cacheDepth: number;
  /** The shared heap's remote-free bits (1 per granule); an empty array when private. */
  protected remoteBits: Int32Array;

  constructor(options: ArenaAllocatorOptions = {}) {
    this.config = resolveConfig(options);

    this.memory = options.memory ?? new Memory();
    this.threshold = this.config.smallThreshold;
    this.debug = this.config.debug;
    this.fastSmallLimit = this.debug ? -1 : this.threshold;
    this.owner = this.memory.registerOwner('ArenaAllocator');
    const joined = this.config.shared ? joinSharedHeap(this.memory, this.config, this.owner) : undefined;
    this.sharedHeap = joined?.heap;
    this.largeOwner = joined?.largeOwner ?? this.owner;
    this.heapSlot = joined?.slot ?? 0;
    this.remoteBits = joined?.heap.remoteBits ?? new Int32Array(0);
    this.batches = joined === undefined ? undefined : new RemoteBatches(this, joined.heap);
    this.states = new BlockStates(this.memory.byteLength, this.sharedHeap);
    this.tlsf = new Tlsf(
      this.memory,
      this.largeOwner,
      this.config.arenaSize,
      this.config.poolSize,
      this.config.shared ? 256 : 16,
    );
    this.pools = new Pools(this.memory, this.owner, this.config);
    if (this.sharedHeap !== undefined) {
      this.pools.slot = this.heapSlot;
      this.pools.reclaimer = () => reclaimBeforeGrowth(this);
      this.tlsf.reclaimer = () => reclaimBeforeGrowth(this);
    }
    this.cache = new BlockCache(this.config.sizeClasses, this.config.blockCache);
    this.fastEnd = this.debug ? 0 : this.memory.byteLength;
    this.stateBits = this.states.bits;
    this.poolClass = this.pools.poolClass;
    this.poolShift = this.config.poolShift;
    this.cacheWords = this.cache.words;
    this.cacheStripeShift = this.cache.stripeShift;
    this.cacheDepth = this.cache.depth;
    this.memory.onGrow((memory) => {
      this.states.resize(memory.byteLength);
      this.pools.resize(memory.byteLength);
      this.stateBits = this.states.bits;
      this.poolClass = this.pools.poolClass;
      if (this.sharedHeap !== undefined) this.remoteBits = this.sharedHeap.remoteBits;
      if (!this.debug && !this.detached) this.fastEnd = memory.byteLength;
    });
    // A shared heap's allocator takes its `malloc` and `free` from SharedArenaAllocator
    // (`shared-arena-allocator.ts`), so that the private fast paths carry none of its checks: one
    // public class, two fast paths.
    if (this.sharedHeap !== undefined) Object.setPrototypeOf(this, SHARED_PROTOTYPE);
  }

  /**
   * Allocates `size` bytes, 16-byte aligned (`PyObject_Malloc`). `malloc(0)` returns a unique
   * block. Returns 0 when memory is exhausted. Throws InvalidSizeError for a size that is not
   * a non-negative integer.
   */
  malloc(size: number): Ptr {
    // Fast path: a small request. Cost: a type check and two compares, then either the block
    // cache (its count and slot, then one state-map word flipped FREED -> LIVE_SMALL) or the head
    // pool of the class (usedpools, three pool-header words, the block's link word, one
    // state-map word). The region protocol is not on this path: it is only asked for new arenas.
    if (isU32(size) && size <= this.fastSmallLimit) {
      const p = this.smallMalloc(size === 0 ? 0 : (size - 1) >>> ALIGNMENT_SHIFT);
      if (p !== 0) return p;
    }
    return this.mallocSlow(size);
  }

  /** Allocates `count * size` zeroed bytes (`PyObject_Calloc`); 0 on exhaustion or overflow. */
  calloc(count: number, size: number): Ptr {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidSizeError(count, 'calloc');
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidSizeError(size, 'calloc');
    const total = count * size;
    if (total > MAX_BLOCK) return 0;
    const p = this.malloc(total);
    if (p !== 0) this.memory.u8.fill(0, p, p + total);
    return p;
  }

  /**
   * Resizes a block (`PyObject_Realloc`). A small block stays in place when the new size fits
   * its size class and is more than 75% of it (as CPython); a large block shrinks in place or grows into a
   * free neighbour when it can, else moves. Returns 0 on exhaustion, leaving `ptr` untouched.
   */
  realloc(ptr: Ptr, size: number): Ptr {
    if (!isU32(size)) return this.badSize(size, 'realloc');
    if (ptr === 0) return this.malloc(size);
    if (this.detached) throw detachedError('realloc');
    if (this.debug) return debugRealloc(this, ptr, size);
    const state = liveStateOf(this, ptr, 'realloc');
    if (state === FOREIGN_SMALL || state === FOREIGN_LARGE) return reallocForeign(this, ptr, state, size);
    if (state === LIVE_SMALL) {
      const blockSize = this.pools.blockSize(ptr);
      if (size <= blockSize && 4 * size > 3 * blockSize) return ptr;
      return this.moveBlock(ptr, state, size, Math.min(size, blockSize));
    }
    if (this.tlsf.resizeInPlace(ptr, size)) return ptr;
    return this.moveBlock(ptr, state, size, this.tlsf.sizeOf(ptr));
  }

  /** Frees a block (`PyObject_Free`). `free(0)` does nothing. */
  free(ptr: Ptr): void {
    // Fast path: a live pool block. Cost: a type check and three compares, one state-map word
    // read and written (LIVE_SMALL -> FREED: the O(1) invalid and double-free check), the pool's
    // class (one byte), then the block cache (its count and slot) or, when that is full, two
    // pool-header words and the block's link word. A pointer of another allocator is never
    // LIVE_SMALL in this private map, so regions cost nothing on this path either. (A shared
    // heap's allocator is a SharedArenaAllocator, whose `free` adds two checks.)
    if (isU32(ptr) && ptr < this.fastEnd && (ptr & 15) === 0) {
      const bits = this.stateBits;
      const w = ptr >>> 8;
      const shift = (ptr >>> 3) & 30;
      const word = bits[w]!;
      if (((word >>> shift) & 3) === LIVE_SMALL) {
        bits[w] = word ^ (SMALL_FLIP << shift);
        this.cacheOrRelease(ptr, this.poolClass[ptr >>> this.poolShift]!);
        return;
      }
    }
    this.freeSlow(ptr);
  }

  /**
   * Frees `count` blocks, `ptrs[0]` to `ptrs[count - 1]`, with the outcome of `free` on each in
   * order but less work for a batch (see `free-many.ts`: the blocks of one pool that follow each
   * other are given back together, and a pool whose every block is in the batch is released
   * whole). For a layer that frees many blocks at once, such as a cycle collector's garbage. An
   * entry `free` would refuse is skipped, every other block is still freed, and the first such
   * error is thrown at the end. `ptrs` is not changed. Throws `TypeError` or `RangeError`,
   * freeing nothing, when `ptrs` is not a Uint32Array or `count` not from 0 to its length.
   */
  freeMany(ptrs: Uint32Array, count: number): void {
    checkBatch(ptrs, count);
    const heap = this;
    freeMany(
      {
        pools: this.pools,
        shared: this.sharedHeap !== undefined,
        // Read at each run: a `free` in between may have re-created the views (never in a
        // private heap today, but the batch must not depend on it).
        get fastEnd() {
          return heap.fastEnd;
        },
        get stateBits() {
          return heap.stateBits;
        },
        free: (ptr) => this.free(ptr),
      },
      ptrs,
      count,
    );
  }

  /** Bytes the block can hold: its size class, its TLSF block, or (debug) exactly what was asked. */
  usableSize(ptr: Ptr): number {
    if (this.debug) {
      const inner = debugInnerOf(this, ptr, 'usableSize');
      return checkDebugBlock(this.memory.u8, this.memory.u32, inner, this.rawUsableSize(inner));
    }
    if (this.detached) throw detachedError('usableSize');
    const state = liveStateOf(this, ptr, 'usableSize');
    if (state === FOREIGN_SMALL || state === FOREIGN_LARGE) return foreignUsableSize(this, ptr, state);
    return this.rawUsableSize(ptr, state);
  }

  /**
   * Walks every structure — TLSF blocks and free lists, arenas, pools, free-block lists, the
   * block-state map and, in debug mode, every guard — and throws HeapCorruptionError at the
   * first inconsistency.
   */
  validate(): void {
    validateHeap(this);
    validateShared(this);
  }

  /** Figures per size class and per arena, and a byte breakdown of the memory (see {@link AllocatorStats}). */
  stats(): AllocatorStats {
    return collectStats(this);
  }

  /** The stats as text, in the layout of CPython's `sys._debugmallocstats()`. */
  formatStats(): string {
    return formatStats(this.stats());
  }

  /**
   * Releases what can be released: the block cache is emptied into the pools, and wholly free
   * arenas, the spare included, and wholly free TLSF segments go back to the memory's region
   * protocol, where any party can reserve them (a WebAssembly memory cannot shrink). In a shared
   * heap, the blocks other threads freed are taken back first. Returns the number of arenas
   * released.
   */
  trim(): number {
    const before = this.pools.arenasReleased;
    if (this.detached) throw detachedError('trim');
    this.reclaim();
    this.cache.flush((ptr) => this.pools.release(ptr));
    this.pools.releaseFreeArenas();
    this.tlsf.releaseFreeSegments();
    return this.pools.arenasReleased - before;
  }

  /** @internal Every malloc but a small one served by the fast path. */
  protected mallocSlow(size: number): Ptr {
    if (this.detached) throw detachedError('malloc');
    if (!isU32(size)) return this.badSize(size, 'malloc');
    if (this.debug) return debugMalloc(this, size);
    return this.rawMalloc(size);
  }

  /** @internal The free of anything but a live block of ours: null, errors, remote frees. */
  protected freeSlow(ptr: Ptr): void {
    if (ptr === 0) return;
    if (this.detached) throw detachedError('free');
    if (viewsWereStale(this.memory, ptr)) {
      this.free(ptr);
      return;
    }
    if (this.debug) {
      debugFree(this, ptr, 'free');
      return;
    }
    const state = liveStateOf(this, ptr, 'free');
    if (state === FOREIGN_SMALL || state === FOREIGN_LARGE) remoteFree(this, ptr, state & 3, 'free');
    else this.rawFree(ptr, state);
  }

  // The shared heap (see shared-heap.ts and shared-owner.ts).

  /**
   * Takes back every block other workers freed of this allocator's (and of the allocators it
   * adopted): one atomic exchange per stack, then, per block, its remote bit cleared and the
   * block returned to its pool or to the large-block lists. Runs by itself before a new pool or
   * segment would be carved; call it when a worker idles to give space back sooner. Returns the
   * number of blocks taken back (0 for a private allocator).
   */
  reclaim(): number {
    if (this.sharedHeap === undefined) return 0;
    if (this.detached) throw detachedError('reclaim');
    return reclaimAll(this);
  }

  /**
   * Leaves the shared heap: the block cache is emptied, remote frees are taken back, and the
   * slot is marked abandoned, for another allocator to adopt (`adoptAbandoned()`, which runs by
   * itself before an allocator reserves a new arena). Blocks of this allocator stay valid and
   * anyone may free them. The allocator cannot be used afterwards.
   */
  detach(): void {
    const heap = requireShared(this, 'detach');
    if (this.detached) throw detachedError('detach');
    leaveSharedHeap(this, heap);
    this.detached = true;
    this.fastSmallLimit = -1;
    this.fastEnd = 0;
  }

  /**
   * Adopts every abandoned slot of the shared heap: their arenas, pools and large-block
   * segments become this allocator's, rebuilt from the shared block-state map, and their
   * remote frees come here. Returns the number of slots adopted.
   */
  adoptAbandoned(): number {
    const heap = requireShared(this, 'adoptAbandoned');
    if (this.detached) throw detachedError('adoptAbandoned');
    return adoptAbandonedSlots(this, heap);
  }

  /**
   * Recovers the part of the heap that the allocator in `slot` (its `heapSlot`) owned, when its
   * worker ended without `detach()` (it exited, threw, or was terminated): adopts it as if it had
   * detached. Call it only once that worker no longer runs (after its `exit` event): an
   * allocator still in use would corrupt the heap. Blocks it had cached count as free; blocks
   * still allocated stay allocated, and anyone may free them.
   */
  recover(slot: number): void {
    const heap = requireShared(this, 'recover');
    if (this.detached) throw detachedError('recover');
    recoverSlot(this, heap, slot);
  }

  /**
   * Calls `listener(ptr)` for every block another thread freed, when this allocator takes it back
   * (`reclaim()`, or before a new pool or segment): the moment the block stops being in use for
   * the owner's accounting. A profiler wrapping this allocator drops the block's trace then.
   * Returns a function that removes the listener.
   */
  onReclaim(listener: (ptr: Ptr) => void): () => void {
    return addReclaimListener(this, listener);
  }

  /**
   * This allocator's `malloc` and `free` reporting each block to `observer` (see
   * `Allocator.observe` in `@heapkit/memory`): what `@heapkit/profiler` allocates through, so
   * that a traced `malloc` is one call. Calls made on the allocator itself report nothing.
   */
  observe(observer: AllocationObserver): ObservedAllocator {
    return observe(this, observer);
  }

  /** @internal True when ptr's remote-free bit is set (another worker freed it; not yet taken back). */
  remotelyFreed(ptr: Ptr): boolean {
    return this.sharedHeap !== undefined && (this.remoteBits[remoteWord(ptr)]! & remoteBit(ptr)) !== 0;
  }

  /** A small block: the most recently freed one of the class, else one from its pools. */
  protected smallMalloc(c: number): Ptr {
    const words = this.cacheWords;
    const s = c << this.cacheStripeShift;
    const n = words[s]!;
    if (n !== 0) {
      words[s] = n - 1;
      const p = words[s + n]!;
      const w = p >>> 8;
      this.stateBits[w] = this.stateBits[w]! ^ (SMALL_FLIP << ((p >>> 3) & 30)); // FREED -> LIVE_SMALL
      return p;
    }
    return this.smallFromPools(c);
  }

  /** @internal `smallMalloc` when the block cache of class `c` is empty: a block from its pools. */
  protected smallFromPools(c: number): Ptr {
    const p = this.pools.alloc(c);
    if (p !== 0) this.states.set(p, LIVE_SMALL);
    return p;
  }

  /** A small block of class `c` already marked FREED: into the block cache, or back to its pool when that is full. */
  protected cacheOrRelease(ptr: Ptr, c: number): void {
    const words = this.cacheWords;
    const s = c << this.cacheStripeShift;
    const n = words[s]!;
    if (n < this.cacheDepth) {
      words[s + n + 1] = ptr;
      words[s] = n + 1;
      return;
    }
    this.pools.release(ptr);
  }

  /** @internal The raw (non-debug) allocation path. */
  rawMalloc(size: number): Ptr {
    if (size <= this.threshold) {
      const p = this.smallMalloc(size === 0 ? 0 : (size - 1) >>> ALIGNMENT_SHIFT);
      if (p !== 0) return p;
    }
    const p = this.tlsf.malloc(size);
    if (p !== 0) this.states.set(p, LIVE_LARGE);
    return p;
  }

  /** @internal Usable size of a raw block known to be live (`state` is its state-map entry). */
  rawUsableSize(ptr: Ptr, state = this.states.get(ptr)): number {
    return state === LIVE_SMALL ? this.pools.blockSize(ptr) : this.tlsf.sizeOf(ptr);
  }

  /** @internal Frees raw block `ptr` of ours (in `state`, checked live). */
  rawFree(ptr: Ptr, state: number): void {
    this.states.set(ptr, FREED);
    if (state === LIVE_SMALL) this.cacheOrRelease(ptr, this.poolClass[ptr >>> this.poolShift]!);
    else this.tlsf.free(ptr);
  }

  /** Moves live raw block `ptr` (in `state`) to a new one of `size` bytes, copying `keep` bytes. */
  private moveBlock(ptr: Ptr, state: number, size: number, keep: number): Ptr {
    const q = this.rawMalloc(size);
    if (q === 0) return 0;
    this.memory.u8.copyWithin(q, ptr, ptr + keep);
    this.rawFree(ptr, state);
    return q;
  }

  private badSize(size: unknown, operation: string): Ptr {
    // A huge but well-formed size is plain exhaustion, as in C; anything else is a bug.
    if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) return 0;
    throw new InvalidSizeError(size, operation);
  }
}

/** The prototype a shared heap's allocators take (see `shared-arena-allocator.ts`). */
const SHARED_PROTOTYPE = sharedArenaAllocatorPrototype(ArenaAllocator);
