import { HeapCorruptionError, type Ptr } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import type { SharedHeap } from './shared-heap.js';
import { SLOT_COUNT } from './shared-heap.js';

/**
 * Remote frees of small blocks travel in batches. A worker freeing another worker's small block
 * claims the block (its remote-free bit, one atomic OR: that is what catches a double free,
 * whichever thread makes it) and writes its address into an open batch for the owner's heap
 * slot, in its own memory; when the batch is full, or when the freeing allocator reclaims
 * (`reclaim()`, `trim()`, `detach()`, or by itself before it carves a new pool), it publishes the
 * batch on the owner slot's `batches` stack with one CAS. The owner takes the whole stack with
 * one exchange, takes each block back, and sends the batch home on its pool's cross-thread list.
 *
 * Why: a block freed one by one is written by the freeing thread (the list link) and its pool
 * header CASed, so the owner then misses in its cache on the block, on the pool header and on
 * the remote-free bits, about seven cache-line transfers a block. A batched block costs the
 * freeing thread the state-map read and the claim, and the owner the bit's clearing: the rest
 * is one line per 16 blocks. Bound: at most BATCH_ENTRIES blocks per (freeing allocator, owner)
 * wait in an open batch.
 *
 * A batch is a small block of the freeing allocator, BATCH_BYTES long, u32 words:
 *
 * ```
 *   +0   link      the next batch on the owner slot's `batches` stack (set when published)
 *   +4   nextOpen  the freeing allocator's next open batch (its slot's `openBatches` list,
 *                  which `validate()` and `recover()` walk)
 *   +8   count     block addresses in use
 *   +12  dest      the heap slot whose blocks the batch carries
 *   +16  blocks    BATCH_ENTRIES block addresses
 * ```
 */
export const BATCH_BYTES = 256;
const BATCH_LINK = 0;
const BATCH_NEXT_OPEN = 4;
const BATCH_COUNT = 8;
const BATCH_DEST = 12;
const BATCH_BLOCKS = 16;
/** Block addresses a batch holds. */
export const BATCH_ENTRIES = (BATCH_BYTES - BATCH_BLOCKS) / 4;

/** One allocator's open batches, by destination slot (an index of its slot's `openBatches` list). */
export class RemoteBatches {
  private readonly open = new Uint32Array(SLOT_COUNT);
  /** Published batches not yet back: their return is not a free of the program's. */
  private readonly away = new Set<Ptr>();

  constructor(
    private readonly heap: ArenaAllocator,
    private readonly shared: SharedHeap,
  ) {}

  /**
   * Puts small block `ptr` of slot `dest` (its remote-free bit already claimed) in the open batch
   * for `dest`, publishing the batch when that fills it. False when no batch could be allocated
   * (the memory is exhausted): the caller frees the block on its pool's list instead.
   */
  add(ptr: Ptr, dest: number): boolean {
    let batch = this.open[dest]!;
    if (batch === 0) {
      batch = this.start(dest);
      if (batch === 0) return false;
    }
    const u32 = this.heap.memory.u32;
    const n = u32[(batch + BATCH_COUNT) >>> 2]!;
    u32[((batch + BATCH_BLOCKS) >>> 2) + n] = ptr;
    u32[(batch + BATCH_COUNT) >>> 2] = n + 1;
    if (n + 1 === BATCH_ENTRIES) this.publish(dest);
    return true;
  }

  /** True (once) when `ptr`, taken back from a cross-thread list, is one of our published batches. */
  cameHome(ptr: Ptr): boolean {
    return this.away.size !== 0 && this.away.delete(ptr);
  }

  /** Publishes every open batch. */
  publishAll(): void {
    publishOpenBatches(this.heap, this.shared, this.heap.heapSlot, this.published);
  }

  /** A batch of ours went to `dest`'s stack: no longer open, away until it comes home. */
  private readonly published = (batch: Ptr, dest: number): void => {
    this.open[dest] = 0;
    this.away.add(batch);
  };

  /** A new, empty open batch for `dest`, on this slot's list; 0 when memory is exhausted. */
  private start(dest: number): Ptr {
    // rawMalloc may carve a pool, and reclaim (publishing the other open batches) first.
    const batch = this.heap.rawMalloc(BATCH_BYTES);
    if (batch === 0) return 0;
    const slot = this.heap.heapSlot;
    const u32 = this.heap.memory.u32;
    u32[(batch + BATCH_COUNT) >>> 2] = 0;
    u32[(batch + BATCH_DEST) >>> 2] = dest;
    u32[(batch + BATCH_NEXT_OPEN) >>> 2] = this.shared.openBatches(slot);
    this.shared.setOpenBatches(slot, batch);
    this.open[dest] = batch;
    return batch;
  }

  /** Publishes the open batch for `dest` (full): off this slot's list, onto `dest`'s stack. */
  private publish(dest: number): void {
    const batch = this.open[dest]!;
    const slot = this.heap.heapSlot;
    const u32 = this.heap.memory.u32;
    const next = u32[(batch + BATCH_NEXT_OPEN) >>> 2]!;
    let at = this.shared.openBatches(slot);
    if (at === batch) {
      this.shared.setOpenBatches(slot, next);
    } else {
      // The list holds one batch per owner this thread frees for: a handful.
      while (u32[(at + BATCH_NEXT_OPEN) >>> 2] !== batch) at = u32[(at + BATCH_NEXT_OPEN) >>> 2]!;
      u32[(at + BATCH_NEXT_OPEN) >>> 2] = next;
    }
    this.published(batch, dest);
    this.shared.pushBatch(batch, batch + BATCH_LINK, dest);
  }
}

/**
 * Publishes every batch on `slot`'s open list, each on the stack of the slot whose blocks it
 * carries, and empties the list; `published` hears of each. An allocator's `reclaim()` does it
 * for its own slot; `recover` for the slot of an allocator whose thread ended.
 */
export function publishOpenBatches(
  heap: ArenaAllocator,
  shared: SharedHeap,
  slot: number,
  published?: (batch: Ptr, dest: number) => void,
): void {
  const u32 = heap.memory.u32;
  for (let batch = shared.openBatches(slot); batch !== 0; ) {
    const next = u32[(batch + BATCH_NEXT_OPEN) >>> 2]!;
    const dest = u32[(batch + BATCH_DEST) >>> 2]!;
    published?.(batch, dest);
    shared.pushBatch(batch, batch + BATCH_LINK, dest);
    batch = next;
  }
  shared.setOpenBatches(slot, 0);
}

/** Calls `visit` for each block address in batch `batch`. */
export function forEachInBatch(heap: ArenaAllocator, batch: Ptr, visit: (ptr: Ptr) => void): void {
  const u32 = heap.memory.u32;
  const count = u32[(batch + BATCH_COUNT) >>> 2]!;
  if (count > BATCH_ENTRIES) {
    throw new HeapCorruptionError(
      batch,
      `a remote-free batch claims ${count} blocks, more than ${BATCH_ENTRIES}`,
    );
  }
  const first = (batch + BATCH_BLOCKS) >>> 2;
  for (let i = 0; i < count; i++) visit(u32[first + i]!);
}

/** The batch after `batch` on a `batches` stack. */
export function nextPublished(heap: ArenaAllocator, batch: Ptr): Ptr {
  return heap.memory.u32[(batch + BATCH_LINK) >>> 2]!;
}

/** The batch after `batch` on an `openBatches` list. */
export function nextOpen(heap: ArenaAllocator, batch: Ptr): Ptr {
  return heap.memory.u32[(batch + BATCH_NEXT_OPEN) >>> 2]!;
}
