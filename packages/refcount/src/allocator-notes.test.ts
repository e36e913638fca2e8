import { ArenaAllocator } from '@heapkit/arena-allocator';
import type { Allocator, Memory, Ptr } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { attachCollector } from './collector.js';
import { GC_HEAD_BYTES, ObjectSpace } from './index.js';

/** An allocator wrapper that records what a tracer would be told (`@heapkit/memory`'s optional hooks). */
class RecordingAllocator implements Allocator {
  readonly inner = new ArenaAllocator();
  readonly memory: Memory = this.inner.memory;
  readonly events: string[] = [];
  readonly resolvers: ((ptr: Ptr) => Ptr)[] = [];
  /** The size each block was last asked for with malloc. */
  readonly requested = new Map<Ptr, number>();
  malloc(size: number): Ptr {
    const p = this.inner.malloc(size);
    this.events.push(`malloc ${p}`);
    this.requested.set(p, size);
    return p;
  }
  calloc(count: number, size: number): Ptr {
    return this.inner.calloc(count, size);
  }
  realloc(ptr: Ptr, size: number): Ptr {
    return this.inner.realloc(ptr, size);
  }
  free(ptr: Ptr): void {
    this.events.push(`free ${ptr}`);
    this.inner.free(ptr);
  }
  usableSize(ptr: Ptr): number {
    return this.inner.usableSize(ptr);
  }
  noteCached(ptr: Ptr): void {
    this.events.push(`cached ${ptr}`);
  }
  noteReused(ptr: Ptr, size: number): void {
    this.events.push(`reused ${ptr} ${size}`);
  }
  addBlockResolver(resolve: (ptr: Ptr) => Ptr): void {
    this.resolvers.push(resolve);
  }
}

describe('the allocator hooks for tools (noteCached, noteReused, addBlockResolver)', () => {
  it('tells the allocator of every block the free lists keep and hand out again', () => {
    const allocator = new RecordingAllocator();
    const space = new ObjectSpace(allocator);
    const Pair = space.registerType({ name: 'Pair', size: 8, refs: [0, 4] });
    const Str = space.registerType({ name: 'Str', itemSize: 1 });
    allocator.events.length = 0;
    const a = space.alloc(Pair.id);
    const b = space.alloc(Pair.id);
    space.setRefSteal(a, 0, b);
    const s = space.alloc(Str.id, 5);
    expect(allocator.events).toEqual([`malloc ${a}`, `malloc ${b}`, `malloc ${s}`]);
    allocator.events.length = 0;
    space.decref(a); // a, then b, onto the free lists
    space.decref(s);
    expect(allocator.events).toEqual([`cached ${a}`, `cached ${b}`, `cached ${s}`]);
    allocator.events.length = 0;
    const c = space.alloc(Pair.id); // LIFO: b's block
    const d = space.alloc(Pair.id); // then a's
    const t = space.alloc(Str.id, 3); // the same 16-byte block class as s
    expect([c, d, t]).toEqual([b, a, s]);
    // Each reuse carries the size the space asked malloc for when the block was new.
    const size = (p: number) => allocator.requested.get(p);
    expect(allocator.events).toEqual([
      `reused ${b} ${size(b)}`,
      `reused ${a} ${size(a)}`,
      `reused ${s} ${size(s)}`,
    ]);
    allocator.events.length = 0;
    for (const obj of [c, d, t]) space.decref(obj);
    expect(space.clearFreeLists()).toBe(3);
    // Given back: the tracer already counts them as free; the allocator frees them for real.
    expect(allocator.events.slice(0, 3)).toEqual([`cached ${c}`, `cached ${d}`, `cached ${t}`]);
    expect(allocator.events.slice(3).sort()).toEqual([c, d, t].map((p) => `free ${p}`).sort());
    expect(space.liveObjects()).toBe(0);
    allocator.inner.validate();
  });

  it('is silent with free lists off, and with an allocator that has no hooks', () => {
    const allocator = new RecordingAllocator();
    const space = new ObjectSpace(allocator, { freeListBytes: 0 });
    const T = space.registerType({ name: 'T', size: 8 });
    allocator.events.length = 0;
    const x = space.alloc(T.id);
    space.decref(x);
    expect(allocator.events).toEqual([`malloc ${x}`, `free ${x}`]);
    const plain = new ObjectSpace(new ArenaAllocator()); // no hooks: nothing to call, nothing breaks
    const U = plain.registerType({ name: 'U', size: 8 });
    plain.decref(plain.alloc(U.id));
    expect(plain.freeListBytes).toBe(16);
  });

  it('registers a resolver from any object pointer to its block, 0 for anything else', () => {
    const allocator = new RecordingAllocator();
    const space = new ObjectSpace(allocator);
    attachCollector(space, { onAlloc: () => {}, onFree: () => {} });
    expect(allocator.resolvers).toHaveLength(1);
    const resolve = allocator.resolvers[0]!;
    const Gc = space.registerType({ name: 'Gc', size: 8, gc: true });
    const Plain = space.registerType({ name: 'Plain', size: 8 });
    const g = space.alloc(Gc.id);
    const p = space.alloc(Plain.id);
    expect(resolve(g)).toBe(g - GC_HEAD_BYTES);
    expect(resolve(g)).toBe(space.blockOf(g));
    expect(resolve(p)).toBe(p);
    const block = allocator.malloc(32); // a live block, but no object
    for (const notObject of [0, g - GC_HEAD_BYTES, g + 8, p + 4, block, 2 ** 31, -8, Number.NaN]) {
      expect(resolve(notObject)).toBe(0);
    }
    space.decref(g);
    expect(resolve(g)).toBe(0); // freed
  });
});
