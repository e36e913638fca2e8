/**
 * Scenarios of CPython's Lib/test/test_finalization.py (PEP 442) and the trashcan tests of
 * Lib/test/test_gc.py, on heapkit objects. Each test names the CPython test it mirrors.
 */
import { describe, expect, it } from 'vitest';
import { makeWorld } from './test-support/world.js';

/** A GC type with one slot whose finalizer logs, and resurrects the object when asked. */
function finalizable(world: ReturnType<typeof makeWorld>, name = 'Fin') {
  const { space } = world;
  const log: number[] = [];
  const survivors: number[] = [];
  const resurrect = new Set<number>();
  const Fin = space.registerType({
    name,
    size: 4,
    refs: [0],
    gc: true,
    finalize: (obj) => {
      log.push(obj);
      if (resurrect.has(obj)) {
        space.incref(obj);
        survivors.push(obj);
      }
    },
  });
  const make = () => space.alloc(Fin.id);
  return { Fin, log, survivors, resurrect, make };
}

describe('test_finalization.py', () => {
  it('SelfCycleFinalizationTest.test_simple: finalized once, then collected', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const { log, make } = finalizable(world);
    const s = make();
    space.setRef(s, 0, s);
    space.decref(s);
    expect(gc.collect()).toBe(1);
    expect(log).toEqual([s]);
    expect(space.isAlive(s)).toBe(false);
  });

  it('SelfCycleFinalizationTest.test_simple_resurrect: survives once, never finalized twice', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const { log, make, resurrect, survivors } = finalizable(world);
    const s = make();
    space.setRef(s, 0, s);
    resurrect.add(s);
    space.decref(s);
    expect(gc.collect()).toBe(0); // resurrected: nothing collected
    expect(log).toEqual([s]);
    expect(space.isAlive(s)).toBe(true);
    expect(gc.isFinalized(s)).toBe(true);
    expect(space.getRef(s, 0)).toBe(s); // its data is intact
    space.decref(survivors.pop()!);
    expect(gc.collect()).toBe(1);
    expect(log).toEqual([s]); // not called again
    expect(space.isAlive(s)).toBe(false);
  });

  it('CycleChainFinalizationTest.test_homogenous: a ring of finalizable objects, each finalized once', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const { log, make } = finalizable(world);
    const ring = Array.from({ length: 3 }, make);
    ring.forEach((obj, i) => {
      space.setRef(obj, 0, ring[(i + 1) % ring.length]!);
    });
    for (const obj of ring) space.decref(obj);
    expect(gc.collect()).toBe(3);
    expect([...log].sort()).toEqual([...ring].sort());
    expect(space.liveObjects()).toBe(0);
  });

  it('CycleChainFinalizationTest.test_homogenous_resurrect: one resurrection keeps the whole ring', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const { log, make, resurrect, survivors } = finalizable(world);
    const ring = Array.from({ length: 3 }, make);
    ring.forEach((obj, i) => {
      space.setRef(obj, 0, ring[(i + 1) % ring.length]!);
    });
    resurrect.add(ring[1]!);
    for (const obj of ring) space.decref(obj);
    expect(gc.collect()).toBe(0);
    expect(log.length).toBe(3); // every finalizer ran once, before the resurrection check
    for (const obj of ring) expect(space.isAlive(obj)).toBe(true);
    space.decref(survivors.pop()!);
    expect(gc.collect()).toBe(3);
    expect(log.length).toBe(3);
  });

  it('CycleChainFinalizationTest.test_heterogenous_suicidal_one: a finalizer that breaks its own cycle', () => {
    const world = makeWorld();
    const { space, gc, pair } = world;
    const Suicidal = space.registerType({
      name: 'Suicidal',
      size: 4,
      refs: [0],
      gc: true,
      finalize: (obj) => space.setRef(obj, 0, 0),
    });
    const a = space.alloc(Suicidal.id);
    const b = pair(a);
    space.setRef(a, 0, b);
    space.decref(a);
    space.decref(b);
    // Both are freed by reference counting during finalization: as in CPython, objects that
    // die that way are not counted as collected.
    expect(gc.collect()).toBe(0);
    expect(space.liveObjects()).toBe(0);
    space.validate();
  });

  it('LegacyFinalizationTest.test_legacy: a tp_del cycle is uncollectable; its finalizer does not run', () => {
    const world = makeWorld();
    const { space, gc } = world;
    let called = 0;
    const Legacy = space.registerType({
      name: 'Legacy',
      size: 4,
      refs: [0],
      gc: true,
      legacyFinalizer: true,
      finalize: () => called++,
    });
    const s = space.alloc(Legacy.id);
    space.setRef(s, 0, s);
    space.decref(s);
    expect(gc.collect()).toBe(1);
    expect(called).toBe(0);
    expect(gc.garbage).toEqual([s]);
  });

  it('a finalizer that throws is reported and the collection completes', () => {
    const world = makeWorld();
    const { space, gc, unraisable } = world;
    const Bad = space.registerType({
      name: 'Bad',
      size: 4,
      refs: [0],
      gc: true,
      finalize: () => {
        throw new Error('finalizer failed');
      },
    });
    const a = space.alloc(Bad.id);
    space.setRef(a, 0, a);
    space.decref(a);
    expect(gc.collect()).toBe(1);
    expect(unraisable.map((u) => u.message)).toEqual(['finalizer of Bad']);
    expect(space.liveObjects()).toBe(0);
  });
});

