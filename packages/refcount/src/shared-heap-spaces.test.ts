import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Memory } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { InvalidObjectError } from './errors.js';
import { ObjectSpace } from './object-space.js';

/**
 * Object spaces stay per worker (DESIGN.md, "Workers: one shared heap"): two spaces over two
 * allocators of one shared heap stand for two workers. A block may travel between them; an object
 * may not: each space keeps its own map of live objects, so a pointer of the other's is refused
 * with a typed error, and nothing changes on either side.
 */
describe('object spaces over one shared heap', () => {
  function twoWorkers() {
    const memory = new Memory({ shared: true, maxBytes: 64 << 20 });
    const spaces = [0, 1].map(() => new ObjectSpace(new ArenaAllocator({ memory, shared: true })));
    const types = spaces.map((space) => space.registerType({ name: 'Pair', size: 8, refs: [0, 4] }));
    return { spaces: spaces as [ObjectSpace, ObjectSpace], types };
  }

  it('refuses another space’s object in every kind of operation, changing nothing', () => {
    const { spaces, types } = twoWorkers();
    const [a, b] = spaces;
    const mine = a.alloc(types[0]!.id);
    const child = a.alloc(types[0]!.id);
    a.setRefSteal(mine, 0, child);
    const theirs = b.alloc(types[1]!.id);
    expect(() => b.incref(mine)).toThrow(InvalidObjectError);
    expect(() => b.decref(mine)).toThrow(InvalidObjectError);
    expect(() => b.getRef(mine, 0)).toThrow(InvalidObjectError);
    expect(() => b.setRef(theirs, 0, mine)).toThrow(InvalidObjectError);
    expect(() => b.getRefcount(mine)).toThrow(InvalidObjectError);
    expect(a.getRefcount(mine)).toBe(1);
    expect(a.getRef(mine, 0)).toBe(child);
    expect(b.getRef(theirs, 0)).toBe(0);
    a.validate();
    b.validate();
    a.decref(mine);
    b.decref(theirs);
    expect(a.liveObjects()).toBe(0);
    expect(b.liveObjects()).toBe(0);
  });
});
