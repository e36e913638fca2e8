/**
 * The acyclic shortcut of a collection (update-subtract.ts, step 4 of collection.ts). The
 * sweep of steps 2-3 goes oldest first and notes every reference that goes against that
 * order: to a newer candidate, or from an object to itself. When no noted reference is to a
 * candidate, the candidates form no cycle, so every one of them is reachable and step 4 only
 * clears their flags. What must hold is that the shortcut changes nothing a user can see: the
 * same objects found, survivors in the same order with the same counts, and, between
 * collections, no object left flagged as a candidate ("Outside a collection the word is 0",
 * gc-head.ts). Most such collections are now proven acyclic before the sweep, by the tracking
 * order (tracking-order.ts, tested in tracking-order.test.ts); both set the run's `acyclic`,
 * which is what these tests read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reachableFrom } from './test-support/graph-model.js';
import { bottomUp, flagged, lastRun, makeWorld, type World } from './test-support/world.js';

/** Whether the last collection found its candidates acyclic (the sweep's shortcut, or the proof). */
function tookShortcut(w: World): boolean {
  return lastRun(w).acyclic;
}

describe('a collection whose candidates form no cycle', () => {
  it('keeps a tree built bottom up whole: nothing found, same order, same counts, no flag left', () => {
    const w = makeWorld();
    const root = bottomUp(w, 6);
    const before = w.gc.getObjects(0);
    const counts = before.map((obj) => w.space.getRefcount(obj));
    expect(w.gc.collect(0)).toBe(0);
    expect(tookShortcut(w)).toBe(true);
    expect(w.gc.getObjects(1)).toEqual(before);
    expect(before.map((obj) => w.space.getRefcount(obj))).toEqual(counts);
    expect(flagged(w)).toEqual([]);
    w.space.validate();
    w.space.decref(root);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('still finds an object that refers to itself (the one reference to a candidate the sweep has not flagged yet)', () => {
    const w = makeWorld();
    const root = bottomUp(w, 3);
    const self = w.pair();
    w.space.setRef(self, 0, self);
    w.space.decref(self);
    expect(w.gc.collect(0)).toBe(1);
    expect(tookShortcut(w)).toBe(false);
    expect(lastRun(w).proven).toBe(false); // nor does the tracking order prove it (tracking-order.ts)
    expect(w.space.isAlive(self)).toBe(false);
    expect(flagged(w)).toEqual([]);
    w.space.decref(root);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('still finds a cycle closed from an older object to a newer one among acyclic survivors', () => {
    const w = makeWorld();
    const root = bottomUp(w, 4);
    const a = w.pair();
    const b = w.pair(a); // newer to older: in the sweep's order
    w.space.setRef(a, 4, b); // older to newer: the back edge
    w.space.decref(a);
    w.space.decref(b);
    expect(w.gc.collect(0)).toBe(2);
    expect(tookShortcut(w)).toBe(false);
    expect(w.space.isAlive(a) || w.space.isAlive(b)).toBe(false);
    w.space.validate();
    w.space.decref(root);
    expect(w.space.liveObjects()).toBe(0);
  });

  it('finds what the full scan finds, for random graphs whose references mostly go to older objects', () => {
    // Each object refers to up to two earlier ones; now and then one refers to a later one (a
    // back edge, possibly closing a cycle). Reachability from what the test holds is the model.
    const graph = fc.record({
      objects: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 40 }),
      backEdges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
      held: fc.array(fc.nat(), { maxLength: 5 }),
      generation: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(graph, ({ objects, backEdges, held, generation }) => {
        const w = makeWorld();
        const objs: number[] = [];
        const slots: [number, number][] = []; // each object's two slots: an index, or -1 when empty
        for (const [x, y, two] of objects) {
          const i = objs.length;
          const left = i > 0 ? x % (i + 1) : -1; // i itself: a reference to itself
          const right = two && i > 0 ? y % i : -1;
          const p = w.pair();
          objs.push(p);
          slots.push([left, right]);
          if (left >= 0) w.space.setRef(p, 0, objs[left]!);
          if (right >= 0) w.space.setRef(p, 4, objs[right]!);
        }
        for (const [from, to] of backEdges) {
          const f = from % objs.length;
          const t = to % objs.length;
          if (t <= f) continue;
          w.space.setRef(objs[f]!, 4, objs[t]!); // replaces the right slot
          slots[f]![1] = t;
        }
        const roots = new Set(held.map((h) => h % objs.length));
        const reachable = reachableFrom(roots, slots);
        for (let i = 0; i < objs.length; i++) if (!roots.has(i)) w.space.decref(objs[i]!);
        // What refcounting alone could not free is what the collection must find.
        const alive = [...objs.keys()].filter((i) => w.space.isAlive(objs[i]!));
        // The shortcut applies exactly when no candidate refers to itself or to a newer one.
        const againstOrder = alive.some((i) => slots[i]!.some((to) => to >= i));
        expect(w.gc.collect(generation)).toBe(alive.length - reachable.size);
        expect(tookShortcut(w)).toBe(!againstOrder);
        for (let i = 0; i < objs.length; i++) expect(w.space.isAlive(objs[i]!)).toBe(reachable.has(i));
        expect(flagged(w)).toEqual([]);
        w.space.validate();
        for (const i of roots) w.space.decref(objs[i]!);
        w.gc.collect(); // what the roots held may be cycles
        expect(w.space.liveObjects()).toBe(0);
      }),
      {
        numRuns: 200,
        // Two back edges into one slot, the second replacing the first (the model once missed that).
        examples: [
          [
            {
              objects: [
                [0, 0, false],
                [0, 0, false],
                [0, 0, false],
              ],
              backEdges: [
                [0, 2],
                [0, 1],
              ],
              held: [0],
              generation: 0,
            },
          ],
        ],
      },
    );
  });
});
