import type { HeapkitError } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FreedObjectError, InvalidObjectError, InvalidSlotError, TypeSpecError } from './index.js';
import { makeSpace } from './test-support/space.js';
import { thrownBy } from './test-support/thrown-by.js';

/** A small integer as a tagged immediate, and back. */
const fixnum = (n: number) => ((n << 1) | 1) >>> 0;
const untag = (word: number) => word >> 1;

function world(debug = false) {
  const { space, allocator, unraisable } = makeSpace({ debug });
  // Cell: value slots at 0 and 4, a reference at 8, a scalar at 12.
  const Cell = space.registerType({ name: 'Cell', size: 16, values: [0, 4], refs: [8] });
  // Vec: a length word (scalar) then items of one value slot each.
  const Vec = space.registerType({ name: 'Vec', size: 4, itemSize: 4, itemValues: [0] });
  const Leaf = space.registerType({ name: 'Leaf', size: 8 });
  return { space, allocator, unraisable, Cell, Vec, Leaf };
}

describe('value slots', () => {
  it('hold immediates uncounted and pointers counted, as setRef does', () => {
    const { space, Cell, Leaf } = world();
    const cell = space.alloc(Cell.id);
    const leaf = space.alloc(Leaf.id);
    expect(space.getValue(cell, 0)).toBe(0); // zeroed
    space.setValue(cell, 0, fixnum(-21));
    expect(untag(space.getValue(cell, 0))).toBe(-21);
    space.setValue(cell, 4, leaf);
    expect(space.getRefcount(leaf)).toBe(2);
    expect(space.getValue(cell, 4)).toBe(leaf);
    // An immediate over a pointer drops the pointer; a pointer over an immediate drops nothing.
    space.setValue(cell, 4, fixnum(7));
    expect(space.getRefcount(leaf)).toBe(1);
    space.setValue(cell, 0, leaf);
    expect(space.getRefcount(leaf)).toBe(2);
    space.setValue(cell, 0, leaf); // the same object again: incref, then decref of the old
    expect(space.getRefcount(leaf)).toBe(2);
    const seen: number[] = [];
    space.forEachReferent(cell, (child) => seen.push(child));
    expect(seen).toEqual([leaf]); // the immediate at 4 is no referent
    space.validate();
    space.decref(leaf);
    space.decref(cell); // drops the leaf through the value slot
    expect(space.isAlive(leaf)).toBe(false);
    expect(space.liveObjects()).toBe(0);
  });

  it('accept signed and unsigned forms of an immediate and the full 32-bit range', () => {
    const { space, Cell } = world();
    const cell = space.alloc(Cell.id);
    space.setValue(cell, 0, -1);
    expect(space.getValue(cell, 0)).toBe(0xffff_ffff);
    space.setValue(cell, 0, 0xffff_ffff);
    expect(space.getValue(cell, 0)).toBe(0xffff_ffff);
    space.setValue(cell, 0, 1);
    expect(space.getValue(cell, 0)).toBe(1);
    space.setValue(cell, 0, 0);
    expect(space.getValue(cell, 0)).toBe(0);
    space.decref(cell);
  });

  it('items as value slots: visited, cleared and released like item references', () => {
    const { space, Vec, Leaf } = world();
    const vec = space.alloc(Vec.id, 4);
    const leaves = [space.alloc(Leaf.id), space.alloc(Leaf.id)];
    space.setU32(vec, 0, 4); // the fixed part is a scalar word
    space.setValue(vec, 4, leaves[0]!);
    space.setValue(vec, 8, fixnum(5));
    space.setValue(vec, 12, leaves[1]!);
    space.setValue(vec, 16, leaves[0]!);
    expect(space.getRefcount(leaves[0]!)).toBe(3);
    const seen: number[] = [];
    space.forEachReferent(vec, (child) => seen.push(child));
    expect(seen).toEqual([leaves[0], leaves[1], leaves[0]]);
    space.validate();
    space.clearRefs(vec);
    expect(space.getValue(vec, 4)).toBe(0);
    expect(space.getValue(vec, 8)).toBe(fixnum(5)); // an immediate is no reference: it stays
    expect(space.getRefcount(leaves[0]!)).toBe(1);
    space.setValue(vec, 4, leaves[1]!);
    for (const leaf of leaves) space.decref(leaf);
    expect(space.isAlive(leaves[1]!)).toBe(true); // held by the vec
    space.decref(vec);
    expect(space.liveObjects()).toBe(0);
  });

  it('debug mode takes the checked path with the same results', () => {
    const { space, Cell, Leaf } = world(true);
    const cell = space.alloc(Cell.id);
    const leaf = space.alloc(Leaf.id);
    space.setValue(cell, 0, leaf);
    space.setValue(cell, 4, fixnum(3));
    expect(space.getValue(cell, 0)).toBe(leaf);
    expect(space.getValue(cell, 4)).toBe(fixnum(3));
    space.decref(leaf);
    space.decref(cell);
    expect(space.liveObjects()).toBe(0);
  });

  it('type specs: value slots are checked like reference slots', () => {
    const { space } = world();
    const bad = [
      { name: 'Overlap', size: 8, refs: [0], values: [0] },
      { name: 'Misaligned', size: 8, values: [2] },
      { name: 'Outside', size: 8, values: [8] },
      { name: 'NoItems', size: 8, itemValues: [0] },
      { name: 'ItemOverlap', itemSize: 4, itemRefs: [0], itemValues: [0] },
      { name: 'Odd', size: 2, itemSize: 4, itemValues: [0] },
    ];
    for (const spec of bad) expect(() => space.registerType(spec), spec.name).toThrow(TypeSpecError);
    const Ok = space.registerType({ name: 'Ok', size: 8, refs: [4], values: [0] });
    expect(Ok.values).toEqual([0]);
    expect(Ok.itemValues).toEqual([]);
  });
});

