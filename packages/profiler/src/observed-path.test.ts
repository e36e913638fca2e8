/**
 * A traced allocator over an allocator that offers `observe` (ArenaAllocator) allocates through
 * the observed `malloc` and `free` while tracing: the trace record runs inside the allocator's
 * call (see `observers.ts`). These tests pin what that path must keep.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import type { AllocationObserver, Allocator, ObservedAllocator, Ptr } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import type { TracebackTable } from './traceback-table.js';

/** An ArenaAllocator that counts the observed views it hands out and the calls made through them. */
class CountingArena extends ArenaAllocator {
  views = 0;
  observedCalls = 0;
  override observe(observer: AllocationObserver): ObservedAllocator {
    const view = super.observe(observer);
    this.views++;
    return {
      malloc: (size: number): Ptr => {
        this.observedCalls++;
        return view.malloc(size);
      },
      free: (ptr: Ptr): void => {
        this.observedCalls++;
        view.free(ptr);
      },
    };
  }
}

describe('the observed path (a wrapped allocator that offers observe)', () => {
  it('goes through the observed malloc and free while tracing only, with the same traces', () => {
    // A subclass: its capture might allocate, so the observer keeps the guard (a plain
    // RuntimeFrameStack takes the unguarded exact path instead: see the next test).
    class Frames extends RuntimeFrameStack {}
    const frames = new Frames();
    const profiler = new Profiler({ frameSource: frames });
    const arena = new CountingArena();
    const heap = profiler.wrap(arena);
    frames.push(frames.registerFile('main.py'), 1);
    const before = heap.malloc(10); // not tracing: straight to the allocator
    expect(arena.views).toBe(0);
    profiler.start();
    expect(arena.views).toBe(1);
    const p = heap.malloc(100);
    frames.setLine(2);
    const q = heap.malloc(200);
    heap.free(p);
    heap.free(before); // never traced: nothing changes
    expect(arena.observedCalls).toBe(4);
    expect(profiler.getTracedMemory()).toEqual([200, 300]);
    expect(profiler.getObjectTraceback(q)!.mostRecent.lineno).toBe(2);
    // Calls on the wrapped allocator itself are not traced, as before.
    const direct = arena.malloc(50);
    expect(profiler.getObjectTraceback(direct)).toBeNull();
    arena.free(direct);
    profiler.stop();
    heap.free(q);
    expect(arena.observedCalls).toBe(4);
  });

  it('traces every block with a plain RuntimeFrameStack without a view (no guard needed), the same way', () => {
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames });
    const arena = new CountingArena();
    const heap = profiler.wrap(arena);
    frames.push(frames.registerFile('main.py'), 1);
    profiler.start();
    const p = heap.malloc(100);
    frames.setLine(2);
    const q = heap.malloc(200);
    heap.free(p);
    expect(arena.views).toBe(0);
    expect(profiler.getTracedMemory()).toEqual([200, 300]);
    expect(profiler.getObjectTraceback(q)!.mostRecent.lineno).toBe(2);
    expect(arena.malloc(8)).not.toBe(0); // not traced
    expect(profiler.getTracedMemory()).toEqual([200, 300]);
  });

  it('keeps the reentrancy guard for a frame source that allocates, a RuntimeFrameStack subclass included', () => {
    class NoisyFrames extends RuntimeFrameStack {
      heap: Allocator | undefined;
      override capture(table: TracebackTable, limit: number, entry: never): number {
        this.heap!.free(this.heap!.malloc(1000));
        return super.capture(table, limit, entry);
      }
    }
    const frames = new NoisyFrames();
    const profiler = new Profiler({ frameSource: frames });
    const heap = profiler.wrap(new ArenaAllocator());
    frames.heap = heap;
    frames.push(frames.registerFile('main.py'), 1);
    profiler.start();
    heap.malloc(5);
    heap.malloc(7);
    expect(profiler.getTracedMemory()).toEqual([12, 12]);
    expect(
      profiler
        .takeSnapshot()
        .traces.map((t) => t.size)
        .sort(),
    ).toEqual([5, 7].sort());
  });

  it('samples through its own path, with no view (its countdown runs before the wrapped malloc)', () => {
    const profiler = new Profiler({ sampling: { meanInterval: 64, seed: 3 } });
    const arena = new CountingArena();
    const heap = profiler.wrap(arena);
    profiler.start();
    for (let i = 0; i < 200; i++) heap.free(heap.malloc(32));
    expect(arena.views).toBe(0);
    expect(arena.observedCalls).toBe(0);
  });

  it('counts a block once when a traced allocator of the same profiler wraps an observed one', () => {
    const profiler = new Profiler(); // every block, from the JS stack: the mode that observes
    const arena = new CountingArena();
    const inner = profiler.wrap(arena);
    const outer = profiler.wrap(inner);
    profiler.start();
    for (let i = 0; i < 200; i++) outer.malloc(32);
    expect(arena.views).toBe(0); // the outer records; the inner only forwards
    expect(new Set(profiler.takeSnapshot().traces.map((t) => t.domain))).toEqual(new Set([outer.domain]));
  });
});
