/**
 * Scenarios of CPython's Lib/test/test_gc.py, on heapkit objects: `list` is a GC container of
 * references (a Python list, tuple or instance dict), `Pair` a two-slot GC object (an instance
 * with two attributes), `int` an atom without references (never tracked). Each test names the
 * CPython test it mirrors.
 */
import { FreedObjectError } from '@heapkit/refcount';
import { describe, expect, it } from 'vitest';
import { DEBUG_COLLECTABLE, DEBUG_SAVEALL, DEBUG_STATS, DEBUG_UNCOLLECTABLE } from './index.js';
import { makeWorld } from './test-support/world.js';

describe('test_gc.py', () => {
  it('test_list: a list that contains itself is collected', () => {
    const { space, gc, list } = makeWorld();
    const l = list(0);
    space.setRef(l, 0, l);
    gc.collect();
    space.decref(l);
    expect(gc.collect()).toBe(1);
    expect(space.liveObjects()).toBe(0);
  });

  it('test_dict / test_tuple: a two-object cycle is collected, both counted', () => {
    const { space, gc, list, pair } = makeWorld();
    const l = list(0);
    const t = pair(l);
    space.setRef(l, 0, t);
    gc.collect();
    space.decref(l);
    space.decref(t);
    expect(gc.collect()).toBe(2);
    expect(space.liveObjects()).toBe(0);
  });

  it('test_class / test_instance: an instance in a self-cycle is collected', () => {
    const { space, gc, pair } = makeWorld();
    const a = pair();
    space.setRef(a, 0, a);
    gc.collect();
    space.decref(a);
    expect(gc.collect()).toBe(1);
  });

  it('test_legacy_finalizer: a cycle holding a tp_del object is uncollectable and goes to garbage', () => {
    const { space, gc } = makeWorld();
    const Legacy = space.registerType({
      name: 'Legacy',
      size: 4,
      refs: [0],
      gc: true,
      legacyFinalizer: true,
    });
    const a = space.alloc(Legacy.id);
    space.setRef(a, 0, a);
    gc.collect();
    space.decref(a);
    expect(gc.collect()).toBe(1); // found unreachable: counted, but not freed
    expect(gc.garbage).toEqual([a]);
    expect(space.isAlive(a)).toBe(true);
    expect(gc.getStats()[2]!.uncollectable).toBe(1);
    // Breaking the cycle by hand and clearing garbage frees it, as `del gc.garbage[:]` would.
    space.setRef(a, 0, 0);
    gc.clearGarbage();
    expect(space.isAlive(a)).toBe(false);
  });

  it('test_legacy_finalizer: what a legacy-finalizer object reaches is kept alive with it', () => {
    const { space, gc, pair } = makeWorld();
    const Legacy = space.registerType({
      name: 'Legacy',
      size: 4,
      refs: [0],
      gc: true,
      legacyFinalizer: true,
    });
    const a = space.alloc(Legacy.id);
    const b = pair();
    space.setRef(a, 0, b);
    space.setRef(b, 0, a);
    space.decref(a);
    space.decref(b);
    expect(gc.collect()).toBe(2);
    expect(gc.garbage).toEqual([a]); // only the tp_del object is listed
    expect(space.isAlive(b)).toBe(true);
  });

  it('test_saveall: with DEBUG_SAVEALL the cycle goes to garbage instead of being freed', () => {
    const { space, gc, list } = makeWorld();
    gc.setDebug(DEBUG_SAVEALL);
    const l = list(0);
    space.setRef(l, 0, l);
    space.decref(l);
    expect(gc.collect()).toBe(1);
    expect(gc.garbage).toEqual([l]);
    gc.setDebug(0);
    space.setRef(l, 0, 0);
    gc.clearGarbage();
    expect(space.liveObjects()).toBe(0);
  });

  it('test_get_count: tracked allocations count into generation 0', () => {
    const { space, gc, list, pair, Atom } = makeWorld();
    gc.collect();
    const [a, b, c] = gc.getCount();
    const x = list();
    const y = pair();
    space.alloc(Atom.id); // an atom: not tracked, not counted
    const [d, e, f] = gc.getCount();
    expect([b, c, e, f]).toEqual([0, 0, 0, 0]);
    expect(a).toBe(0);
    expect(d).toBe(a + 2);
    space.decref(x); // a deallocation takes one off
    expect(gc.getCount()[0]).toBe(a + 1);
    space.decref(y);
  });

  it('test_collect_generations: counts trickle through the generations', () => {
    const { gc, list } = makeWorld();
    gc.collect();
    list();
    gc.collect(0);
    let [, b, c] = gc.getCount();
    expect([b, c]).toEqual([1, 0]);
    gc.collect(1);
    [, b, c] = gc.getCount();
    expect([b, c]).toEqual([0, 1]);
    gc.collect(2);
    expect(gc.getCount()).toEqual([0, 0, 0]);
  });

  it('test_get_stats: collections, collected and uncollectable per generation', () => {
    const { space, gc, list } = makeWorld();
    const before = gc.getStats();
    expect(before).toHaveLength(3);
    gc.collect(0);
    const l = list(0);
    space.setRef(l, 0, l);
    space.decref(l);
    gc.collect(2);
    const after = gc.getStats();
    expect(after[0]!.collections).toBe(before[0]!.collections + 1);
    expect(after[1]!.collections).toBe(before[1]!.collections);
    expect(after[2]!.collections).toBe(before[2]!.collections + 1);
    expect(after[2]!.collected).toBe(before[2]!.collected + 1);
  });

  it('test_is_tracked: containers are tracked, atoms never; untrack and track', () => {
    const { space, gc, list, Atom } = makeWorld();
    const atom = space.alloc(Atom.id);
    const l = list();
    expect(gc.isTracked(atom)).toBe(false);
    expect(gc.isTracked(l)).toBe(true);
    gc.untrack(l);
    expect(gc.isTracked(l)).toBe(false);
    expect(gc.getObjects()).not.toContain(l);
    gc.track(l);
    expect(gc.isTracked(l)).toBe(true);
    expect(gc.getObjects(0)).toContain(l);
  });

  it('test_is_finalized', () => {
    const { space, gc } = makeWorld();
    const Lazarus = space.registerType({
      name: 'Lazarus',
      size: 4,
      refs: [0],
      gc: true,
      finalize: (obj) => {
        space.incref(obj);
        saved.push(obj);
      },
    });
    const saved: number[] = [];
    const x = space.alloc(Lazarus.id);
    space.setRef(x, 0, x);
    expect(gc.isFinalized(x)).toBe(false);
    space.decref(x);
    gc.collect();
    expect(saved).toEqual([x]);
    expect(gc.isFinalized(x)).toBe(true);
  });

  it('test_get_referents / test_get_referrers', () => {
    const { space, gc, list, pair, Atom } = makeWorld();
    const atom = space.alloc(Atom.id);
    const a = list(0, 0);
    space.setRef(a, 0, atom);
    const b = pair(a, atom);
    expect(gc.getReferents(a)).toEqual([atom]);
    expect(gc.getReferents(a, b)).toEqual([atom, a, atom]);
    expect(gc.getReferents(atom)).toEqual([]);
    expect(gc.getReferrers(atom).sort()).toEqual([a, b].sort());
    expect(gc.getReferrers(a)).toEqual([b]);
    expect(gc.getReferrers(b)).toEqual([]);
  });

  it('test_freeze: frozen objects are ignored by collections until unfrozen', () => {
    const { space, gc, list } = makeWorld();
    const l = list(0);
    space.setRef(l, 0, l);
    space.decref(l); // garbage, but frozen before anyone collects
    gc.freeze();
    expect(gc.getFreezeCount()).toBeGreaterThan(0);
    expect(gc.collect()).toBe(0);
    expect(space.isAlive(l)).toBe(true);
    gc.unfreeze();
    expect(gc.getFreezeCount()).toBe(0);
    expect(gc.collect()).toBe(1);
  });

  it('test_gc_callbacks: start and stop with the collection info; an error is reported', () => {
    const { space, gc, list, unraisable } = makeWorld();
    const seen: [string, number, number, number][] = [];
    gc.callbacks.push((phase, info) =>
      seen.push([phase, info.generation, info.collected, info.uncollectable]),
    );
    gc.callbacks.push(() => {
      throw new Error('bad callback');
    });
    const l = list(0);
    space.setRef(l, 0, l);
    space.decref(l);
    expect(gc.collect(1)).toBe(1);
    expect(seen).toEqual([
      ['start', 1, 0, 0],
      ['stop', 1, 1, 0],
    ]);
    expect(unraisable.map((u) => u.message)).toEqual(['gc callback (start)', 'gc callback (stop)']);
  });

  it('test_debug_stats and DEBUG_COLLECTABLE/UNCOLLECTABLE print CPython-style lines', () => {
    const { space, gc, list, lines } = makeWorld();
    gc.setDebug(DEBUG_STATS | DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE);
    const l = list(0);
    space.setRef(l, 0, l);
    space.decref(l);
    gc.collect();
    expect(lines[0]).toBe('gc: collecting generation 2...');
    expect(lines[1]).toBe('gc: objects in each generation: 1 0 0');
    expect(lines[2]).toBe('gc: objects in permanent generation: 0');
    expect(lines[3]).toMatch(/^gc: collectable <list 0x[0-9a-f]{8}>$/);
    expect(lines[4]).toMatch(/^gc: done, 1 unreachable, 0 uncollectable, \d+\.\d{4}s elapsed$/);
  });

  it('test_bug1055820b / test_callback_in_cycle: weakref callbacks run only for weakrefs outside the garbage', () => {
    const { space, gc, pair } = makeWorld();
    const calls: string[] = [];
    // Garbage cycle c1 <-> c2; an outside weakref to c1 (with callback), and a weakref to c2
    // held by c1 itself (garbage): only the outside one may call back.
    const c1 = pair();
    const c2 = pair(c1);
    space.setRef(c1, 0, c2);
    const outside = space.weakref(c1, (wr) => calls.push(`outside:${space.weakrefGet(wr)}`));
    const inner = space.weakref(c2, () => calls.push('inner'));
    space.setRefSteal(c1, 4, inner);
    space.decref(c1);
    space.decref(c2);
    expect(gc.collect()).toBe(3); // c1, c2 and the inner weakref
    expect(calls).toEqual(['outside:0']);
    expect(space.weakrefGet(outside)).toBe(0);
    space.decref(outside);
    expect(space.liveObjects()).toBe(0);
  });

  it('weakrefs without callbacks are cleared only after the finalizers ran (the order of gh-135552)', () => {
    const { space, gc, pair } = makeWorld();
    let seenByFinalizer = -1;
    let wr = 0;
    const Fin = space.registerType({
      name: 'Fin',
      size: 4,
      refs: [0],
      gc: true,
      finalize: () => {
        const got = space.weakrefGet(wr);
        seenByFinalizer = got;
        space.xdecref(got);
      },
    });
    const victim = pair();
    const f = space.alloc(Fin.id);
    space.setRef(f, 0, victim);
    space.setRef(victim, 0, f); // f <-> victim
    wr = space.weakref(victim);
    space.decref(victim);
    space.decref(f);
    expect(gc.collect()).toBe(2);
    expect(seenByFinalizer).toBe(victim); // still there during finalization
    expect(space.weakrefGet(wr)).toBe(0); // cleared before the garbage was freed
  });
});

