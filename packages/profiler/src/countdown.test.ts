/**
 * The traced allocators' malloc countdown (+Infinity: nothing to trace, -Infinity: every block,
 * else the sampler's bytes) stays right through the odd cases: a NaN size (which would leave the
 * countdown NaN), stop() and start() inside a traced call, nested traced allocators.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { describe, expect, it } from 'vitest';
import type { FrameSource } from './frame-source.js';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('the malloc countdown', () => {
  it('traces every block again after a malloc(NaN) that threw (exact)', () => {
    const stack = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: stack });
    const heap = profiler.wrap(new ArenaAllocator());
    stack.push(stack.registerFile('a.py'), 1);
    profiler.start();
    expect(thrownBy(() => heap.malloc(Number.NaN))).toBeInstanceOf(Error);
    heap.malloc(10);
    heap.malloc(20);
    expect(profiler.getTracedMemory()).toEqual([30, 30]);
  });

  it('keeps sampling after a malloc(NaN) that threw, with the same estimates as without it', () => {
    const run = (withNaN: boolean): number => {
      const stack = new RuntimeFrameStack();
      const profiler = new Profiler({ frameSource: stack, sampling: { meanInterval: 4096, seed: 5 } });
      const heap = profiler.wrap(new ArenaAllocator());
      stack.push(stack.registerFile('a.py'), 1);
      profiler.start();
      if (withNaN) expect(thrownBy(() => heap.malloc(Number.NaN))).toBeInstanceOf(Error);
      for (let i = 0; i < 4000; i++) heap.malloc(64);
      return profiler.getTracedMemory()[0];
    };
    const estimate = run(true);
    // 256,000 bytes allocated: the estimate is unbiased, a few thousand bytes of spread
    expect(estimate).toBeGreaterThan(256_000 * 0.7);
    expect(estimate).toBeLessThan(256_000 * 1.3);
    expect(run(false)).toBeGreaterThan(256_000 * 0.7);
  });

  it('stops tracing when stop() is called inside a traced call, and starts again', () => {
    let stopNow = false;
    let profiler: Profiler;
    const stack = new RuntimeFrameStack();
    stack.push(stack.registerFile('a.py'), 1);
    const source: FrameSource = {
      capture(table, limit, entry) {
        if (stopNow) {
          stopNow = false;
          profiler.stop();
        }
        return stack.capture(table, limit, entry);
      },
    };
    profiler = new Profiler({ frameSource: source });
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start();
    heap.malloc(8);
    stopNow = true;
    heap.malloc(16); // stops tracing from inside
    expect(profiler.isTracing()).toBe(false);
    heap.malloc(32); // not traced
    profiler.start();
    expect(profiler.getTracedMemory()).toEqual([0, 0]);
    heap.malloc(64);
    expect(profiler.getTracedMemory()).toEqual([64, 64]);
  });

  it('records a block once through nested traced allocators of one profiler, exact or sampled', () => {
    for (const sampling of [null, { meanInterval: 1, seed: 3 }]) {
      const stack = new RuntimeFrameStack();
      const profiler = new Profiler({ frameSource: stack, sampling });
      const inner = profiler.wrap(new ArenaAllocator());
      const outer = profiler.wrap(inner);
      stack.push(stack.registerFile('a.py'), 1);
      profiler.start();
      const p = outer.malloc(100);
      // meanInterval 1: a 100-byte block is sampled with weight 1 / (1 - e^-100), i.e. 1
      expect(profiler.getTracedMemory()).toEqual([100, 100]);
      expect(profiler.getObjectTraceback(p, outer.domain)).not.toBeNull();
      expect(profiler.getObjectTraceback(p, inner.domain)).toBeNull();
      outer.free(p);
      expect(profiler.getTracedMemory()).toEqual([0, 100]);
    }
  });

  it('traces through malloc and free taken before start() and after stop() (bound references)', () => {
    for (const sampling of [null, { meanInterval: 1, seed: 3 }]) {
      const stack = new RuntimeFrameStack();
      const profiler = new Profiler({ frameSource: stack, sampling });
      const heap = profiler.wrap(new ArenaAllocator());
      stack.push(stack.registerFile('a.py'), 1);
      const malloc = heap.malloc.bind(heap);
      const free = heap.free.bind(heap);
      profiler.start();
      const p = malloc(100);
      expect(profiler.getTracedMemory()).toEqual([100, 100]);
      const traced = { malloc: heap.malloc.bind(heap), free: heap.free.bind(heap) };
      free(p);
      expect(profiler.getTracedMemory()).toEqual([0, 100]);
      profiler.stop();
      const q = traced.malloc(50); // kept from while tracing: still untraced now
      traced.free(q);
      profiler.start();
      expect(profiler.getTracedMemory()).toEqual([0, 0]);
      const r = traced.malloc(30);
      expect(profiler.getTracedMemory()).toEqual([30, 30]);
      traced.free(r);
      expect(profiler.getTracedMemory()).toEqual([0, 30]);
    }
  });
});
