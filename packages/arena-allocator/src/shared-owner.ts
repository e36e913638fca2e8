import {
  ConfigurationError,
  DoubleFreeError,
  HeapCorruptionError,
  type Memory,
  type Ptr,
} from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { FREED, LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import type { ResolvedConfig } from './config.js';
import { explainPointer } from './pointer-errors.js';
import { POOL_NEXT_PENDING, POOL_OWNER_SLOT } from './pool-header.js';
import { FOREIGN, headerBlockSize } from './pools.js';
import { BATCH_BYTES, forEachInBatch, nextPublished, publishOpenBatches } from './remote-batches.js';
import {
  ABANDONED_SLOT,
  ADOPTED,
  ADOPTING,
  ATTACHED,
  remoteBit,
  remoteWord,
  SharedHeap,
  SLOT_COUNT,
} from './shared-heap.js';

/**
 * An allocator's side of a shared heap (the record and its atomics are in `shared-heap.ts`):
 * freeing another allocator's block, taking back what other threads freed, and adopting the part
 * of the heap a departed allocator left. None of it is on a fast path: `remoteFree` is the slow
 * path of `free` for a foreign block, `drainSlot` runs before a new pool or segment is carved
 * (and on `reclaim()`), `adoptSlot` when a slot is adopted.
 */

/** What `stateOf` says of another shared allocator's live block: its state with this bit set. */
const FOREIGN_BIT = 4;
export const FOREIGN_SMALL = LIVE_SMALL | FOREIGN_BIT;
export const FOREIGN_LARGE = LIVE_LARGE | FOREIGN_BIT;

/**
 * The state of live block `ptr` (in `state`) as a shared allocator sees it: the shared map holds
 * every allocator's blocks, so say whose (FOREIGN_SMALL or FOREIGN_LARGE when another's), and
 * throw DoubleFreeError when another thread has freed it already.
 */
export function sharedStateOf(heap: ArenaAllocator, ptr: Ptr, state: number, operation: string): number {
  if (heap.remotelyFreed(ptr)) throw new DoubleFreeError(ptr, operation);
  const mine =
    state === LIVE_SMALL
      ? heap.pools.poolClass[ptr >>> heap.config.poolShift] !== FOREIGN
      : heap.tlsf.segmentOf(ptr) !== undefined;
  return mine ? state : state | FOREIGN_BIT;
}

/** Usable size of another allocator's live block (FOREIGN_SMALL or FOREIGN_LARGE), from its headers. */
export function foreignUsableSize(heap: ArenaAllocator, ptr: Ptr, state: number): number {
  if (state === FOREIGN_LARGE) return heap.tlsf.sizeOf(ptr);
  const pool = ptr - (ptr & (heap.config.poolSize - 1));
  return headerBlockSize(heap.memory.u32, pool);
}

/**
 * Frees `ptr`, a live block (in `state`) of another allocator of the shared heap: claims its
 * remote-free bit with one atomic OR (a bit already set is a double free, whichever thread made
 * the first), then puts a small block in this allocator's open batch for the owner
 * (`remote-batches.ts`), and a large block on its owner's stack of remotely freed large blocks
 * (one CAS). The owner takes it back later.
 */
export function remoteFree(heap: ArenaAllocator, ptr: Ptr, state: number, operation: string): void {
  claimRemote(heap, ptr, state, operation);
  if (state === LIVE_SMALL) {
    const pool = ptr - (ptr & (heap.config.poolSize - 1));
    if (heap.batches!.add(ptr, heap.memory.u32[(pool + POOL_OWNER_SLOT) >>> 2]!)) return;
    heap.sharedHeap!.pushSmall(ptr, pool);
    return;
  }
  pushLargeHome(heap, ptr, operation);
}

/** Claims live block `ptr`'s remote-free bit (one atomic OR); DoubleFreeError when it was freed already. */
function claimRemote(heap: ArenaAllocator, ptr: Ptr, state: number, operation: string): void {
  const shared = heap.sharedHeap!;
  const word = remoteWord(ptr);
  const bit = remoteBit(ptr);
  if ((Atomics.or(shared.remoteBits, word, bit) & bit) !== 0) throw new DoubleFreeError(ptr, operation);
  if (heap.states.get(ptr) !== state) {
    // Its owner freed it meanwhile: the second free is ours.
    Atomics.and(shared.remoteBits, word, ~bit);
    throw new DoubleFreeError(ptr, operation);
  }
}

/** Pushes claimed large block `ptr` on its owner's stack of remotely freed large blocks. */
function pushLargeHome(heap: ArenaAllocator, ptr: Ptr, operation: string): void {
  const shared = heap.sharedHeap!;
  const slot = shared.slotOfOwner(heap.memory.regionOf(ptr)?.owner ?? 0);
  if (slot === 0) {
    Atomics.and(shared.remoteBits, remoteWord(ptr), ~remoteBit(ptr));
    throw explainPointer(heap, ptr, operation);
  }
  shared.pushLarge(ptr, slot);
}

/**
 * Sends a remote-free batch home once its blocks are taken back: freed here when this allocator
 * owns it (it adopted the sender), else claimed and pushed on its pool's cross-thread list (one
 * CAS, never batched: this runs while a pool is being carved, where no batch may be allocated).
 */
function returnBatch(heap: ArenaAllocator, batch: Ptr): void {
  const raw = heap.states.get(batch);
  if (raw !== LIVE_SMALL && raw !== LIVE_LARGE) {
    throw new HeapCorruptionError(batch, 'a published remote-free batch is not a live block');
  }
  const state = sharedStateOf(heap, batch, raw, 'reclaim');
  if (state === raw) {
    heap.rawFree(batch, state);
    return;
  }
  claimRemote(heap, batch, raw, 'reclaim');
  if (raw === LIVE_SMALL) heap.sharedHeap!.pushSmall(batch, batch - (batch & (heap.config.poolSize - 1)));
  else pushLargeHome(heap, batch, 'reclaim');
}

/**
 * A block another thread freed, taken back: remote bit cleared, state FREED, returned. Returns 1
 * and tells the listeners for a block of the program's; 0 for one of this allocator's own
 * remote-free batches coming home, which the program never saw. Only a pool's cross-thread list
 * can bring a batch home (`returnBatch` sends them that way), so only its blocks are looked up
 * (`maybeBatch`): a batch's entries and large blocks never are.
 */
export function takeBack(heap: ArenaAllocator, ptr: Ptr, state: number, maybeBatch: boolean): number {
  Atomics.and(heap.sharedHeap!.remoteBits, remoteWord(ptr), ~remoteBit(ptr));
  heap.states.set(ptr, FREED);
  if (state === LIVE_SMALL) heap.pools.release(ptr);
  else heap.tlsf.free(ptr);
  if (maybeBatch && heap.batches!.cameHome(ptr)) return 0;
  const listeners = heap.reclaimListeners;
  for (let i = 0; i < listeners.length; i++) listeners[i]!(ptr);
  return 1;
}

/**
 * Before a new pool or segment: take back remote frees, and adopt abandoned slots when out of
 * arenas. True when either may have made room.
 */
export function reclaimBeforeGrowth(heap: ArenaAllocator): boolean {
  let any = heap.reclaim() > 0;
  if (heap.pools.usableArenas === 0 && heap.sharedHeap!.abandonedCount > 0) {
    any = heap.adoptAbandoned() > 0 || any;
  }
  return any;
}

/** Calls `visit` for every live block in `heap`'s own regions (a shared map holds everyone's). */
export function forEachOwnLive(heap: ArenaAllocator, visit: (ptr: Ptr, state: number) => void): void {
  const { states, pools, tlsf, config } = heap;
  if (heap.sharedHeap === undefined) {
    states.forEachLive(visit);
    return;
  }
  for (let id = 1; id <= pools.maxArenaId; id++) {
    const a = pools.arenaAddress[id]!;
    if (a !== 0) states.forEachLive(visit, a, a + config.arenaSize);
  }
  tlsf.segmentStarts.forEach((start, i) => {
    states.forEachLive(visit, start, tlsf.segmentEnds[i]!);
  });
}

/** Joins `memory`'s shared heap (see `shared-heap.ts`): the record, a large-block owner id and a slot. */
export function joinSharedHeap(
  memory: Memory,
  config: ResolvedConfig,
  owner: number,
): { heap: SharedHeap; largeOwner: number; slot: number } {
  const heap = SharedHeap.attach(memory, config.poolSize, config.arenaSize);
  const largeOwner = memory.registerOwner('ArenaAllocator (large blocks)');
  return { heap, largeOwner, slot: heap.claimSlot(owner, largeOwner) };
}

/**
 * `reclaim()`'s work: publishes this allocator's open batches of remote frees, then drains its
 * slot and every slot it adopted.
 */
export function reclaimAll(heap: ArenaAllocator): number {
  heap.batches!.publishAll();
  let n = drainSlot(heap, heap.heapSlot);
  for (const slot of heap.adoptedSlots) n += drainSlot(heap, slot);
  return n;
}

/** `realloc` of another allocator's block: a new block of ours, the bytes copied, a remote free of the old. */
export function reallocForeign(heap: ArenaAllocator, ptr: Ptr, state: number, size: number): Ptr {
  const q = heap.rawMalloc(size);
  if (q === 0) return 0;
  heap.memory.u8.copyWithin(q, ptr, ptr + Math.min(size, foreignUsableSize(heap, ptr, state)));
  remoteFree(heap, ptr, state & 3, 'realloc');
  return q;
}

/** The shared heap of `heap`; ConfigurationError, saying how to join one, when it is private. */
export function requireShared(heap: ArenaAllocator, operation: string): SharedHeap {
  if (heap.sharedHeap === undefined) {
    throw new ConfigurationError(
      `ArenaAllocator.${operation}: this allocator is private; create it with { memory, shared: true } to join the memory's shared heap`,
    );
  }
  return heap.sharedHeap;
}

/** The error of any use of an allocator after `detach()`. */
export function detachedError(operation: string): ConfigurationError {
  return new ConfigurationError(
    `ArenaAllocator.${operation}: this allocator was detached from the shared heap; use another allocator of the heap`,
  );
}

/** `detach()`'s work: block cache emptied, remote frees taken back, the slot left abandoned. */
export function leaveSharedHeap(heap: ArenaAllocator, shared: SharedHeap): void {
  heap.cache.flush((ptr) => heap.pools.release(ptr));
  heap.reclaim();
  shared.setStatus(heap.heapSlot, ATTACHED, ABANDONED_SLOT);
}

/** `onReclaim()`: adds `listener`, returns its remover. */
export function addReclaimListener(heap: ArenaAllocator, listener: (ptr: Ptr) => void): () => void {
  if (typeof listener !== 'function') {
    throw new ConfigurationError(
      `ArenaAllocator.onReclaim: pass a function (ptr) => void, got ${String(listener)}`,
    );
  }
  heap.reclaimListeners.push(listener);
  return () => {
    const i = heap.reclaimListeners.indexOf(listener);
    if (i >= 0) heap.reclaimListeners.splice(i, 1);
  };
}

/** Adopts every abandoned slot of the heap; returns how many. */
export function adoptAbandonedSlots(heap: ArenaAllocator, shared: SharedHeap): number {
  let adopted = 0;
  for (let slot = 1; slot < SLOT_COUNT && shared.abandonedCount > 0; slot++) {
    if (shared.status(slot) === ABANDONED_SLOT && shared.setStatus(slot, ABANDONED_SLOT, ADOPTING)) {
      adoptSlot(heap, slot);
      adopted++;
    }
  }
  return adopted;
}

/** Adopts `slot`, attached or abandoned, whose allocator's thread is gone (see `ArenaAllocator.recover`). */
export function recoverSlot(heap: ArenaAllocator, shared: SharedHeap, slot: unknown): void {
  if (
    typeof slot !== 'number' ||
    !Number.isInteger(slot) ||
    slot < 1 ||
    slot >= SLOT_COUNT ||
    slot === heap.heapSlot
  ) {
    throw new ConfigurationError(
      `ArenaAllocator.recover: pass the heapSlot (1 to ${SLOT_COUNT - 1}) of another allocator of this shared heap, got ${String(slot)}`,
    );
  }
  const status = shared.status(slot);
  const claimed =
    status === ABANDONED_SLOT
      ? shared.setStatus(slot, ABANDONED_SLOT, ADOPTING)
      : shared.setStatus(slot, ATTACHED, ADOPTING);
  if (!claimed) {
    throw new ConfigurationError(
      `ArenaAllocator.recover: heap slot ${slot} is ${status === ADOPTED || status === ADOPTING ? 'already adopted' : 'not in use'}`,
    );
  }
  adoptSlot(heap, slot);
}

/**
 * Takes back every block on `slot`'s stacks: the published batches (one exchange for the stack;
 * each batch then goes home), the pools with remote frees (one exchange for the stack, one per
 * pool for its list) and the remotely freed large blocks. Returns how many.
 */
export function drainSlot(heap: ArenaAllocator, slot: number): number {
  const shared = heap.sharedHeap!;
  let n = 0;
  let batch = shared.takeBatches(slot);
  while (batch !== 0) {
    // A batch is in the freeing thread's memory, which may lie beyond this thread's views.
    if (batch + BATCH_BYTES > heap.memory.byteLength) heap.memory.refresh();
    const next = nextPublished(heap, batch);
    forEachInBatch(heap, batch, (ptr) => {
      n += takeBack(heap, ptr, LIVE_SMALL, false);
    });
    returnBatch(heap, batch);
    batch = next;
  }
  let pool = shared.takePendingPools(slot);
  while (pool !== 0) {
    // Read the link before the pool's list is taken: from then on a remote free may queue the
    // pool again, rewriting it.
    const next = heap.memory.u32[(pool + POOL_NEXT_PENDING) >>> 2]!;
    let block = shared.takePoolList(pool);
    while (block !== 0) {
      const after = heap.memory.u32[block >>> 2]!;
      n += takeBack(heap, block, LIVE_SMALL, true);
      block = after;
    }
    pool = next;
  }
  let large = shared.takeRemoteLarge(slot);
  while (large !== 0) {
    const after = heap.memory.u32[large >>> 2]!;
    n += takeBack(heap, large, LIVE_LARGE, false);
    large = after;
  }
  return n;
}

/**
 * Adopts `slot` (its status already ADOPTING, claimed by this allocator): its regions are
 * transferred to this allocator's owner ids, its arenas rebuilt from the block-state map
 * (`Pools.adoptArena`), its large-block segments walked (`Tlsf.adoptSegment`); the slots it had
 * adopted are forwarded here too; then its stacks of remote frees are drained.
 */
export function adoptSlot(heap: ArenaAllocator, slot: number): void {
  const shared = heap.sharedHeap!;
  const { memory, pools, tlsf, states, config } = heap;
  memory.refresh();
  const arenaOwner = shared.arenaOwner(slot);
  const largeOwner = shared.largeOwner(slot);
  const arenas: number[] = [];
  const segments: [number, number][] = [];
  for (const region of memory.regions()) {
    if (region.owner === arenaOwner) {
      if (region.end - region.start !== config.arenaSize || region.start % config.poolSize !== 0) {
        throw new HeapCorruptionError(
          region.start,
          `heap slot ${slot}'s region [${region.start}, ${region.end}) is not an arena of ${config.arenaSize} bytes`,
        );
      }
      arenas.push(region.start);
    } else if (region.owner === largeOwner) {
      segments.push([region.start, region.end]);
    }
  }
  for (const start of arenas) memory.transfer(start, arenaOwner, heap.owner);
  for (const [start] of segments) memory.transfer(start, largeOwner, heap.largeOwner);
  const isLiveSmall = (ptr: number): boolean => states.get(ptr) === LIVE_SMALL;
  for (const start of arenas) pools.adoptArena(start, isLiveSmall);
  for (const [start, end] of segments) tlsf.adoptSegment(start, end);
  publishOpenBatches(heap, shared, slot); // the open batches of a thread that ended
  // Whatever was forwarded to the departed slot is forwarded here now.
  for (let other = 1; other < SLOT_COUNT; other++) {
    if (other !== slot && shared.status(other) === ADOPTED && shared.forward(other) === slot) {
      shared.setForward(other, heap.heapSlot);
      heap.adoptedSlots.push(other);
    }
  }
  shared.setForward(slot, heap.heapSlot);
  shared.setStatus(slot, ADOPTING, ADOPTED);
  heap.adoptedSlots.push(slot);
  drainSlot(heap, slot);
}