describe('trashcan (test_gc.py test_trashcan, test_trashcan_threads)', () => {
  it('a deep chain whose finalizers call collect() is freed without recursion or damage', () => {
    const world = makeWorld();
    const { space, gc } = world;
    // Every link has a finalizer, so each one is deallocated through the full (finalizing) path;
    // every 50th finalizer collects, in the middle of the deallocation of the rest of the chain.
    // (A collect() from every one of 20,000 finalizers walks the remaining chain each time:
    // quadratic, about 200 million object visits, seconds of work that prove nothing more.)
    const LINKS = 20_000;
    const EVERY = 50;
    const results: number[] = [];
    let finalized = 0;
    const Link = space.registerType({
      name: 'Link',
      size: 4,
      refs: [0],
      gc: true,
      finalize: () => {
        if (++finalized % EVERY === 0) results.push(gc.collect());
      },
    });
    let head = 0;
    for (let i = 0; i < LINKS; i++) {
      const link = space.alloc(Link.id);
      space.setRefSteal(link, 0, head);
      head = link;
    }
    // Some cyclic garbage for those collections to find on the way.
    for (let i = 0; i < 10; i++) {
      const c = world.pair();
      space.setRef(c, 0, c);
      space.decref(c);
    }
    space.decref(head);
    expect(finalized).toBe(LINKS);
    expect(results).toHaveLength(LINKS / EVERY);
    expect(results.reduce((a, b) => a + b, 0)).toBe(10);
    expect(results[0]).toBe(10); // the first collection, 50 links deep, finds every cycle
    expect(world.unraisable).toEqual([]);
    expect(space.liveObjects()).toBe(0);
    space.validate();
    expect(gc.collect()).toBe(0);
  });

  it('a collection inside a deallocation leaves the objects waiting to be freed to that deallocation', () => {
    const world = makeWorld();
    const { space, gc, list } = world;
    let found = -1;
    const Trigger = space.registerType({ name: 'Trigger', gc: true, finalize: () => (found = gc.collect()) });
    // parent holds [big, trigger]; big <-> partner is a cycle that parent keeps reachable. When
    // parent dies, the cycle becomes garbage; trigger's finalizer then collects in the middle of
    // the deallocation: clearing the cycle queues its objects on the running deallocation loop.
    const big = list(0);
    const partner = list(0);
    space.setRef(big, 0, partner);
    space.setRef(partner, 0, big); // a cycle, also held by parent
    space.decref(partner);
    const parent = list(big, space.alloc(Trigger.id));
    gc.collect();
    space.decref(parent);
    expect(found).toBe(2);
    expect(world.unraisable).toEqual([]);
    expect(space.liveObjects()).toBe(0);
    space.validate();
    expect(gc.collect()).toBe(0);
  });
});
