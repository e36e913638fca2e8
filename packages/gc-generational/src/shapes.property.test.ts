/**
 * Property test of the passes' specialised walks: random graphs of GC objects of every shape the
 * type table knows (no slot, one, two, three fixed slots, items through `forEachReferent`) and
 * non-GC children, some of them promoted to an older generation first, collected at a random
 * generation. The collection must find exactly the candidates (objects of the collected
 * generations) that nothing outside them reaches: objects of older generations count as
 * referenced from outside, as in CPython. Afterwards every object is alive exactly when a
 * reference-counting model says so, and the survivors keep their fields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freedByRefcount, reachableFrom } from './test-support/graph-model.js';
import { makeWorld } from './test-support/world.js';

/** Kinds of object: their number of reference slots, and whether they are GC objects. */
const SLOTS = [0, 1, 2, 3, 3, 0];
const KIND_NAMES = ['Leaf', 'One', 'Pair', 'Triple', 'Vec', 'Atom'];
const ATOM = 5;

interface Graph {
  readonly kinds: number[];
  readonly edges: { from: number; slot: number; to: number }[];
  readonly kept: boolean[];
  /** Objects below this index are allocated first and promoted before the others exist. */
  readonly older: number;
  /** 0: promoted by collect(0) to generation 1; 1: by collect(1) to generation 2. */
  readonly promoteTo: number;
  readonly generation: number;
}

const graphArb: fc.Arbitrary<Graph> = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc.record({
    kinds: fc.array(fc.integer({ min: 0, max: KIND_NAMES.length - 1 }), { minLength: n, maxLength: n }),
    edges: fc.array(
      fc.record({
        from: fc.integer({ min: 0, max: n - 1 }),
        slot: fc.integer({ min: 0, max: 2 }),
        to: fc.integer({ min: -1, max: n - 1 }),
      }),
      { maxLength: 3 * n },
    ),
    kept: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    older: fc.integer({ min: 0, max: n }),
    promoteTo: fc.integer({ min: 0, max: 1 }),
    generation: fc.integer({ min: 0, max: 2 }),
  }),
);

function check(graph: Graph): void {
  const { space, gc, allocator } = makeWorld();
  const start = allocator.stats().bytesInUse;
  const types = KIND_NAMES.map((name, kind) =>
    kind === 4
      ? space.registerType({ name, itemSize: 4, itemRefs: [0], gc: true }).id
      : space.registerType({
          name,
          size: 4 * Math.max(SLOTS[kind]!, 1),
          refs: [0, 4, 8].slice(0, SLOTS[kind]),
          gc: kind !== ATOM,
        }).id,
  );
  const n = graph.kinds.length;
  const alloc = (i: number) => space.alloc(types[graph.kinds[i]!]!, graph.kinds[i] === 4 ? 3 : undefined);
  const ptrs: number[] = [];
  for (let i = 0; i < graph.older; i++) ptrs.push(alloc(i));
  gc.collect(graph.promoteTo); // the first objects move up a generation (or two)
  for (let i = graph.older; i < n; i++) ptrs.push(alloc(i));

  const slots: number[][] = graph.kinds.map((kind) => Array(SLOTS[kind]).fill(-1));
  for (const { from, slot, to } of graph.edges) {
    const count = SLOTS[graph.kinds[from]!]!;
    if (count === 0) continue;
    space.setRef(ptrs[from]!, 4 * (slot % count), to < 0 ? 0 : ptrs[to]!);
    slots[from]![slot % count] = to;
  }
  const rc = graph.kept.map((k) => (k ? 1 : 0)) as number[];
  for (const s of slots) for (const to of s) if (to >= 0) rc[to]!++;
  for (let i = 0; i < n; i++) if (!graph.kept[i]) space.decref(ptrs[i]!);
  const freed = freedByRefcount(
    rc,
    slots,
    [...Array(n).keys()].filter((i) => rc[i] === 0),
  );

  // The model of one collection of `generation`: older objects are roots, like the kept ones.
  const generationOf = new Map<number, number>();
  for (let g = 0; g < 3; g++) for (const obj of gc.getObjects(g)) generationOf.set(obj, g);
  const alive = [...Array(n).keys()].filter((i) => !freed.has(i));
  const isCandidate = (i: number) => (generationOf.get(ptrs[i]!) ?? 3) <= graph.generation;
  const reachable = reachableFrom(
    alive.filter((i) => graph.kept[i] || !isCandidate(i)),
    slots,
  );
  const garbage = alive.filter((i) => !reachable.has(i));
  expect(gc.collect(graph.generation)).toBe(garbage.length);

  // Clearing the garbage drops its references: what only the garbage held goes too.
  const freedAfter = freedByRefcount(rc, slots, garbage);
  for (let i = 0; i < n; i++) {
    const live = !freed.has(i) && !freedAfter.has(i);
    expect(space.isAlive(ptrs[i]!)).toBe(live);
    if (!live) continue;
    slots[i]!.forEach((to, k) => {
      expect(space.getRef(ptrs[i]!, 4 * k)).toBe(to < 0 ? 0 : ptrs[to]);
    });
  }
  space.validate();

  for (let i = 0; i < n; i++) if (graph.kept[i]) space.decref(ptrs[i]!);
  gc.collect(2);
  expect(space.liveObjects()).toBe(0);
  expect(allocator.stats().bytesInUse).toBe(start);
}

describe('the passes over every shape of type, at every generation', () => {
  it('collect(generation) frees exactly the candidates nothing outside them reaches', () => {
    fc.assert(fc.property(graphArb, check), { numRuns: 400 });
  });
});
