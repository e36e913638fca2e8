/**
 * What `ArenaAllocator.observe(observer)` returns: the allocator's `malloc` and `free` with the
 * observer's calls joined to them (see `Allocator.observe` in `@heapkit/memory`), so that a
 * tool's work (a tracer's record) follows the allocator's own fast path in one call from the
 * user's code, with no guard around it: an ArenaAllocator's `malloc` and `free` never call into
 * another allocator. The allocator itself is not changed: calls made on it report nothing and
 * run exactly the code they ran before.
 *
 * One class for a private allocator and one for an allocator of a shared heap (whose `free`
 * comes from another prototype), each written out, so that each call site below sees one kind
 * of allocator and one target (V8's type feedback is per function: one class serving both
 * would make every call site see two).
 */
import {
  type AllocationObserver,
  ConfigurationError,
  describeValue,
  type ObservedAllocator,
  type Ptr,
} from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';

/** An observed private ArenaAllocator. */
class ObservedArenaAllocator implements ObservedAllocator {
  constructor(
    private readonly allocator: ArenaAllocator,
    private readonly observer: AllocationObserver,
  ) {}

  /** The allocator's `malloc`, then `observer.allocated` (cost: one compare, one load, a call). */
  malloc(size: number): Ptr {
    const p = this.allocator.malloc(size);
    if (p !== 0) this.observer.allocated(p, size);
    return p;
  }

  /** The allocator's `free`, then `observer.freed` (only after a successful free). */
  free(ptr: Ptr): void {
    this.allocator.free(ptr);
    if (ptr !== 0) this.observer.freed(ptr);
  }
}

/** An observed ArenaAllocator of a shared heap (the same code, its own call sites). */
class ObservedSharedArenaAllocator implements ObservedAllocator {
  constructor(
    private readonly allocator: ArenaAllocator,
    private readonly observer: AllocationObserver,
  ) {}

  malloc(size: number): Ptr {
    const p = this.allocator.malloc(size);
    if (p !== 0) this.observer.allocated(p, size);
    return p;
  }

  free(ptr: Ptr): void {
    this.allocator.free(ptr);
    if (ptr !== 0) this.observer.freed(ptr);
  }
}

/** `allocator.observe(observer)`: see the file comment. */
export function observe(allocator: ArenaAllocator, observer: AllocationObserver): ObservedAllocator {
  if (
    typeof observer !== 'object' ||
    observer === null ||
    typeof observer.allocated !== 'function' ||
    typeof observer.freed !== 'function'
  ) {
    throw new ConfigurationError(
      `observe: expected an observer { allocated(ptr, size), freed(ptr) }, got ${describeValue(observer)}`,
    );
  }
  return allocator.sharedHeap === undefined
    ? new ObservedArenaAllocator(allocator, observer)
    : new ObservedSharedArenaAllocator(allocator, observer);
}