describe('value slots: bad input is a typed error and changes nothing', () => {
  it('refuses bad slots and words, with the heap validating and the data intact after each', () => {
    const { space, allocator, Cell, Vec, Leaf } = world();
    const cell = space.alloc(Cell.id);
    const vec = space.alloc(Vec.id, 2);
    const leaf = space.alloc(Leaf.id);
    const dead = space.alloc(Leaf.id);
    space.decref(dead);
    space.setValue(cell, 0, leaf);
    space.setValue(cell, 4, fixnum(9));
    space.setU32(cell, 12, 1234);
    space.setValue(vec, 8, fixnum(1));
    const intact = () => {
      space.validate();
      allocator.validate();
      expect(space.getValue(cell, 0)).toBe(leaf);
      expect(space.getValue(cell, 4)).toBe(fixnum(9));
      expect(space.getU32(cell, 12)).toBe(1234);
      expect(space.getValue(vec, 8)).toBe(fixnum(1));
      expect(space.getRefcount(leaf)).toBe(2);
    };
    const cases: [() => unknown, new (...args: never[]) => HeapkitError, RegExp][] = [
      [() => space.setU32(cell, 0, 7), InvalidSlotError, /overwrite the value slot at 0 \(use setValue\)/],
      [() => space.setI32(vec, 8, 7), InvalidSlotError, /value slot at 8/],
      [() => space.writeBytes(cell, 2, new Uint8Array(4)), InvalidSlotError, /value slot/],
      [() => space.setValue(cell, 8, fixnum(1)), InvalidSlotError, /not a value slot/],
      [() => space.setRef(cell, 0, leaf), InvalidSlotError, /not a reference slot/],
      [() => space.getRef(cell, 4), InvalidSlotError, /not a reference slot/],
      [() => space.getValue(cell, 12), InvalidSlotError, /not a value slot/],
      [() => space.setValue(vec, 0, fixnum(1)), InvalidSlotError, /not a value slot/],
      [() => space.setValue(vec, 12, fixnum(1)), InvalidSlotError, /outside/],
      [() => space.setValue(cell, 4, 8), InvalidObjectError, /setValue/], // even, not an object
      [() => space.setValue(cell, 4, leaf + 8), InvalidObjectError, /setValue/], // inside an object
      [() => space.setValue(cell, 4, dead), FreedObjectError, /setValue/],
      [() => space.setValue(cell, 4, 2 ** 32 + 1), InvalidSlotError, /32-bit integer/],
      [() => space.setValue(cell, 4, 1.5), InvalidSlotError, /32-bit integer/],
      [() => space.setValue(cell, 4, '3' as unknown as number), InvalidSlotError, /32-bit integer/],
      [() => space.setValue(cell, 4, 3n as unknown as number), InvalidSlotError, /32-bit integer/],
      [() => space.setValue(dead, 0, fixnum(1)), FreedObjectError, /setValue/],
      [() => space.getValue(cell, 1), InvalidSlotError, /not a value slot/],
    ];
    for (const [fn, type, message] of cases) {
      const error = thrownBy(fn);
      expect(error, String(fn)).toBeInstanceOf(type);
      expect(error.message, String(fn)).toMatch(message);
      intact();
    }
  });
});

