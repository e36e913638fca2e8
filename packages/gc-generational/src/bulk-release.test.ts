/**
 * The bulk path of step 11 (bulk-release.ts): garbage whose freeing runs no code is freed
 * without the reference-counting cascade. What it must keep: every reference from the garbage to
 * an object outside it is dropped exactly once (freeing what only the garbage held, running its
 * code), and the garbage itself is freed, whatever that code does.
 */
import { describe, expect, it } from 'vitest';
import { makeWorld } from './test-support/world.js';

describe('garbage freed in bulk', () => {
  it('drops each reference leaving the garbage once, and frees the garbage', () => {
    const { space, gc, allocator, Pair, Atom, pair } = makeWorld();
    const start = allocator.stats().bytesInUse;
    const kept = pair(); // outside, and kept: loses the garbage's references only
    const atom = space.alloc(Atom.id); // not a GC object, held by the garbage only
    const onlyHeld = pair(); // a GC object outside the candidates' reach, held by the garbage only
    gc.collect(); // kept and onlyHeld move to the oldest generation: never candidates below
    // Garbage: a 2-cycle and a self-cycle, referring out to kept (three times), atom, onlyHeld.
    const a = pair(kept, atom);
    const b = pair(a, kept);
    space.setRef(a, 0, b);
    const c = pair(kept, onlyHeld);
    space.setRef(c, 0, c);
    space.setRef(c, 4, onlyHeld);
    space.setRef(b, 4, kept);
    for (const obj of [a, b, c, atom, onlyHeld]) space.decref(obj);
    const keptCount = space.getRefcount(kept);
    expect(gc.collect(0)).toBe(3);
    for (const obj of [a, b, c, atom, onlyHeld]) expect(space.isAlive(obj)).toBe(false);
    expect(space.getRefcount(kept)).toBe(keptCount - 1); // b's slot 4; c no longer refers to it
    space.validate();
    space.decref(kept);
    expect(space.liveObjects()).toBe(0);
    space.clearFreeLists();
    expect(allocator.stats().bytesInUse).toBe(start);
    expect(Pair.id).toBeGreaterThan(0);
  });

  it('hands the garbage to the allocator in one freeMany call, which gives whole pools back', () => {
    const { space, gc, allocator, pair } = makeWorld();
    const batches: number[] = [];
    const freeMany = allocator.freeMany.bind(allocator);
    allocator.freeMany = (ptrs, count) => {
      batches.push(count);
      freeMany(ptrs, count);
    };
    const pools = () => allocator.stats().sizeClasses.reduce((sum, c) => sum + c.pools, 0);
    const before = pools();
    for (let i = 0; i < 3000; i++) {
      const a = pair();
      const b = pair(a);
      space.setRef(a, 0, b);
      space.decref(a);
      space.decref(b);
    }
    expect(pools()).toBeGreaterThan(before + 5);
    expect(gc.collect(0)).toBe(6000);
    expect(batches).toEqual([6000]);
    expect(pools()).toBe(before);
    expect(space.liveObjects()).toBe(0);
    space.validate();
    allocator.validate();
  });

  it('lets the code of an object only the garbage held run, allocate and collect, and still frees it all', () => {
    const { space, gc, pair } = makeWorld();
    const made: number[] = [];
    let nested = -1;
    const Noisy = space.registerType({
      name: 'Noisy',
      size: 4,
      refs: [0],
      gc: true,
      finalize: () => {
        nested = gc.collect(); // a collection is running: 0 at once
        made.push(pair(), pair()); // allocations while the garbage is being freed
      },
    });
    const noisy = space.alloc(Noisy.id);
    gc.collect(); // noisy is outside the young candidates from now on
    const a = pair(noisy);
    const b = pair(a);
    space.setRef(a, 4, b);
    space.decref(noisy);
    space.decref(a);
    space.decref(b);
    expect(gc.collect(0)).toBe(2);
    expect(nested).toBe(0);
    expect(space.isAlive(noisy)).toBe(false);
    expect(made.every((obj) => space.isAlive(obj))).toBe(true);
    expect(gc.getObjects(0)).toEqual(expect.arrayContaining(made));
    space.validate();
    for (const obj of made) space.decref(obj);
    expect(space.liveObjects()).toBe(0);
  });

  it('takes the usual path when some garbage has its own clear, and frees the same', () => {
    const { space, gc, pair } = makeWorld();
    const cleared: number[] = [];
    const Custom = space.registerType({
      name: 'Custom',
      size: 4,
      refs: [0],
      gc: true,
      clear: (obj) => {
        cleared.push(obj);
        space.setRef(obj, 0, 0);
      },
    });
    const x = space.alloc(Custom.id); // a self-cycle with its own clear
    space.setRef(x, 0, x);
    const a = pair(); // and a 2-cycle of pairs
    const b = pair(a);
    space.setRef(a, 0, b);
    for (const obj of [x, a, b]) space.decref(obj);
    expect(gc.collect()).toBe(3);
    expect(cleared).toEqual([x]);
    expect(space.liveObjects()).toBe(0);
    space.validate();
  });
});
