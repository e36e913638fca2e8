import { DoubleFreeError, type Ptr } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { FREED, LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import {
  checkDebugBlock,
  DEBUG_FRONT,
  DEBUG_OVERHEAD,
  killDebugBlock,
  writeDebugBlock,
} from './debug-guards.js';
import { explainPointer } from './pointer-errors.js';
import { MAX_BLOCK } from './tlsf.js';

/**
 * `ArenaAllocator`'s operations in debug mode (`debug: true`): every block wrapped in guards and
 * fill patterns (layout in `debug-guards.ts`), checked on every free, realloc and usableSize.
 * The user pointer is the inner block's + 16.
 */

/** A debug block of `size` user bytes; 0 on exhaustion. */
export function debugMalloc(heap: ArenaAllocator, size: number): Ptr {
  if (size > MAX_BLOCK - DEBUG_OVERHEAD) return 0;
  const inner = heap.rawMalloc(size + DEBUG_OVERHEAD);
  if (inner === 0) return 0;
  return writeDebugBlock(heap.memory.u8, heap.memory.u32, inner, size);
}

/** Checks the guards of debug block `ptr`, fills it with 0xDD and frees it. */
export function debugFree(heap: ArenaAllocator, ptr: Ptr, operation: string): void {
  const inner = debugInnerOf(heap, ptr, operation);
  const innerSize = heap.rawUsableSize(inner);
  checkDebugBlock(heap.memory.u8, heap.memory.u32, inner, innerSize);
  killDebugBlock(heap.memory.u8, inner, innerSize);
  heap.rawFree(inner, heap.states.get(inner));
}

/** Always moves, so that code still using the old pointer meets 0xDD bytes. */
export function debugRealloc(heap: ArenaAllocator, ptr: Ptr, size: number): Ptr {
  const inner = debugInnerOf(heap, ptr, 'realloc');
  const n = checkDebugBlock(heap.memory.u8, heap.memory.u32, inner, heap.rawUsableSize(inner));
  const q = debugMalloc(heap, size);
  if (q === 0) return 0;
  heap.memory.u8.copyWithin(q, ptr, ptr + Math.min(n, size));
  debugFree(heap, ptr, 'realloc');
  return q;
}

/** The inner block of debug-mode user pointer `ptr`, checked to be live. */
export function debugInnerOf(heap: ArenaAllocator, ptr: unknown, operation: string): number {
  if (
    typeof ptr === 'number' &&
    ptr >>> 0 === ptr &&
    (ptr & 15) === 0 &&
    ptr >= DEBUG_FRONT &&
    ptr < heap.memory.byteLength
  ) {
    const state = heap.states.get(ptr - DEBUG_FRONT);
    if (state === LIVE_SMALL || state === LIVE_LARGE) return ptr - DEBUG_FRONT;
    if (state === FREED) throw new DoubleFreeError(ptr, operation);
  }
  throw explainPointer(heap, ptr, operation);
}
