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
  /**
   * Optional, for a layer that frees many blocks at once (a cycle collector's garbage): frees
   * `ptrs[0]` to `ptrs[count - 1]` with the outcome of `free` on each in order, but with less
   * work where the allocator can batch it. An entry `free` would refuse is skipped, every other
   * block is still freed, and the first such error is thrown at the end. `ptrs` is not changed.
   * Callers test for the method once (at construction) and otherwise call `free` per block.
   */
  freeMany?(ptrs: Uint32Array, count: number): void;
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
  /**
   * Optional, for allocator-level tools that must cost little (a tracer such as
   * `@heapkit/profiler`'s): returns this allocator's `malloc` and `free` with `observer`'s calls
   * joined to them. A block the returned `malloc` allocates is reported to
   * `observer.allocated(ptr, size)` and a block the returned `free` frees to
   * `observer.freed(ptr)`, from inside those calls, once the block is chosen or freed; a call
   * that throws or returns 0 reports nothing, nor does `free(0)`. Calls made on the allocator
   * itself report nothing. By offering it, an allocator also promises that its `malloc` and
   * `free` never call back into other allocators (so a tool needs no reentrancy guard around
   * them). Throws `ConfigurationError` for anything but an {@link AllocationObserver}.
   */
  observe?(observer: AllocationObserver): ObservedAllocator;
}

/**
 * What {@link Allocator.observe} reports to. Both methods are called on the allocator's hot
 * paths, after its own work: keep them small.
 */
export interface AllocationObserver {
  /** Block `ptr` was just allocated for a request of `size` bytes (what the caller asked for). */
  allocated(ptr: Ptr, size: number): void;
  /** Block `ptr` (not 0) was just freed. */
  freed(ptr: Ptr): void;
}

/** An allocator's `malloc` and `free` that report to an observer (see {@link Allocator.observe}). */
export interface ObservedAllocator {
  /** The allocator's `malloc`, then `observer.allocated` for the block (unless 0). */
  malloc(size: number): Ptr;
  /** The allocator's `free`, then `observer.freed` for the block (unless 0). */
  free(ptr: Ptr): void;
}

/**
 * What {@link Allocator.observe} reports to. Both methods are called on the allocator's hot
 * paths, after its own work: keep them small, and do not allocate from or free to the observed
 * allocator in them without a guard of your own (they would report again).
 */
export interface AllocationObserver {
  /** Block `ptr` was just allocated for a request of `size` bytes (what the caller asked for). */
  allocated(ptr: Ptr, size: number): void;
  /** Block `ptr` (not 0) was just freed. */
  freed(ptr: Ptr): void;
}
