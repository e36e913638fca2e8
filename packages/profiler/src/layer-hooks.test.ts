/**
 * The `Allocator` hooks for layers above a traced allocator: a layer that caches freed blocks
 * (an object space's free lists) reports them with `noteCached` / `noteReused`, so live memory,
 * statistics and tracebacks stay exact; a layer whose pointers point inside blocks (objects after
 * a GC pre-header) registers a block resolver, so `getObjectTraceback` accepts its pointers.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { type Allocator, ConfigurationError, type Ptr } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import { thrownBy } from './test-support/thrown-by.js';

/**
 * A small caching layer, as an object space's per-type free list: `release` keeps the block in
 * its cache (telling the allocator with `noteCached`), `take` hands a cached block out again
 * (`noteReused`, with the size it would have asked `malloc` for) before it asks for a new one. Like the real layer, it looks the hooks
 * up once.
 */
class FreeListLayer {
  private readonly cache: Ptr[] = [];
  private readonly cached: ((ptr: Ptr) => void) | undefined;
  private readonly reused: ((ptr: Ptr, size: number) => void) | undefined;

  constructor(
    private readonly allocator: Allocator,
    private readonly size: number,
  ) {
    this.cached = allocator.noteCached?.bind(allocator);
    this.reused = allocator.noteReused?.bind(allocator);
  }

  take(): Ptr {
    const ptr = this.cache.pop();
    if (ptr === undefined) return this.allocator.malloc(this.size);
    this.reused?.(ptr, this.size);
    return ptr;
  }

  release(ptr: Ptr): void {
    this.cache.push(ptr);
    this.cached?.(ptr);
  }

  get cachedBlocks(): number {
    return this.cache.length;
  }
}

/** Line → [bytes, blocks] of the snapshot's statistics by line. */
function byLine(profiler: Profiler): Map<number, [number, number]> {
  return new Map(
    profiler
      .takeSnapshot()
      .statistics('lineno')
      .map((s) => [s.traceback.mostRecent.lineno, [s.size, s.count]]),
  );
}

describe('noteCached / noteReused: a caching layer above the traced allocator', () => {
  it('accounts a cached block as freed and a reused one as new at the current line', () => {
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames });
    const heap = profiler.wrap(new ArenaAllocator());
    const layer = new FreeListLayer(heap, 48); // 48: the usable size is the requested size
    profiler.start();
    frames.push(frames.registerFile('vm.py'), 10);
    const objects = Array.from({ length: 100 }, () => layer.take());
    expect(profiler.getTracedMemory()).toEqual([4800, 4800]);

    frames.setLine(20); // frees at line 20: into the layer's cache
    for (const p of objects.splice(0, 60)) layer.release(p);
    expect(layer.cachedBlocks).toBe(60);
    expect(profiler.getTracedMemory()).toEqual([40 * 48, 4800]);
    expect(byLine(profiler)).toEqual(new Map([[10, [40 * 48, 40]]]));

    frames.setLine(30); // allocations at line 30 reuse the cached blocks
    const reused = Array.from({ length: 45 }, () => layer.take());
    expect(layer.cachedBlocks).toBe(15);
    expect(profiler.getTracedMemory()).toEqual([85 * 48, 4800]);
    expect(byLine(profiler)).toEqual(
      new Map([
        [10, [40 * 48, 40]],
        [30, [45 * 48, 45]],
      ]),
    );
    for (const p of reused) expect(profiler.getObjectTraceback(p)!.mostRecent.lineno).toBe(30);
    expect(profiler.getObjectTraceback(objects[0]!)!.mostRecent.lineno).toBe(10);

    frames.setLine(40); // everything back to the cache, then a higher peak by reuse
    for (const p of [...objects, ...reused]) layer.release(p);
    expect(profiler.getTracedMemory()).toEqual([0, 4800]);
    expect(profiler.takeSnapshot().traces).toEqual([]);
    profiler.resetPeak();
    Array.from({ length: 100 }, () => layer.take());
    expect(byLine(profiler)).toEqual(new Map([[40, [4800, 100]]]));
    expect(profiler.getTracedMemory()).toEqual([4800, 4800]);
  });

  it('accounts a reused block at the size requested (as malloc would), and ignores blocks cached before tracing', () => {
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames });
    const arena = new ArenaAllocator();
    const heap = profiler.wrap(arena);
    const layer = new FreeListLayer(heap, 20);
    frames.push(frames.registerFile('vm.py'), 1);
    const early = layer.take(); // not tracing yet
    layer.release(early);
    profiler.start();
    expect(profiler.getTracedMemory()).toEqual([0, 0]);
    const p = layer.take();
    expect(p).toBe(early);
    expect(arena.usableSize(p)).toBeGreaterThan(20); // the block is bigger than the request...
    expect(profiler.getTracedMemory()).toEqual([20, 20]); // ...and it is traced as the request, as malloc(20) is
    layer.release(p);
    expect(profiler.getTracedMemory()).toEqual([0, 20]);
  });

  it('stays consistent in sampling mode: traced memory is the sum of the traces, 0 when all cached', () => {
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames, sampling: { meanInterval: 2048, seed: 5 } });
    const heap = profiler.wrap(new ArenaAllocator());
    const layer = new FreeListLayer(heap, 64);
    profiler.start();
    const file = frames.registerFile('vm.py');
    frames.push(file, 1);
    const live: Ptr[] = [];
    let seed = 12345;
    for (let step = 0; step < 20_000; step++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      frames.setLine(1 + (seed % 7));
      if (live.length > 0 && seed % 3 === 0) {
        const i = (seed >>> 8) % live.length;
        layer.release(live[i]!);
        live[i] = live[live.length - 1]!;
        live.pop();
      } else {
        live.push(layer.take());
      }
    }
    const snapshot = profiler.takeSnapshot();
    expect(snapshot.traces.length).toBeGreaterThan(0);
    expect(snapshot.traces.length).toBeLessThan(live.length); // it really sampled
    const sum = snapshot.traces.reduce((n, t) => n + t.size * t.weight, 0);
    expect(profiler.getTracedMemory()[0]).toBe(Math.round(sum));
    // The estimate is near the truth (20 standard errors would be ~ the whole; this is loose).
    expect(Math.abs(sum - live.length * 64)).toBeLessThan(live.length * 64 * 0.5);
    for (const p of live) layer.release(p);
    expect(profiler.getTracedMemory()[0]).toBe(0);
    expect(profiler.takeSnapshot().traces).toEqual([]);
  });

  it('forwards the hooks to a wrapped traced allocator: one trace per profiler', () => {
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames });
    const other = new Profiler({ frameSource: frames });
    const inner = profiler.wrap(other.wrap(new ArenaAllocator()));
    const outer = profiler.wrap(inner);
    const layer = new FreeListLayer(outer, 32);
    frames.push(frames.registerFile('vm.py'), 1);
    profiler.start();
    other.start();
    const p = layer.take();
    layer.release(p);
    expect(profiler.getTracedMemory()).toEqual([0, 32]);
    expect(other.getTracedMemory()).toEqual([0, 32]);
    frames.setLine(2);
    expect(layer.take()).toBe(p);
    // Within one profiler the outermost traced allocator records it (the reentrancy guard);
    // another profiler's traced allocator inside records it too.
    expect(profiler.takeSnapshot().traces.map((t) => [t.domain, t.size])).toEqual([[outer.domain, 32]]);
    expect(profiler.getObjectTraceback(p, outer.domain)!.mostRecent.lineno).toBe(2);
    expect(other.getObjectTraceback(p)!.mostRecent.lineno).toBe(2);
    expect(profiler.getTracedMemory()).toEqual([32, 32]);
    expect(other.getTracedMemory()).toEqual([32, 32]);
  });
});

