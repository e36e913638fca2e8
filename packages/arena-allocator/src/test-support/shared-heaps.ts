import { Memory } from '@heapkit/memory';
import { ArenaAllocator } from '../arena-allocator.js';

/** Allocators of one shared heap, standing for workers in one thread (`shared-heap*.test.ts`). */

export const SMALL_MEMORY = { maxBytes: 64 << 20 };

export function sharedHeaps(
  count: number,
  memory = new Memory({ ...SMALL_MEMORY, shared: true }),
): ArenaAllocator[] {
  return Array.from({ length: count }, () => new ArenaAllocator({ memory, shared: true }));
}

export function inUse(heap: ArenaAllocator): number {
  return heap.stats().bytesInUse;
}

/**
 * Every allocator publishes its batches and takes back what others freed, until nothing moves.
 * The first adopts abandoned slots first: a batch for a departed allocator waits for its adopter,
 * as that allocator's remote frees do, and the batch's own block with it.
 */
export function settle(...heaps: ArenaAllocator[]): void {
  heaps[0]!.adoptAbandoned();
  for (let round = 0; round < 3; round++) for (const h of heaps) h.reclaim();
}
