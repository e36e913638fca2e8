import type { Memory } from './memory.js';
import type { Ptr } from './ptr.js';

/**
 * The interface every heapkit layer allocates through: ours (`@heapkit/arena-allocator`) or
 * a foreign one (a WASM module's malloc, `@thi.ng/malloc`) behind a small adapter. Mirrors C's
 * `malloc` family, as CPython's `PyMemAllocatorEx` does.
 */
export interface Allocator {
  /** The memory every returned pointer points into. */
  readonly memory: Memory;
  /**
   * Allocates at least `size` bytes (`malloc(0)` returns a valid unique block). Returns the
   * block's pointer, or `0` when memory is exhausted and cannot grow.
   */
  malloc(size: number): Ptr;
  /** Allocates `count * size` zeroed bytes, or returns `0` (also on overflow). */
  calloc(count: number, size: number): Ptr;
  /**
   * Resizes a block, keeping its contents up to the smaller size; may move it. `realloc(0, n)`
   * is `malloc(n)`. Returns `0` on exhaustion and then leaves the old block untouched.
   */
  realloc(ptr: Ptr, size: number): Ptr;
  /** Frees a live block. `free(0)` is a no-op. */
  free(ptr: Ptr): void;
  /** The number of bytes the block can actually hold (at least what was requested). */
  usableSize(ptr: Ptr): number;
}