/**
 * Property test: random setValue / incref / decref over cells (two value slots) and vectors
 * (value items), holding a mix of immediates and objects, against a JS model of the counts and
 * the slots. Objects only point at older objects (the graph stays acyclic, so reference counting
 * frees everything); every step ends with the model's counts and slots equal to the space's and
 * `validate()` passing; at the end everything is released.
 */
type Op =
  | { kind: 'cell' }
  | { kind: 'vec'; length: number }
  | { kind: 'set'; holder: number; slot: number; immediate: boolean; value: number }
  | { kind: 'incref'; ref: number }
  | { kind: 'decref'; ref: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('cell' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('vec' as const), length: fc.nat(5) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      holder: fc.nat(),
      slot: fc.nat(5),
      immediate: fc.boolean(),
      value: fc.integer({ min: -1000, max: 1000 }),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('incref' as const), ref: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('decref' as const), ref: fc.nat() }), weight: 3 },
);

interface ModelObject {
  readonly ptr: number;
  rc: number;
  /** References the test itself holds (it only drops those). */
  own: number;
  /** Per slot: an immediate's word, an object, or 0. */
  readonly slots: (number | ModelObject)[];
  /** Payload offset of slot 0, and the stride between slots. */
  readonly base: number;
}

describe('value slots: property test against a model', () => {
  it('counts, slots and frees match the model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { space, Cell, Vec } = world();
        const objects: ModelObject[] = []; // in creation order (holders point only backwards)
        /** Drops one reference; at zero the model releases what the object's slots held. */
        const drop = (o: ModelObject) => {
          const pending = [o];
          while (pending.length > 0) {
            const x = pending.pop()!;
            if (--x.rc > 0) continue;
            for (const v of x.slots) if (typeof v !== 'number') pending.push(v);
          }
        };
        const live = () => objects.filter((o) => o.rc > 0);
        for (const op of ops) {
          const alive = live();
          const held = alive.filter((o) => o.own > 0); // objects the test may use and drop
          if (op.kind === 'cell') {
            objects.push({ ptr: space.alloc(Cell.id), rc: 1, own: 1, slots: [0, 0], base: 0 });
          } else if (op.kind === 'vec') {
            const ptr = space.alloc(Vec.id, op.length);
            objects.push({ ptr, rc: 1, own: 1, slots: new Array<number>(op.length).fill(0), base: 4 });
          } else if (held.length > 0) {
            const o = held[(op.kind === 'set' ? op.holder : op.ref) % held.length]!;
            if (op.kind === 'incref') {
              space.incref(o.ptr);
              o.rc++;
              o.own++;
            } else if (op.kind === 'decref') {
              space.decref(o.ptr);
              o.own--;
              drop(o);
            } else if (o.slots.length > 0) {
              const slot = op.slot % o.slots.length;
              const older = alive.filter((x) => objects.indexOf(x) < objects.indexOf(o));
              const value: number | ModelObject =
                op.immediate || older.length === 0
                  ? fixnum(op.value)
                  : older[Math.abs(op.value) % older.length]!;
              space.setValue(o.ptr, o.base + slot * 4, typeof value === 'number' ? value : value.ptr);
              if (typeof value !== 'number') value.rc++;
              const old = o.slots[slot]!;
              o.slots[slot] = value;
              if (typeof old !== 'number') drop(old);
            }
          }
          expect(space.liveObjects()).toBe(live().length);
          for (const o of live()) {
            expect(space.getRefcount(o.ptr)).toBe(o.rc);
            o.slots.forEach((v, k) => {
              expect(space.getValue(o.ptr, o.base + k * 4)).toBe(typeof v === 'number' ? v : v.ptr);
            });
          }
          space.validate();
        }
        for (const o of objects)
          for (; o.own > 0; o.own--) {
            space.decref(o.ptr);
            drop(o);
          }
        expect(space.liveObjects()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
