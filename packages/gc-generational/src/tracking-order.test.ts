/**
 * The tracking order (tracking-order.ts): every GC object is numbered when the collector starts
 * tracking it, newer objects higher, and a collection whose candidates refer only to objects
 * with smaller numbers is proven acyclic without a sweep. What must hold: the proof is taken for
 * what is built bottom up and changes nothing a user can see; it is refused wherever a cycle
 * could be; and whatever the numbers are (all zero, arbitrary, after they ran out), `collect()`
 * finds exactly the unreachable objects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GC_HEAD_BYTES, GC_ORDER } from './gc-head.js';
import { reachableFrom } from './test-support/graph-model.js';
import { bottomUp, flagged, lastRun, makeWorld, type World } from './test-support/world.js';
import type { Tracker } from './tracking.js';
import { MAX_ORDER } from './tracking-order.js';

/** The tracking order number of `obj`. */
function orderOf(w: World, obj: number): number {
  return w.space.memory.u32[((obj - GC_HEAD_BYTES) >>> 2) + GC_ORDER]!;
}

function setOrder(w: World, obj: number, order: number): void {
  w.space.memory.u32[((obj - GC_HEAD_BYTES) >>> 2) + GC_ORDER] = order;
}

/** The collector's tracker (the numbering lives there). */
function trackerOf(w: World): Tracker {
  return (w.gc as unknown as { tracker: Tracker }).tracker;
}

