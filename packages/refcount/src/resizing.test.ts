import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Memory, MemoryError } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachCollector } from './collector.js';
import {
  CAPACITY_WORD,
  FreedObjectError,
  InvalidLengthError,
  InvalidObjectError,
  ObjectSpace,
  ResizeError,
} from './index.js';
import { overallocate } from './resizing.js';
import { makeSpace } from './test-support/space.js';
import { thrownBy } from './test-support/thrown-by.js';

const fixnum = (n: number) => ((n << 1) | 1) >>> 0;

function world(debug = false) {
  const { space, allocator, unraisable } = makeSpace({ debug });
  // List: a scalar word (a tag) then value items; Bytes: raw bytes.
  const List = space.registerType({ name: 'List', size: 4, itemSize: 4, itemValues: [0] });
  const Bytes = space.registerType({ name: 'Bytes', itemSize: 1 });
  const Leaf = space.registerType({ name: 'Leaf', size: 8 });
  const capacity = (obj: number) => space.memory.u32[(obj >>> 2) + CAPACITY_WORD]!;
  return { space, allocator, unraisable, List, Bytes, Leaf, capacity };
}

describe('resize', () => {
  it("over-allocates as CPython's list_resize: appends see capacities 4, 8, 16, 24, 32, 40, 52, 64, 76", () => {
    // The pattern test_sys.py / listobject.c give for list.append from empty (CPython 3.12).
    const { space, List, capacity } = world();
    let list = space.alloc(List.id, 0);
    const seen = new Set<number>();
    for (let n = 1; n <= 76; n++) {
      list = space.resize(list, n);
      space.setValue(list, 4 * n, fixnum(n)); // item n-1 (after the 4-byte fixed part)
      seen.add(Math.max(capacity(list), n));
    }
    expect([...seen]).toEqual([4, 8, 16, 24, 32, 40, 52, 64, 76]);
    for (let n = 1; n <= 76; n++) expect(space.getValue(list, 4 * n)).toBe(fixnum(n));
    space.validate();
    space.decref(list);
    expect(space.liveObjects()).toBe(0);
    expect(overallocate(0, 5)).toBe(0);
    expect(overallocate(100, 1)).toBe(100); // one big growth: no margin (rounded up to 4)
  });

  it('getSizeOf counts the room an over-allocated object has, as list.__sizeof__ counts allocated', () => {
    const { space, List, capacity } = world();
    const empty = space.alloc(List.id, 0);
    const base = space.getSizeOf(empty); // no items
    const list = space.resize(empty, 5); // list_resize gives it room for 8
    expect(capacity(list)).toBeGreaterThan(5);
    expect(space.getSizeOf(list)).toBe(base + 4 * capacity(list)); // 4-byte items
    const exact = space.alloc(List.id, 5); // never resized: just its items
    expect(space.getSizeOf(exact)).toBe(base + 4 * 5);
    space.decref(list);
    space.decref(exact);
    expect(space.liveObjects()).toBe(0);
  });

  it('grows with zeroed items, keeps the references of moved items, and frees the old address', () => {
    const { space, List, Leaf, capacity } = world();
    const leaf = space.alloc(Leaf.id);
    const list = space.alloc(List.id, 2);
    space.setU32(list, 0, 77);
    space.setValue(list, 4, leaf);
    space.setValue(list, 8, fixnum(-5));
    const moved = space.resize(list, 100);
    expect(space.getRefcount(leaf)).toBe(2); // no count changed by the move
    expect(space.getU32(moved, 0)).toBe(77);
    expect(space.getValue(moved, 4)).toBe(leaf);
    expect(space.getValue(moved, 8)).toBe(fixnum(-5));
    for (let i = 2; i < 100; i++) expect(space.getValue(moved, 4 + 4 * i)).toBe(0);
    expect(space.length(moved)).toBe(100);
    expect(capacity(moved)).toBe(0); // a single big growth is exact (rounded to 4): 100
    if (moved !== list) expect(thrownBy(() => space.length(list))).toBeInstanceOf(FreedObjectError);
    space.validate();
    space.decref(leaf);
    space.decref(moved);
    expect(space.liveObjects()).toBe(0);
  });

  it('a shrink releases the items beyond it first; growing again gives zeroed items', () => {
    const { space, List, Leaf } = world();
    let list = space.alloc(List.id, 4);
    const leaves = [0, 1, 2, 3].map(() => space.alloc(Leaf.id));
    leaves.forEach((leaf, i) => {
      space.setValue(list, 4 + 4 * i, leaf);
      space.decref(leaf);
    });
    list = space.resize(list, 3); // in place (3 >= 4 / 2)
    expect(space.isAlive(leaves[3]!)).toBe(false);
    expect(space.length(list)).toBe(3);
    list = space.resize(list, 4);
    expect(space.getValue(list, 16)).toBe(0);
    list = space.resize(list, 0);
    expect(space.liveObjects()).toBe(1); // only the list
    space.validate();
    space.decref(list);
    expect(space.liveObjects()).toBe(0);
  });

  it('bytes objects: contents kept through moves, in debug mode too', () => {
    for (const debug of [false, true]) {
      const { space, Bytes } = world(debug);
      let b = space.alloc(Bytes.id, 3);
      space.writeBytes(b, 0, new Uint8Array([1, 2, 3]));
      b = space.resize(b, 1000);
      expect([...space.readBytes(b, 0, 4)]).toEqual([1, 2, 3, 0]);
      b = space.resize(b, 2);
      expect([...space.readBytes(b, 0, 2)]).toEqual([1, 2]);
      space.validate();
      space.decref(b);
      expect(space.liveObjects()).toBe(0);
    }
  });

  it('a GC object is untracked and tracked again around a move (as _PyTuple_Resize does)', () => {
    const { space } = world();
    const events: string[] = [];
    attachCollector(space, {
      onAlloc: (obj) => events.push(`alloc ${obj}`),
      onFree: (obj) => events.push(`free ${obj}`),
    });
    const Tuple = space.registerType({ name: 'tuple', itemSize: 4, itemRefs: [0], gc: true });
    const t = space.alloc(Tuple.id, 1);
    const moved = space.resize(t, 64);
    expect(events).toEqual([`alloc ${t}`, `free ${t}`, `alloc ${moved}`]);
    const u32 = space.memory.u32;
    expect(u32[(moved - 16) >>> 2]).toBe(0); // the pre-header was zeroed for onAlloc
    space.decref(moved);
    expect(events.at(-1)).toBe(`free ${moved}`);
  });
});

