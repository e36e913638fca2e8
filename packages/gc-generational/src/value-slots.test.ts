/**
 * Value slots (a pointer or a tagged immediate, low bit 1) in the collector: a cycle through
 * them is found and collected, their immediates are never taken for objects, and a reachable
 * object held only through a value slot survives.
 */
import { describe, expect, it } from 'vitest';
import { makeWorld } from './test-support/world.js';

const fixnum = (n: number) => ((n << 1) | 1) >>> 0;

function valueWorld() {
  const w = makeWorld();
  // Cell: a value slot at 0 and one at 4; Vec: value items.
  const Cell = w.space.registerType({ name: 'Cell', size: 8, values: [0, 4], gc: true });
  const Vec = w.space.registerType({ name: 'Vec', itemSize: 4, itemValues: [0], gc: true });
  return { ...w, Cell, Vec };
}

describe('value slots in cycles', () => {
  it('a cycle through fixed value slots, beside immediates, is collected', () => {
    const { space, gc, Cell } = valueWorld();
    const a = space.alloc(Cell.id);
    const b = space.alloc(Cell.id);
    space.setValue(a, 0, b);
    space.setValue(a, 4, fixnum(1)); // an immediate that would be a misaligned "pointer"
    space.setValue(b, 0, fixnum(-3));
    space.setValue(b, 4, a);
    space.decref(a);
    space.decref(b);
    expect(space.liveObjects()).toBe(2); // the cycle keeps both alive
    expect(gc.collect()).toBe(2);
    expect(space.liveObjects()).toBe(0);
  });

  it('a cycle through value items is collected; what the cycle held through a value slot is released', () => {
    const { space, gc, Vec, Atom } = valueWorld();
    const v = space.alloc(Vec.id, 3);
    const atom = space.alloc(Atom.id);
    space.setValue(v, 0, fixnum(7));
    space.setValue(v, 4, v); // the self-cycle
    space.setValue(v, 8, atom);
    space.decref(atom);
    space.decref(v);
    expect(gc.collect()).toBe(1);
    expect(space.liveObjects()).toBe(0);
  });

  it('an object reachable from outside through a value slot survives, and so does its immediate', () => {
    const { space, gc, Cell } = valueWorld();
    const root = space.alloc(Cell.id);
    const a = space.alloc(Cell.id);
    const b = space.alloc(Cell.id);
    space.setValue(a, 0, b);
    space.setValue(b, 0, a); // a cycle...
    space.setValue(root, 0, a); // ...reachable from root, which we keep
    space.setValue(b, 4, fixnum(42));
    space.decref(a);
    space.decref(b);
    expect(gc.collect()).toBe(0);
    expect(space.getValue(b, 4)).toBe(fixnum(42));
    space.validate();
    space.setValue(root, 0, fixnum(0)); // drop the way in: now the cycle is garbage
    expect(gc.collect()).toBe(2);
    space.decref(root);
    expect(space.liveObjects()).toBe(0);
  });

  it('a list grown by resize (moved, untracked and tracked again) still takes part in cycle collection', () => {
    const { space, gc, Vec } = valueWorld();
    let v = space.alloc(Vec.id, 0);
    for (let n = 1; n <= 40; n++) {
      v = space.resize(v, n); // the caller holds the only reference while it grows
      space.setValue(v, 4 * (n - 1), fixnum(n));
    }
    expect(gc.isTracked(v)).toBe(true);
    space.setValue(v, 0, v); // now a self-cycle: no more resizing (two references)
    space.decref(v);
    expect(gc.collect()).toBe(1);
    expect(space.liveObjects()).toBe(0);
  });
});
