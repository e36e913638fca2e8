import {
  DoubleFreeError,
  describeRegion,
  formatPtr,
  InvalidPointerError,
  isPtr as isU32,
  type Memory,
  type Ptr,
} from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { FREED, LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import { POOL_HEADER_BYTES } from './pool-header.js';
import { FOREIGN } from './pools.js';
import { sharedStateOf } from './shared-owner.js';

/**
 * The state of `ptr`, which must be a live block of `heap` (or, in a shared heap, of another
 * allocator of it: FOREIGN_SMALL or FOREIGN_LARGE); throws the right typed error otherwise.
 * O(1): an integer check, the alignment, the range and two bits of the state map. The slow paths
 * of free, realloc and usableSize call it.
 */
export function liveStateOf(heap: ArenaAllocator, ptr: unknown, operation: string): number {
  if (isU32(ptr) && (ptr & 15) === 0 && ptr < heap.memory.byteLength) {
    const state = heap.states.get(ptr);
    if (state === LIVE_SMALL || state === LIVE_LARGE) {
      return heap.sharedHeap === undefined ? state : sharedStateOf(heap, ptr, state, operation);
    }
  }
  if (viewsWereStale(heap.memory, ptr)) return liveStateOf(heap, ptr, operation);
  throw explainPointer(heap, ptr, operation);
}

/**
 * A pointer at or beyond the views' end may be fine: another worker (or a WASM module, or
 * another Memory over the same backing) grew the memory. Re-creates the views then, and says
 * whether they changed. Only reached off the fast paths, which compare with the views' end.
 */
export function viewsWereStale(memory: Memory, ptr: unknown): ptr is Ptr {
  return typeof ptr === 'number' && ptr >= memory.byteLength && memory.refresh();
}

/**
 * Why a pointer is not a live block of an allocator: the typed error its operation throws, with
 * a message that says whose region the pointer is in (another allocator's, a WASM module's, the
 * region header, past the break), whether it was freed already (also by another thread of a
 * shared heap), or which live block it points inside. Not on any fast path.
 */
export function explainPointer(heap: ArenaAllocator, ptr: unknown, operation: string): InvalidPointerError {
  if (!isU32(ptr)) {
    return InvalidPointerError.notAPointer(ptr, operation);
  }
  if ((ptr & 15) !== 0)
    return new InvalidPointerError(ptr, 'not 16-byte aligned, so not a block start', operation);
  const region = heap.memory.regionOf(ptr);
  const mine = region !== undefined && (region.owner === heap.owner || region.owner === heap.largeOwner);
  if (
    heap.sharedHeap !== undefined &&
    region !== undefined &&
    heap.states.get(ptr) === FREED &&
    heap.sharedHeap.slotOfOwner(region.owner) !== 0
  ) {
    // A block of the shared heap that some allocator of it freed already.
    return new DoubleFreeError(ptr, operation);
  }
  if (region !== undefined && region.owner !== 0 && !mine) {
    return new InvalidPointerError(
      ptr,
      `in ${describeRegion(heap.memory, region)}, not a region of ${nameOf(heap)}`,
      operation,
    );
  }
  // A block of ours that was freed: also after its region went back to the memory.
  if (ptr < heap.memory.byteLength && heap.states.get(ptr) === FREED)
    return new DoubleFreeError(ptr, operation);
  if (region === undefined) {
    return new InvalidPointerError(
      ptr,
      `in no region of the memory (the region header, or beyond the break): not a block of ${nameOf(heap)}`,
      operation,
    );
  }
  if (!mine) {
    return new InvalidPointerError(
      ptr,
      `in ${describeRegion(heap.memory, region)}: not a block of ${nameOf(heap)}`,
      operation,
    );
  }
  const arena = heap.pools.arenaOf(ptr);
  if (arena !== 0 && heap.pools.poolClass[ptr >>> heap.config.poolShift] !== FOREIGN) {
    const pool = ptr - (ptr & (heap.config.poolSize - 1));
    const size = heap.pools.blockSize(ptr);
    const start = pool + POOL_HEADER_BYTES + Math.floor((ptr - pool - POOL_HEADER_BYTES) / size) * size;
    if (ptr >= pool + POOL_HEADER_BYTES && heap.states.get(start) === LIVE_SMALL) {
      return new InvalidPointerError(
        ptr,
        `points ${ptr - start} bytes inside the live ${size}-byte block at ${formatPtr(start)}`,
        operation,
      );
    }
    return new InvalidPointerError(
      ptr,
      'not the start of a live block (in a pool, never allocated)',
      operation,
    );
  }
  return new InvalidPointerError(
    ptr,
    'not the start of a live block (never allocated, or inside one)',
    operation,
  );
}

/** How messages call an allocator. */
function nameOf(heap: ArenaAllocator): string {
  return `this ArenaAllocator (owner ${heap.owner})`;
}