describe('the tracking order', () => {
  it('numbers objects as they are tracked, newer higher; track() after untrack() numbers one as new', () => {
    const w = makeWorld();
    const a = w.pair();
    const b = w.pair();
    const c = w.pair();
    expect(orderOf(w, a)).toBeGreaterThan(0);
    expect(orderOf(w, b)).toBeGreaterThan(orderOf(w, a));
    expect(orderOf(w, c)).toBeGreaterThan(orderOf(w, b));
    w.gc.untrack(a);
    w.gc.track(a);
    expect(orderOf(w, a)).toBeGreaterThan(orderOf(w, c));
    const before = orderOf(w, a);
    w.gc.track(a); // already tracked: nothing changes
    expect(orderOf(w, a)).toBe(before);
    for (const obj of [a, b, c]) w.space.decref(obj);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('proves a tree built bottom up acyclic: no word written, nothing found, same order and counts', () => {
    const w = makeWorld();
    const root = bottomUp(w, 6);
    const before = w.gc.getObjects(0);
    const counts = before.map((obj) => w.space.getRefcount(obj));
    expect(w.gc.collect(0)).toBe(0);
    expect(lastRun(w).proven).toBe(true);
    expect(lastRun(w).candidates).toBe(127);
    expect(w.gc.getObjects(1)).toEqual(before);
    expect(before.map((obj) => w.space.getRefcount(obj))).toEqual(counts);
    expect(flagged(w)).toEqual([]);
    // Older generations referred to from the young one are not a reason to refuse it.
    const top = w.pair(root);
    expect(w.gc.collect(0)).toBe(0);
    expect(lastRun(w).proven).toBe(true);
    expect(lastRun(w).candidates).toBe(1);
    w.space.validate();
    w.space.decref(top);
    w.space.decref(root);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('refuses the proof for a reference to a newer object, and the analysis finds the cycle', () => {
    const w = makeWorld();
    const a = w.pair();
    const b = w.pair(a); // newer to older
    w.space.setRef(a, 4, b); // older to newer: the cycle's upward reference
    w.space.decref(a);
    w.space.decref(b);
    expect(w.gc.collect(0)).toBe(2);
    expect(lastRun(w).proven).toBe(false);
    expect(w.space.liveObjects()).toBe(0);
    w.space.validate();
  });

  it('refuses the proof for a type whose references only forEachReferent gives (items), and the sweep decides', () => {
    const w = makeWorld();
    const leaf = w.pair();
    const list = w.list(leaf); // steals the reference to leaf
    expect(w.gc.collect(0)).toBe(0);
    expect(lastRun(w).proven).toBe(false);
    expect(lastRun(w).acyclic).toBe(false); // a general walk may run code: the sweep never assumes
    expect(w.gc.getObjects(1)).toEqual([list, leaf]);
    w.space.decref(list);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('refuses the proof for a young object that refers to an older-generation object numbered higher', () => {
    const w = makeWorld();
    const old = w.pair();
    w.gc.collect(0); // old moves to generation 1
    const young = w.pair(old);
    setOrder(w, old, orderOf(w, young) + 5); // as if numbered again after young
    expect(w.gc.collect(0)).toBe(0);
    expect(lastRun(w).proven).toBe(false);
    expect(lastRun(w).candidates).toBe(1);
    expect(flagged(w)).toEqual([]);
    w.space.decref(young);
    w.space.decref(old);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('finds exactly the unreachable objects whatever the numbers are', () => {
    // Random graphs with any references (cycles included), then any numbers written over the
    // objects' order words: the proof may only hold when the candidates form no cycle.
    const graph = fc.record({
      slots: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean(), fc.boolean()), {
        minLength: 1,
        maxLength: 30,
      }),
      orders: fc.array(fc.oneof(fc.constantFrom(0, 1, MAX_ORDER), fc.nat()), {
        minLength: 30,
        maxLength: 30,
      }),
      held: fc.array(fc.nat(), { maxLength: 4 }),
      generation: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(graph, ({ slots: spec, orders, held, generation }) => {
        const w = makeWorld();
        const n = spec.length;
        const objs = spec.map(() => w.pair());
        const slots = spec.map(([x, y, hasX, hasY]) => [hasX ? x % n : -1, hasY ? y % n : -1]);
        slots.forEach(([left, right], i) => {
          if (left! >= 0) w.space.setRef(objs[i]!, 0, objs[left!]!);
          if (right! >= 0) w.space.setRef(objs[i]!, 4, objs[right!]!);
        });
        objs.forEach((obj, i) => {
          setOrder(w, obj, orders[i]!);
        });
        const roots = new Set(held.map((h) => h % n));
        for (let i = 0; i < n; i++) if (!roots.has(i)) w.space.decref(objs[i]!);
        const alive = [...objs.keys()].filter((i) => w.space.isAlive(objs[i]!));
        const reachable = reachableFrom(roots, slots);
        expect(w.gc.collect(generation)).toBe(alive.length - reachable.size);
        for (let i = 0; i < n; i++) expect(w.space.isAlive(objs[i]!)).toBe(reachable.has(i));
        if (lastRun(w).proven) {
          // Proven: every reference among the survivors goes to a smaller number.
          for (const i of alive)
            for (const to of slots[i]!) if (to >= 0) expect(orders[to]!).toBeLessThan(orders[i]!);
        }
        expect(flagged(w)).toEqual([]);
        w.space.validate();
        for (const i of roots) w.space.decref(objs[i]!);
        w.gc.collect();
        expect(w.space.liveObjects()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('numbers every tracked object again, oldest first, when the numbers run out; the proof keeps working', () => {
    const w = makeWorld();
    const old = bottomUp(w, 2); // 7 objects
    w.gc.collect(1); // to generation 2
    const middle = bottomUp(w, 1); // 3 objects
    w.gc.collect(0); // to generation 1
    const tracker = trackerOf(w);
    tracker.nextOrder = MAX_ORDER - 3;
    const young = bottomUp(w, 2); // 7 more: the numbers run out on the fourth
    const all = w.gc.getObjects(); // generation 0 newest first, then 1, then 2
    expect(all).toHaveLength(17);
    const orders = all.map((obj) => orderOf(w, obj));
    // Strictly falling along the lists: the oldest object is 1, the newest 17.
    expect(orders.every((order, i) => i === 0 || order < orders[i - 1]!)).toBe(true);
    expect(orders[orders.length - 1]).toBe(1);
    expect(orders[0]).toBe(17);
    expect(tracker.nextOrder).toBe(18);
    expect(w.gc.collect(2)).toBe(0);
    expect(lastRun(w).proven).toBe(true);
    expect(lastRun(w).candidates).toBe(17);
    for (const root of [young, middle, old]) w.space.decref(root);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('numbers the objects of a running collection again too, when a finalizer uses up the numbers', () => {
    const w = makeWorld();
    const made: number[] = [];
    const Fin = w.space.registerType({
      name: 'Fin',
      size: 8,
      refs: [0],
      gc: true,
      finalize: (obj) => {
        made.push(w.pair()); // the allocation that runs out of numbers
        w.space.incref(obj); // resurrected: it survives the collection
      },
    });
    const tracker = trackerOf(w);
    tracker.nextOrder = MAX_ORDER - 20;
    const keep = bottomUp(w, 2);
    const f1 = w.space.alloc(Fin.id);
    const f2 = w.space.alloc(Fin.id);
    w.space.setRef(f1, 0, f2);
    w.space.setRef(f2, 0, f1);
    w.space.decref(f1);
    w.space.decref(f2);
    tracker.nextOrder = MAX_ORDER; // the finalizers' first allocation numbers everything again
    expect(w.gc.collect(0)).toBe(0); // resurrected
    expect(made).toHaveLength(2);
    const all = w.gc.getObjects();
    expect(all).toHaveLength(11);
    // Every object numbered again, the collection's own (on its working lists then) too: none
    // kept a number near the end; what the finalizers allocated is newest.
    const orders = all.map((obj) => orderOf(w, obj));
    expect(new Set(orders).size).toBe(11);
    expect(Math.max(...orders)).toBe(11);
    const newest = Math.min(...made.map((obj) => orderOf(w, obj)));
    for (const obj of [f1, f2, ...w.gc.getObjects(1)]) expect(orderOf(w, obj)).toBeLessThan(newest);
    for (const obj of [...made, keep]) w.space.decref(obj);
    w.space.setRef(f1, 0, 0); // break the cycle, then drop the finalizers' references
    w.space.decref(f1);
    w.space.decref(f2);
    expect(w.space.liveObjects()).toBe(0);
  });
});
