/**
 * The profiler sees the truth over an object space with its default settings (issue 15, items 1
 * and 2): a block the space's free lists keep is freed for `@heapkit/profiler`, and a block they
 * hand out again is a new allocation at the frames of the moment; `getObjectTraceback` accepts
 * object pointers, with or without a GC pre-header.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Profiler, RuntimeFrameStack } from '@heapkit/profiler';
import { describe, expect, it } from 'vitest';
import { ObjectSpace } from './index.js';

/** A space over a traced ArenaAllocator, default options (free lists on), guest frames. */
function tracedSpace() {
  const frames = new RuntimeFrameStack();
  const profiler = new Profiler({ frameSource: frames });
  const allocator = profiler.wrap(new ArenaAllocator());
  const space = new ObjectSpace(allocator); // default options: free lists on
  const file = frames.registerFile('main.py');
  profiler.start(5);
  return { frames, profiler, space, file };
}

/** Bytes and count by line, from a fresh snapshot. */
function byLine(profiler: Profiler): Record<string, [number, number]> {
  return Object.fromEntries(
    profiler
      .takeSnapshot()
      .statistics('lineno')
      .map((s) => [String(s.traceback), [s.size, s.count]]),
  );
}

describe('the profiler over an ObjectSpace with free lists on', () => {
  it('counts a block reused from a free list at the line that reused it, and nothing at the line that freed it', () => {
    const { frames, profiler, space, file } = tracedSpace();
    const Pair = space.registerType({ name: 'Pair', size: 8, refs: [0, 4] });

    frames.push(file, 10);
    const first = Array.from({ length: 100 }, () => space.alloc(Pair.id));
    const block = profiler.getTracedMemory()[0] / 100; // each traced block's bytes
    expect(byLine(profiler)).toEqual({ 'main.py:10': [100 * block, 100] });

    for (const obj of first) space.decref(obj); // onto the space's free lists, not back to the allocator
    expect(profiler.getTracedMemory()[0]).toBe(0);
    expect(byLine(profiler)).toEqual({});

    frames.setLine(20);
    const second = Array.from({ length: 60 }, () => space.alloc(Pair.id));
    expect(new Set([...first, ...second]).size).toBe(100); // every one reused a freed block
    expect(byLine(profiler)).toEqual({ 'main.py:20': [60 * block, 60] });
    expect(profiler.getTracedMemory()).toEqual([60 * block, 100 * block]);

    for (const obj of second) space.decref(obj);
    expect(profiler.getTracedMemory()[0]).toBe(0);
    frames.pop();
    space.validate();
  });

  it('keeps variable-length objects exact through reuse too', () => {
    const { frames, profiler, space, file } = tracedSpace();
    const Str = space.registerType({ name: 'str', itemSize: 1 });
    frames.push(file, 1);
    const a = space.alloc(Str.id, 40);
    const [bytes] = profiler.getTracedMemory();
    space.decref(a);
    frames.setLine(2);
    const b = space.alloc(Str.id, 40);
    expect(byLine(profiler)).toEqual({ 'main.py:2': [bytes, 1] });
    space.decref(b);
    expect(profiler.getTracedMemory()[0]).toBe(0);
  });

  it('finds the traceback of an object pointer, GC pre-header or not, and null once it is freed', () => {
    const { frames, profiler, space, file } = tracedSpace();
    const Plain = space.registerType({ name: 'Plain', size: 8 });
    const Container = space.registerType({ name: 'Container', size: 8, refs: [0, 4], gc: true });
    frames.push(file, 7);
    const plain = space.alloc(Plain.id);
    frames.setLine(8);
    const container = space.alloc(Container.id);
    expect(space.blockOf(container)).not.toBe(container); // it starts after a pre-header
    expect(String(profiler.getObjectTraceback(plain))).toBe('main.py:7');
    expect(String(profiler.getObjectTraceback(container))).toBe('main.py:8');
    expect(String(profiler.getObjectTraceback(space.blockOf(container)))).toBe('main.py:8');
    expect(profiler.getObjectTraceback(container + 4)).toBeNull(); // inside the object: not an object pointer
    space.decref(container);
    expect(profiler.getObjectTraceback(container)).toBeNull(); // cached by the free lists: freed for the profiler
    space.decref(plain);
    expect(profiler.getObjectTraceback(plain)).toBeNull();
  });
});
