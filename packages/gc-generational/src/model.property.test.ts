/**
 * Property test: random object graphs with cycles and random external references. After the
 * graph is built and the references not kept are dropped, `collect(2)` must free exactly the
 * objects the model finds unreachable from the kept ones (reference counting frees the acyclic
 * part first; the collector finds the rest), every live object must keep its fields, each
 * finalizer must run once, and once everything is released the allocator's bytes in use must be
 * back where they started.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freedByRefcount, reachableFrom } from './test-support/graph-model.js';
import { makeWorld } from './test-support/world.js';

interface Graph {
  readonly finalizable: boolean[];
  readonly edges: { from: number; slot: number; to: number }[];
  readonly kept: boolean[];
  readonly order: number[];
}

const graphArb: fc.Arbitrary<Graph> = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    finalizable: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    edges: fc.array(
      fc.record({
        from: fc.integer({ min: 0, max: n - 1 }),
        slot: fc.integer({ min: 0, max: 1 }),
        to: fc.integer({ min: -1, max: n - 1 }),
      }),
      { maxLength: 3 * n },
    ),
    kept: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
  }),
);

function check(graph: Graph): void {
  const world = makeWorld();
  const { space, gc, allocator } = world;
  const start = allocator.stats().bytesInUse;
  const finalized: number[] = [];
  const Node = space.registerType({ name: 'Node', size: 12, refs: [0, 4], gc: true });
  const FinNode = space.registerType({
    name: 'FinNode',
    size: 12,
    refs: [0, 4],
    gc: true,
    finalize: (obj) => finalized.push(space.getU32(obj, 8)),
  });
  const n = graph.finalizable.length;
  const ptrs = graph.finalizable.map((fin, i) => {
    const p = space.alloc(fin ? FinNode.id : Node.id);
    space.setU32(p, 8, i);
    return p;
  });
  const slots: number[][] = ptrs.map(() => [-1, -1]);
  for (const { from, slot, to } of graph.edges) {
    space.setRef(ptrs[from]!, slot * 4, to < 0 ? 0 : ptrs[to]!);
    slots[from]![slot] = to;
  }
  // Drop the references not kept, in a random order.
  for (const i of graph.order) if (!graph.kept[i]) space.decref(ptrs[i]!);

  // The model: reachable from the kept objects through the final slots.
  const reachable = reachableFrom(
    [...Array(n).keys()].filter((i) => graph.kept[i]),
    slots,
  );
  // ...and what reference counting alone frees: counts that reach zero, repeatedly.
  const rc = graph.kept.map((k) => (k ? 1 : 0));
  for (const s of slots) for (const to of s) if (to >= 0) rc[to]!++;
  const freed = freedByRefcount(
    rc,
    slots,
    [...Array(n).keys()].filter((i) => rc[i] === 0),
  );
  for (let i = 0; i < n; i++) expect(space.isAlive(ptrs[i]!)).toBe(!freed.has(i));

  const cyclicGarbage = n - reachable.size - freed.size;
  expect(gc.collect(2)).toBe(cyclicGarbage);
  for (let i = 0; i < n; i++) {
    expect(space.isAlive(ptrs[i]!)).toBe(reachable.has(i));
    if (!reachable.has(i)) continue;
    expect(space.getU32(ptrs[i]!, 8)).toBe(i);
    expect(space.getRef(ptrs[i]!, 0)).toBe(slots[i]![0]! < 0 ? 0 : ptrs[slots[i]![0]!]);
    expect(space.getRef(ptrs[i]!, 4)).toBe(slots[i]![1]! < 0 ? 0 : ptrs[slots[i]![1]!]);
  }
  const expectedFinalized = [...Array(n).keys()].filter((i) => graph.finalizable[i] && !reachable.has(i));
  expect([...finalized].sort((a, b) => a - b)).toEqual(expectedFinalized);
  space.validate();

  // Release everything: the survivors' cycles need one more collection.
  for (let i = 0; i < n; i++) if (graph.kept[i]) space.decref(ptrs[i]!);
  gc.collect(2);
  expect(space.liveObjects()).toBe(0);
  expect(finalized.length).toBe(graph.finalizable.filter(Boolean).length); // each once, in all
  expect(allocator.stats().bytesInUse).toBe(start);
  allocator.validate();
}

describe('collect(2) against a reachability model', () => {
  it('frees exactly the unreachable objects, keeps every live field, finalizes each once', () => {
    fc.assert(fc.property(graphArb, check), { numRuns: 400 });
  });
});