describe('bad input', () => {
  it('invalid generations, thresholds, flags and untrackable objects: typed errors, nothing changed', () => {
    const { space, gc, list, Atom } = makeWorld();
    const l = list();
    for (const g of [3, -1, 1.5, '1', Number.NaN]) {
      expect(() => gc.collect(g as number)).toThrow(/invalid generation/);
      expect(() => gc.getObjects(g as number)).toThrow(/invalid generation/);
    }
    for (const bad of [-1, 1.5, Number.NaN, '5', 2 ** 60]) {
      expect(() => gc.setThreshold(bad as number)).toThrow(/non-negative integer/);
      expect(() => gc.setThreshold(5, bad as number)).toThrow(/non-negative integer/);
    }
    expect(gc.getThreshold()).toEqual([2000, 10, 10]);
    expect(() => gc.setDebug(1024)).toThrow(/unknown debug flags/);
    expect(gc.getDebug()).toBe(0);
    const atom = space.alloc(Atom.id);
    expect(() => gc.track(atom)).toThrow(/no GC pre-header/);
    expect(() => gc.untrack(atom)).toThrow(/no GC pre-header/);
    space.decref(l);
    expect(() => gc.track(l)).toThrow(FreedObjectError);
    expect(() => gc.isTracked(l)).toThrow(FreedObjectError);
    expect(() => gc.track(12345)).toThrow(/not a live object/);
    space.validate();
    expect(gc.collect()).toBe(0);
  });
});