describe('resize: bad input is a typed error and changes nothing', () => {
  it('refuses shared, immortal, weakly referenced and fixed-size objects and bad lengths', () => {
    const { space, allocator, List, Leaf } = world();
    const list = space.alloc(List.id, 2);
    const leaf = space.alloc(Leaf.id);
    space.setValue(list, 4, leaf);
    space.setValue(list, 8, fixnum(3));
    const immortal = space.alloc(List.id, 1);
    space.makeImmortal(immortal);
    const watched = space.alloc(List.id, 1);
    const wr = space.weakref(watched);
    const dead = space.alloc(List.id, 1);
    space.decref(dead);
    const intact = () => {
      space.validate();
      allocator.validate();
      expect(space.length(list)).toBe(2);
      expect(space.getValue(list, 4)).toBe(leaf);
      expect(space.getValue(list, 8)).toBe(fixnum(3));
      expect(space.getRefcount(leaf)).toBe(2);
    };
    space.incref(list);
    const cases: [() => unknown, abstract new (...args: never[]) => Error, RegExp][] = [
      [() => space.resize(list, 10), ResizeError, /2 references; resize needs the only one/],
      [() => space.resize(immortal, 10), ResizeError, /immortal/],
      [() => space.resize(watched, 10), ResizeError, /weakrefs/],
      [() => space.resize(leaf, 1), InvalidLengthError, /fixed-size type/],
      [() => space.resize(dead, 1), FreedObjectError, /resize/],
      [() => space.resize(0, 1), InvalidObjectError, /resize/],
    ];
    for (const [fn, type, message] of cases) {
      const error = thrownBy(fn);
      expect(error, String(fn)).toBeInstanceOf(type);
      expect(error.message, String(fn)).toMatch(message);
      intact();
    }
    space.decref(list);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31, '3', 3n]) {
      const error = thrownBy(() => space.resize(list, bad as number));
      expect(error, String(bad)).toBeInstanceOf(InvalidLengthError);
      intact();
    }
    space.decref(wr);
  });

  it('on exhaustion a growth is a MemoryError and the object is untouched', () => {
    const memory = new Memory({ initialBytes: 1 << 20, maxBytes: 4 << 20 });
    const space = new ObjectSpace(new ArenaAllocator({ memory, arenaSize: 64 << 10 }));
    const List = space.registerType({ name: 'List', size: 4, itemSize: 4, itemValues: [0] });
    const Leaf = space.registerType({ name: 'Leaf', size: 8 });
    const list = space.alloc(List.id, 1);
    const leaf = space.alloc(Leaf.id);
    space.setValue(list, 4, leaf);
    const error = thrownBy(() => space.resize(list, 2 << 20)); // 8 MiB of items
    expect(error).toBeInstanceOf(MemoryError);
    expect(space.length(list)).toBe(1);
    expect(space.getValue(list, 4)).toBe(leaf);
    space.validate();
  });
});

