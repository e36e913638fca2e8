/**
 * A profiler over one worker's allocator of a shared heap (`@heapkit/arena-allocator`,
 * `shared: true`): another worker may free a block this one allocated and traced. The block
 * stays in use for its owner until the owner takes it back (`reclaim()`, or before a new pool);
 * then its trace goes, through the allocator's `onReclaim` hook, and the traced memory is exact.
 * Two allocators in one thread stand for the two workers.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { ConfigurationError, Memory } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';

describe('a profiler over a shared heap', () => {
  it('drops the trace of a block another worker freed when the owner takes it back', () => {
    const memory = new Memory({ shared: true, maxBytes: 64 << 20 });
    const mine = new ArenaAllocator({ memory, shared: true });
    const theirs = new ArenaAllocator({ memory, shared: true });
    const frames = new RuntimeFrameStack();
    const profiler = new Profiler({ frameSource: frames });
    const heap = profiler.wrap(mine);
    profiler.start(1);
    frames.push(frames.registerFile('main.py'), 3);
    const kept = heap.malloc(100);
    const sent = [heap.malloc(64), heap.malloc(64), heap.malloc(5000)];
    expect(profiler.getTracedMemory()[0]).toBe(100 + 64 + 64 + 5000);
    for (const p of sent) theirs.free(p); // the other worker frees them, into a batch for us
    theirs.reclaim(); // and hands the batch over
    expect(profiler.getTracedMemory()[0]).toBe(100 + 64 + 64 + 5000); // still the owner's
    expect(mine.reclaim()).toBe(3);
    expect(profiler.getTracedMemory()[0]).toBe(100);
    expect(profiler.getObjectTraceback(sent[0]!)).toBeNull();
    expect(String(profiler.getObjectTraceback(kept))).toBe('main.py:3');
    const stats = profiler.takeSnapshot().statistics('lineno');
    expect(stats.map((s) => [String(s.traceback), s.size, s.count])).toEqual([['main.py:3', 100, 1]]);
    heap.free(kept);
    expect(profiler.getTracedMemory()[0]).toBe(0);
    profiler.stop();
  });

  it('forwards onReclaim to the allocator it wraps, and checks its argument', () => {
    const memory = new Memory({ shared: true, maxBytes: 64 << 20 });
    const mine = new ArenaAllocator({ memory, shared: true });
    const theirs = new ArenaAllocator({ memory, shared: true });
    const heap = new Profiler().wrap(mine);
    const seen: number[] = [];
    const off = heap.onReclaim((ptr) => seen.push(ptr));
    const p = heap.malloc(32);
    theirs.free(p);
    theirs.reclaim();
    mine.reclaim();
    expect(seen).toEqual([p]);
    off();
    expect(() => heap.onReclaim(7 as unknown as () => void)).toThrow(ConfigurationError);
    expect(new Profiler().wrap(new ArenaAllocator()).onReclaim(() => {})).toBeTypeOf('function');
  });
});