/**
 * A layer whose objects start after a 16-byte pre-header (as objects of a GC type do): an
 * object pointer is its block + 16. It registers a resolver for its own objects only.
 */
const PRE_HEADER = 16;
class PreHeaderLayer {
  readonly objects = new Set<Ptr>();
  constructor(private readonly allocator: Allocator) {
    allocator.addBlockResolver?.((ptr) => (this.objects.has(ptr) ? ptr - PRE_HEADER : 0));
  }
  alloc(payload: number): Ptr {
    const obj = this.allocator.malloc(PRE_HEADER + payload) + PRE_HEADER;
    this.objects.add(obj);
    return obj;
  }
  free(obj: Ptr): void {
    this.objects.delete(obj);
    this.allocator.free(obj - PRE_HEADER);
  }
}

describe('addBlockResolver: getObjectTraceback accepts pointers inside blocks', () => {
  it('finds the trace of an object after a pre-header; null only for what was not traced', () => {
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames });
    const heap = profiler.wrap(new ArenaAllocator());
    const other = profiler.wrap(new ArenaAllocator());
    const layer = new PreHeaderLayer(heap);
    frames.push(frames.registerFile('vm.py'), 3);
    const untraced = layer.alloc(32); // before start
    profiler.start();
    const obj = layer.alloc(32);
    frames.setLine(4);
    const plain = heap.malloc(8); // a block of the domain, not one of the layer's objects
    expect(String(profiler.getObjectTraceback(obj))).toBe('vm.py:3');
    expect(String(profiler.getObjectTraceback(obj - PRE_HEADER))).toBe('vm.py:3'); // the block too
    expect(String(profiler.getObjectTraceback(plain))).toBe('vm.py:4');
    expect(profiler.getObjectTraceback(untraced)).toBeNull(); // resolved, but never traced
    expect(profiler.getObjectTraceback(obj + 4)).toBeNull(); // not an object, not a block
    expect(profiler.getObjectTraceback(obj, other.domain)).toBeNull(); // another domain's resolvers
    layer.free(obj);
    expect(profiler.getObjectTraceback(obj)).toBeNull(); // freed
    expect(profiler.getTracedMemory()[0]).toBe(8);
  });

  it('rejects a resolver that is not a function, and keeps working', () => {
    const profiler = new Profiler();
    const heap = profiler.wrap(new ArenaAllocator());
    const error = thrownBy(() => heap.addBlockResolver(42 as never));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/addBlockResolver: expected a function/);
    profiler.start();
    const p = heap.malloc(8);
    expect(profiler.getObjectTraceback(p)).not.toBeNull();
  });
});
