/**
 * The order of the collector's lists: every generation holds its objects newest first, and
 * the generations, youngest first, read as one list newest first. A collection relies on it:
 * it gathers the generations it collects youngest first, so that its scan meets an object
 * before the older objects it refers to and marks those reachable before it reaches them,
 * instead of moving them to `unreachable` and back (a young object's reference into an older
 * generation is the common case). The order is observable through `getObjects`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeWorld } from './test-support/world.js';

describe('generation order', () => {
  it('a collection that merges generations keeps them newest first', () => {
    const { space, gc, pair } = makeWorld();
    const a = pair();
    const b = pair(a); // b refers to the older a
    gc.collect(0);
    expect(gc.getObjects(1)).toEqual([b, a]);
    const c = pair(b);
    const d = pair(c);
    gc.collect(1); // generations 1 and 0 (a, b and c, d) move up together
    expect(gc.getObjects(2)).toEqual([d, c, b, a]);
    const e = pair(d);
    gc.collect(2);
    expect(gc.getObjects(2)).toEqual([e, d, c, b, a]);
    for (const p of [a, b, c, d, e]) space.decref(p);
  });

  it('getObjects() lists the live tracked objects newest first, whatever collections ran', () => {
    // A step: allocate a Pair that refers to an earlier one (or to none), drop one, make a
    // self-cycle of garbage, or collect a generation.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), to: fc.nat() }),
      fc.record({ kind: fc.constant('drop' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('cycle' as const) }),
      fc.record({ kind: fc.constant('collect' as const), generation: fc.integer({ min: 0, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { space, gc, pair } = makeWorld();
        const held: number[] = []; // our references, oldest first
        const born = new Map<number, number>(); // object → when it was allocated
        let clock = 0;
        for (const s of steps) {
          if (s.kind === 'alloc') {
            const to = held.length === 0 || s.to % 2 === 0 ? 0 : held[s.to % held.length]!;
            const p = pair(to);
            born.set(p, clock++);
            held.push(p);
          } else if (s.kind === 'drop' && held.length > 0) {
            space.decref(held.splice(s.which % held.length, 1)[0]!);
          } else if (s.kind === 'cycle') {
            const p = pair();
            space.setRef(p, 0, p);
            space.decref(p);
            clock++;
          } else if (s.kind === 'collect') {
            gc.collect(s.generation);
          }
          // Objects of earlier cycles may still be waiting for a collection: only ours are compared.
          const listed = gc.getObjects().filter((p) => held.includes(p));
          const expected = [...held].sort((x, y) => born.get(y)! - born.get(x)!);
          expect(listed).toEqual(expected);
        }
        for (const p of held) space.decref(p);
      }),
      { numRuns: 200 },
    );
  });
});
