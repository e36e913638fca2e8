import { HeapCorruptionError } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import { POOL_NEXT_PENDING } from './config.js';
import { ADOPTED, ADOPTING, SLOT_COUNT } from './shared-heap.js';

/**
 * The owner's side of a shared heap: taking back what other workers freed, and adopting the
 * part of the heap a departed allocator left. Neither is on a fast path: `drainSlot` runs before
 * a new pool or segment is carved (and on `reclaim()`), `adoptSlot` when a slot is adopted.
 */

/**
 * Takes back every block on `slot`'s stacks: the pools with remote frees (one exchange for the
 * stack, one per pool for its list) and the remotely freed large blocks. Returns how many.
 */
export function drainSlot(heap: ArenaAllocator, slot: number): number {
  const shared = heap.sharedHeap!;
  let n = 0;
  let pool = shared.takePendingPools(slot);
  while (pool !== 0) {
    // Read the link before the pool's list is taken: from then on a remote free may queue the
    // pool again, rewriting it.
    const next = heap.memory.u32[(pool + POOL_NEXT_PENDING) >>> 2]!;
    let block = shared.takePoolList(pool);
    while (block !== 0) {
      const after = heap.memory.u32[block >>> 2]!;
      heap.takeBack(block, LIVE_SMALL);
      block = after;
      n++;
    }
    pool = next;
  }
  let large = shared.takeRemoteLarge(slot);
  while (large !== 0) {
    const after = heap.memory.u32[large >>> 2]!;
    heap.takeBack(large, LIVE_LARGE);
    large = after;
    n++;
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
