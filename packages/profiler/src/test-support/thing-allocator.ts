/**
 * The adapter a foreign allocator needs to be profiled: `@thi.ng/malloc`'s MemPool behind the
 * heapkit `Allocator` interface, over a heapkit `Memory` on a fixed ArrayBuffer. (The README
 * shows the same adapter.)
 */
import { type Allocator, Memory, type Ptr } from '@heapkit/memory';
import { MemPool } from '@thi.ng/malloc';

export class ThingAllocator implements Allocator {
  readonly memory: Memory;
  private readonly pool: MemPool;
  /** MemPool does not say how big a block is: remember the requested sizes. */
  private readonly sizes = new Map<Ptr, number>();

  constructor(bytes = 1 << 20) {
    const buffer = new ArrayBuffer(bytes);
    this.memory = new Memory({ buffer });
    this.pool = new MemPool({ buf: buffer });
  }

  malloc(size: number): Ptr {
    const ptr = this.pool.malloc(Math.max(size, 1));
    if (ptr !== 0) this.sizes.set(ptr, size);
    return ptr;
  }

  calloc(count: number, size: number): Ptr {
    const ptr = this.pool.calloc(Math.max(count * size, 1));
    if (ptr !== 0) this.sizes.set(ptr, count * size);
    return ptr;
  }

  realloc(ptr: Ptr, size: number): Ptr {
    if (ptr === 0) return this.malloc(size);
    const moved = this.pool.realloc(ptr, Math.max(size, 1));
    if (moved !== 0) {
      this.sizes.delete(ptr);
      this.sizes.set(moved, size);
    }
    return moved;
  }

  free(ptr: Ptr): void {
    if (ptr === 0) return;
    if (!this.sizes.delete(ptr)) throw new Error(`free(${ptr}): not a live block`);
    this.pool.free(ptr);
  }

  usableSize(ptr: Ptr): number {
    return this.sizes.get(ptr) ?? 0;
  }
}
