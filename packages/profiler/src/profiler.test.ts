import { ArenaAllocator } from '@heapkit/arena-allocator';
import { ConfigurationError, DoubleFreeError, HeapkitError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { NotTracingError } from './errors.js';
import { DomainFilter } from './filter.js';
import { displayName } from './js-stack-source.js';
import { MAX_NFRAME, Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import { here } from './test-support/here.js';
import { ThingAllocator } from './test-support/thing-allocator.js';
import { thrownBy } from './test-support/thrown-by.js';

const THIS_FILE = displayName(import.meta.url);

describe('Profiler: the tracemalloc API', () => {
  it('start checks nframe like tracemalloc.start (1..65535, else RangeError)', () => {
    const profiler = new Profiler();
    for (const bad of [0, -1, MAX_NFRAME + 1, 2 ** 30, 1.5, Number.NaN, '2' as never]) {
      const error = thrownBy(() => profiler.start(bad));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(/the number of frames must be in range \[1; 65535\]/);
      expect(profiler.isTracing()).toBe(false);
    }
    profiler.start(MAX_NFRAME);
    expect(profiler.getTracebackLimit()).toBe(MAX_NFRAME);
    profiler.start(3); // while tracing: only the limit changes
    expect(profiler.getTracebackLimit()).toBe(3);
    expect(profiler.isTracing()).toBe(true);
  });

  it('traces every live block; stop and clearTraces forget them (test_get_traced_memory)', () => {
    const profiler = new Profiler();
    const heap = profiler.wrap(new ArenaAllocator());
    expect(profiler.getTracebackLimit()).toBe(1);
    const before = heap.malloc(10); // not tracing: not traced
    profiler.start();
    expect(profiler.getTracedMemory()).toEqual([0, 0]);
    const a = heap.malloc(1000);
    const b = heap.calloc(10, 30);
    expect(profiler.getTracedMemory()).toEqual([1300, 1300]);
    heap.free(a);
    expect(profiler.getTracedMemory()).toEqual([300, 1300]);
    heap.free(before); // never traced: no change
    expect(profiler.getTracedMemory()).toEqual([300, 1300]);
    profiler.resetPeak();
    expect(profiler.getTracedMemory()).toEqual([300, 300]);
    const c = heap.realloc(b, 5000);
    expect(profiler.getTracedMemory()).toEqual([5000, 5000]);
    expect(profiler.takeSnapshot().traces.map((t) => t.size)).toEqual([5000]);
    profiler.clearTraces();
    expect(profiler.getTracedMemory()).toEqual([0, 0]);
    expect(profiler.getObjectTraceback(c)).toBeNull();
    expect(profiler.isTracing()).toBe(true);
    heap.malloc(7);
    profiler.stop();
    expect(profiler.getTracedMemory()).toEqual([0, 0]);
    expect(profiler.isTracing()).toBe(false);
    const error = thrownBy(() => profiler.takeSnapshot());
    expect(error).toBeInstanceOf(NotTracingError);
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error.message).toBe(
      'takeSnapshot: the profiler must be tracing memory allocations (call start() first)',
    );
  });

  it('records the caller’s file and line from the JS stack, and hides its own frames', () => {
    const profiler = new Profiler();
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start(2);
    const allocate = (n: number) => [heap.malloc(n), here()] as const;
    const [p, site] = allocate(24);
    const [q, outer] = [allocate(8)[0], here()];
    const tb = profiler.getObjectTraceback(p)!;
    expect(tb.mostRecent.filename).toBe(THIS_FILE);
    expect(tb.mostRecent.lineno).toBe(site.line);
    expect(tb.length).toBe(2);
    expect(tb.totalNframe).toBeUndefined(); // the stack is deeper than 2: total unknown
    const tq = profiler.getObjectTraceback(q)!;
    expect(tq.frames.map((f) => f.lineno)).toEqual([outer.line, site.line]); // oldest first
    const snapshot = profiler.takeSnapshot();
    expect(snapshot.tracebackLimit).toBe(2);
    expect(snapshot.statistics('lineno')[0]!.traceback.mostRecent.toString()).toBe(
      `${THIS_FILE}:${site.line}`,
    );
    expect(JSON.stringify(snapshot.traces)).not.toContain('traced-allocator');
    expect(JSON.stringify(snapshot.traces)).not.toContain('profiler.ts');
    expect(profiler.getObjectTraceback(p, 1)).toBeNull(); // no such domain
    expect(profiler.getObjectTraceback(p + 16)).toBeNull();
    expect(profiler.getObjectTraceback(-1)).toBeNull();
  });

  it('leaves Error.prepareStackTrace and stackTraceLimit as they were', () => {
    const profiler = new Profiler();
    const heap = profiler.wrap(new ArenaAllocator());
    const prepare = (_e: Error, _s: unknown) => 'custom';
    const saved = [Error.prepareStackTrace, Error.stackTraceLimit] as const;
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = 7;
    try {
      profiler.start(3);
      heap.malloc(1);
      expect(Error.prepareStackTrace).toBe(prepare);
      expect(Error.stackTraceLimit).toBe(7);
      expect(new Error('x').stack).toBe('custom');
    } finally {
      [Error.prepareStackTrace, Error.stackTraceLimit] = saved;
    }
  });

  it('takes guest frames from a RuntimeFrameStack, with their total depth', () => {
    const stack = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: stack });
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start(2);
    const main = stack.registerFile('main.lua');
    const lib = stack.registerFile('lib.lua');
    expect(stack.registerFile('main.lua')).toBe(main);
    const empty = heap.malloc(4);
    stack.push(main, 10);
    stack.push(lib, 3);
    const a = heap.malloc(4);
    stack.setLine(4);
    const b = heap.malloc(4);
    stack.push(lib, 20);
    const c = heap.malloc(4);
    stack.pop();
    stack.pop();
    const d = heap.malloc(4);
    expect(profiler.getObjectTraceback(empty)!.format()).toEqual(['  File "<unknown>", line 0']);
    expect(profiler.getObjectTraceback(a)!.frames.map(String)).toEqual(['main.lua:10', 'lib.lua:3']);
    expect(profiler.getObjectTraceback(b)!.frames.map(String)).toEqual(['main.lua:10', 'lib.lua:4']);
    const tc = profiler.getObjectTraceback(c)!;
    expect(tc.frames.map(String)).toEqual(['lib.lua:4', 'lib.lua:20']);
    expect(tc.totalNframe).toBe(3);
    expect(profiler.getObjectTraceback(d)!.frames.map(String)).toEqual(['main.lua:10']);
    expect(stack.depth).toBe(1);
    expect(() => stack.push(99, 1)).toThrow(RangeError);
    stack.pop();
    expect(() => stack.pop()).toThrow(/empty/);
    expect(() => stack.setLine(1)).toThrow(/empty/);
  });

  it('gives each wrapped allocator its own domain, a foreign allocator included', () => {
    const profiler = new Profiler();
    const arena = profiler.wrap(new ArenaAllocator());
    const thing = profiler.wrap(new ThingAllocator());
    const other = profiler.wrap(new ArenaAllocator(), { domain: 7 });
    expect([arena.domain, thing.domain, other.domain]).toEqual([0, 1, 7]);
    expect(thrownBy(() => profiler.wrap(new ArenaAllocator(), { domain: 7 }))).toBeInstanceOf(
      ConfigurationError,
    );
    expect(thrownBy(() => profiler.wrap(new ArenaAllocator(), { domain: 65536 })).message).toMatch(
      /0..65535/,
    );
    profiler.start();
    const p = thing.malloc(100);
    thing.memory.u32[p >>> 2] = 5;
    expect(thing.memory.u32[p >>> 2]).toBe(5);
    arena.malloc(10);
    other.malloc(1);
    const snapshot = profiler.takeSnapshot();
    expect(snapshot.traces.map((t) => [t.domain, t.size]).sort()).toEqual([
      [0, 10],
      [1, 100],
      [7, 1],
    ]);
    expect(snapshot.filterTraces([new DomainFilter(true, 1)]).statistics('lineno')[0]!.size).toBe(100);
    expect(profiler.getObjectTraceback(p, 1)).not.toBeNull();
    expect(thing.usableSize(p)).toBe(100);
    thing.free(p);
    expect(profiler.getTracedMemory()[0]).toBe(11);
  });

  it('counts a block once when traced allocators are nested (the reentrancy guard)', () => {
    const profiler = new Profiler();
    const inner = profiler.wrap(new ArenaAllocator());
    const outer = profiler.wrap(inner);
    profiler.start();
    const p = outer.malloc(64);
    const q = outer.calloc(2, 8);
    const r = outer.realloc(q, 100);
    expect(profiler.getTracedMemory()).toEqual([164, 164]);
    const snapshot = profiler.takeSnapshot();
    expect(snapshot.traces.map((t) => t.domain)).toEqual([1, 1]);
    // A frame source that allocates through a traced allocator is not traced either.
    const noisy = new Profiler({
      frameSource: {
        capture(table, _limit) {
          noisyHeap.malloc(1000);
          table.beginTraceback();
          table.pushFrame(table.fileId('guest'), 1);
          return table.endTraceback(1);
        },
      },
    });
    const noisyHeap = noisy.wrap(new ArenaAllocator());
    noisy.start();
    noisyHeap.malloc(5);
    expect(noisy.getTracedMemory()).toEqual([5, 5]);
    outer.free(p);
    outer.free(r);
    expect(profiler.getTracedMemory()).toEqual([0, 164]);
  });

  it('stays usable after the wrapped allocator throws, and keeps the trace of a failed free', () => {
    const profiler = new Profiler();
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start();
    const p = heap.malloc(32);
    heap.free(p);
    expect(thrownBy(() => heap.free(p))).toBeInstanceOf(DoubleFreeError);
    expect(thrownBy(() => heap.malloc(-1))).toBeInstanceOf(HeapkitError);
    expect(thrownBy(() => heap.realloc(12345, 8))).toBeInstanceOf(HeapkitError);
    const q = heap.malloc(48);
    expect(profiler.getTracedMemory()).toEqual([48, 48]);
    expect(thrownBy(() => heap.free(q + 16))).toBeInstanceOf(HeapkitError);
    expect(profiler.getObjectTraceback(q)).not.toBeNull();
  });

  it('keeps the old trace when realloc fails, and traces nothing for a failed malloc', () => {
    const profiler = new Profiler();
    const inner = new ArenaAllocator();
    const heap = profiler.wrap({
      memory: inner.memory,
      malloc: (n: number) => (n > 1000 ? 0 : inner.malloc(n)),
      calloc: (c: number, n: number) => (c * n > 1000 ? 0 : inner.calloc(c, n)),
      realloc: (p: number, n: number) => (n > 1000 ? 0 : inner.realloc(p, n)),
      free: (p: number) => inner.free(p),
      usableSize: (p: number) => inner.usableSize(p),
    });
    profiler.start();
    const p = heap.malloc(100);
    expect(heap.realloc(p, 5000)).toBe(0);
    expect(heap.malloc(5000)).toBe(0);
    expect(heap.calloc(5000, 1)).toBe(0);
    expect(profiler.getTracedMemory()).toEqual([100, 100]);
    expect(heap.realloc(0, 10)).not.toBe(0); // realloc(0, n) is malloc(n)
    heap.free(0);
    expect(profiler.getTracedMemory()).toEqual([110, 110]);
    expect(heap.usableSize(p)).toBeGreaterThanOrEqual(100);
    expect(heap.memory).toBe(inner.memory);
  });

  it('reports its own memory, which clearTraces does not grow (test_get_tracemalloc_memory)', () => {
    const stack = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: stack });
    const heap = profiler.wrap(new ArenaAllocator());
    profiler.start();
    const empty = profiler.getTracemallocMemory();
    expect(empty).toBeGreaterThan(0);
    const file = stack.registerFile('f');
    stack.push(file, 0);
    for (let i = 0; i < 5000; i++) {
      stack.setLine(i);
      heap.malloc(16);
    }
    const full = profiler.getTracemallocMemory();
    expect(full).toBeGreaterThan(empty + 5000 * 16);
    profiler.clearTraces();
    expect(profiler.getTracemallocMemory()).toBeLessThanOrEqual(full);
  });

  it('rejects bad options with ConfigurationError', () => {
    expect(thrownBy(() => new Profiler({ sampling: { meanInterval: 0 } }))).toBeInstanceOf(
      ConfigurationError,
    );
    expect(thrownBy(() => new Profiler({ sampling: { meanInterval: Number.NaN } }))).toBeInstanceOf(
      ConfigurationError,
    );
    expect(thrownBy(() => new Profiler({ sampling: { seed: 0.5 } })).message).toMatch(
      /seed must be an integer/,
    );
    expect(new Profiler({ sampling: {} }).samplingInterval).toBe(512 * 1024);
  });
});
