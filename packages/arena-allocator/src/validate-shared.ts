import { HeapCorruptionError } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import { POOL_HEADER_BYTES, POOL_OWNER_SLOT, POOL_REF_WORD, POOL_XFREE } from './pool-header.js';
import { headerBlockSize } from './pools.js';
import { forEachInBatch, nextOpen, nextPublished } from './remote-batches.js';
import { FREE, type SharedHeap, SLOT_COUNT } from './shared-heap.js';

/**
 * The shared-heap part of `validate()` (see `shared-heap.ts`), for an allocator whose workers
 * are quiescent: every pool in use names this allocator's slot; every block on a pool's
 * cross-thread list is a live block of that pool with its remote-free bit set, listed once; no
 * other block of the pool has the bit; and the bits set on this allocator's large blocks are
 * exactly the blocks on its stack of remotely freed large blocks. A block may instead wait in a
 * remote-free batch (open or published, see `remote-batches.ts`), in one batch only. O(heap size).
 */
export function validateShared(heap: ArenaAllocator): void {
  const shared = heap.sharedHeap;
  if (shared === undefined) return;
  const { memory, pools, states, config, tlsf } = heap;
  const u32 = memory.u32;
  const fail = (ptr: number, detail: string): never => {
    throw new HeapCorruptionError(ptr, detail);
  };
  const poolSize = config.poolSize;
  const batched = batchedBlocks(heap, shared, fail);
  for (let id = 1; id <= pools.maxArenaId; id++) {
    const arena = pools.arenaAddress[id]!;
    if (arena === 0) continue;
    for (let pool = arena; pool < pools.arenaPoolAddress[id]!; pool += poolSize) {
      if (u32[(pool >>> 2) + POOL_REF_WORD] === 0) continue; // no live block: a free pool, on its arena's list
      if (u32[(pool + POOL_OWNER_SLOT) >>> 2] !== heap.heapSlot) {
        fail(
          pool,
          `pool names heap slot ${u32[(pool + POOL_OWNER_SLOT) >>> 2]}, its owner is slot ${heap.heapSlot}`,
        );
      }
      const size = headerBlockSize(u32, pool);
      const listed = new Set<number>();
      for (let b = (u32[(pool + POOL_XFREE) >>> 2]! & ~1) >>> 0; b !== 0; b = u32[b >>> 2]!) {
        if (
          b < pool + POOL_HEADER_BYTES ||
          b >= pool + poolSize ||
          (b - pool - POOL_HEADER_BYTES) % size !== 0
        ) {
          fail(b, `pool ${pool}'s cross-thread list links to a bad block`);
        }
        if (listed.has(b)) fail(b, `pool ${pool}'s cross-thread list holds a block twice (or a cycle)`);
        if (batched.has(b)) fail(b, 'a block is both on a cross-thread list and in a remote-free batch');
        if (states.get(b) !== LIVE_SMALL || !heap.remotelyFreed(b)) {
          fail(b, 'a block on a cross-thread list is not a live block freed by another thread');
        }
        listed.add(b);
      }
      for (let b = pool + POOL_HEADER_BYTES; b + size <= pool + poolSize; b += size) {
        if (batched.has(b)) {
          if (states.get(b) !== LIVE_SMALL || !heap.remotelyFreed(b)) {
            fail(b, 'a block in a remote-free batch is not a live block freed by another thread');
          }
        } else if (heap.remotelyFreed(b) && !listed.has(b)) {
          fail(b, 'a block freed by another thread is on no cross-thread list and in no batch');
        }
      }
    }
  }
  const largeListed = new Set<number>();
  const stacks = [heap.heapSlot, ...heap.adoptedSlots].map((slot) => shared.peekRemoteLarge(slot));
  for (let b of stacks) {
    for (; b !== 0; b = u32[b >>> 2]!) {
      if (largeListed.has(b)) fail(b, 'a large block is on a remote-free stack twice (or a cycle)');
      if (states.get(b) !== LIVE_LARGE || !heap.remotelyFreed(b)) {
        fail(b, 'a block on the remote-free stack is not a live large block freed by another thread');
      }
      largeListed.add(b);
    }
  }
  tlsf.segmentStarts.forEach((start, i) => {
    states.forEachLive(
      (ptr, state) => {
        if (state === LIVE_LARGE && heap.remotelyFreed(ptr) !== largeListed.has(ptr)) {
          fail(ptr, 'a large block freed by another thread is not on the remote-free stack');
        }
      },
      start,
      tlsf.segmentEnds[i]!,
    );
  });
}

/** Every block address in every slot's remote-free batches, open and published; each once. */
function batchedBlocks(
  heap: ArenaAllocator,
  shared: SharedHeap,
  fail: (ptr: number, detail: string) => never,
): Set<number> {
  heap.memory.refresh(); // batches lie in other threads' memory, which may be beyond our views
  const blocks = new Set<number>();
  const batches = new Set<number>();
  const add = (batch: number): void => {
    if (batches.has(batch)) fail(batch, 'a remote-free batch is listed twice (or a cycle)');
    batches.add(batch);
    forEachInBatch(heap, batch, (ptr) => {
      if (blocks.has(ptr)) fail(ptr, 'a block is in remote-free batches twice');
      blocks.add(ptr);
    });
  };
  for (let slot = 1; slot < SLOT_COUNT; slot++) {
    if (shared.status(slot) === FREE) continue;
    for (let b = shared.peekBatches(slot); b !== 0; b = nextPublished(heap, b)) add(b);
    for (let b = shared.openBatches(slot); b !== 0; b = nextOpen(heap, b)) add(b);
  }
  return blocks;
}