/**
 * Property test: a list of value items driven by random append / pop / resize / set against a
 * JS array model. Items hold immediates and references to a pool of leaves; after every step the
 * items, every leaf's count (1 + the model's occurrences) and `validate()` agree, and the list is
 * always re-read from what `resize` returned.
 */
type Op =
  | { kind: 'append'; value: number; leaf: boolean }
  | { kind: 'pop' }
  | { kind: 'resize'; length: number }
  | { kind: 'set'; index: number; value: number; leaf: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('append' as const), value: fc.nat(1000), leaf: fc.boolean() }),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('pop' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('resize' as const), length: fc.nat(200) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      index: fc.nat(),
      value: fc.nat(1000),
      leaf: fc.boolean(),
    }),
    weight: 2,
  },
);

describe('resize: property test against a JS array', () => {
  it('items, counts and the heap agree with the model after every step', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), fc.boolean(), (ops, gc) => {
        const { space, Leaf } = world();
        const List = space.registerType({ name: 'L', itemSize: 4, itemValues: [0], gc });
        const leaves = Array.from({ length: 5 }, () => space.alloc(Leaf.id));
        const model: number[] = []; // item words
        let list = space.alloc(List.id, 0);
        const word = (value: number, leaf: boolean) =>
          leaf ? leaves[value % leaves.length]! : fixnum(value);
        for (const op of ops) {
          if (op.kind === 'append') {
            list = space.resize(list, model.length + 1);
            const w = word(op.value, op.leaf);
            space.setValue(list, 4 * model.length, w);
            model.push(w);
          } else if (op.kind === 'pop') {
            if (model.length === 0) continue;
            model.pop();
            list = space.resize(list, model.length);
          } else if (op.kind === 'resize') {
            list = space.resize(list, op.length);
            while (model.length > op.length) model.pop();
            while (model.length < op.length) model.push(0);
          } else if (model.length > 0) {
            const i = op.index % model.length;
            const w = word(op.value, op.leaf);
            space.setValue(list, 4 * i, w);
            model[i] = w;
          }
          expect(space.length(list)).toBe(model.length);
          model.forEach((w, i) => {
            expect(space.getValue(list, 4 * i)).toBe(w);
          });
          for (const leaf of leaves) {
            expect(space.getRefcount(leaf)).toBe(1 + model.filter((w) => w === leaf).length);
          }
          space.validate();
        }
        space.decref(list);
        for (const leaf of leaves) space.decref(leaf);
        expect(space.liveObjects()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
