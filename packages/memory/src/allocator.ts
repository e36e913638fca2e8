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
  /**
   * Optional, for allocator-level tools (a tracer such as `@heapkit/profiler`'s). A layer above
   * that keeps freed blocks in a cache of its own (an object space's free lists) calls this when
   * it puts live block `ptr` in that cache: for accounting the block is now free, as if passed to
   * `free`. The block stays allocated in the underlying allocator. Callers test for the method
   * once (at construction), not per call.
   */
  noteCached?(ptr: Ptr): void;
  /**
   * Optional, the counterpart of {@link Allocator.noteCached}: the layer above hands cached block
   * `ptr` out again for a request of `size` bytes (what it would have passed to `malloc`); for
   * accounting it is a new allocation of `size` bytes, made here and now (a tracer records the
   * current frames), exactly as if `malloc(size)` had returned `ptr`.
   */
  noteReused?(ptr: Ptr, size: number): void;
  /**
   * Optional: a layer above whose pointers may point *inside* this allocator's blocks (an object
   * space whose objects start after a GC pre-header) registers how to map such a pointer to its
   * block, so that tools accept either. `resolve(ptr)` returns the block under `ptr`, or `0` when
   * `ptr` is not one of that layer's pointers.
   */
  addBlockResolver?(resolve: (ptr: Ptr) => Ptr): void;
  /**
   * Optional, for allocators that other threads can free into (a shared heap): calls
   * `listener(ptr)` for every block another thread freed, when this allocator takes it back, the
   * moment it stops being in use for this allocator's accounting (a tracer forgets its trace).
   * Returns a function that removes the listener.
   */
  onReclaim?(listener: (ptr: Ptr) => void): () => void;
}
