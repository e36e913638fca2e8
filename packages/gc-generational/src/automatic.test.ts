import { describe, expect, it } from 'vitest';
import { makeWorld } from './test-support/world.js';

/** Makes `n` self-cycles of garbage. */
function garbage(world: ReturnType<typeof makeWorld>, n: number): void {
  for (let i = 0; i < n; i++) {
    const p = world.pair();
    world.space.setRef(p, 0, p);
    world.space.decref(p);
  }
}

describe('automatic collection', () => {
  it("'allocation' mode: collects generation 0 inside the allocation that passes threshold 0", () => {
    const world = makeWorld({ enabled: true, thresholds: [10, 10, 10] });
    const { gc, space } = world;
    const starts: number[] = [];
    gc.callbacks.push((phase, info) => {
      if (phase === 'start') starts.push(info.generation);
    });
    garbage(world, 10);
    expect(starts).toEqual([]); // count 10 is not above the threshold yet
    expect(gc.getCount()[0]).toBe(10);
    garbage(world, 1);
    expect(starts).toEqual([0]);
    expect(space.liveObjects()).toBe(1); // the 11th pair: its cycle was still ours when the allocation collected
    expect(gc.getCount()).toEqual([0, 1, 0]);
  });

  it('setThreshold moves the point where the next automatic collection runs (gc.set_threshold)', () => {
    const world = makeWorld({ enabled: true, thresholds: [10, 10, 10] });
    const { gc } = world;
    const starts: number[] = [];
    gc.callbacks.push((phase, info) => {
      if (phase === 'start') starts.push(info.generation);
    });
    gc.setThreshold(3);
    expect(gc.getThreshold()).toEqual([3, 10, 10]);
    garbage(world, 3);
    expect(starts).toEqual([]); // count 3 is not above threshold 3
    garbage(world, 1);
    expect(starts).toEqual([0]);
    gc.setThreshold(50);
    garbage(world, 20);
    expect(starts).toEqual([0]); // the old threshold no longer applies
    expect(gc.getCount()[0]).toBe(20);
  });

  it("'safepoint' mode: collections wait for the runtime's safe point", () => {
    const world = makeWorld({ enabled: true, automatic: 'safepoint', thresholds: [10, 10, 10] });
    const { gc, space } = world;
    garbage(world, 25);
    expect(space.liveObjects()).toBe(25); // nothing ran during allocation
    expect(gc.safePoint()).toBe(25);
    expect(space.liveObjects()).toBe(0);
    expect(gc.safePoint()).toBe(0); // nothing due any more
  });

  it('disable() stops automatic collection; threshold 0 does too', () => {
    const world = makeWorld({ enabled: true, thresholds: [5, 10, 10] });
    world.gc.disable();
    expect(world.gc.isEnabled()).toBe(false);
    garbage(world, 20);
    expect(world.space.liveObjects()).toBe(20);
    world.gc.enable();
    world.gc.setThreshold(0);
    garbage(world, 20);
    expect(world.space.liveObjects()).toBe(40);
    expect(world.gc.collect()).toBe(40);
  });

  it('older generations are collected when their counts pass their thresholds', () => {
    const world = makeWorld({ enabled: true, thresholds: [5, 2, 2] });
    const seen: number[] = [];
    world.gc.callbacks.push((phase, info) => {
      if (phase === 'start') seen.push(info.generation);
    });
    garbage(world, 200);
    expect(seen.slice(0, 4)).toEqual([0, 0, 0, 1]);
    expect(seen).toContain(2);
  });

  it('the long-lived heuristic: no full collection until a quarter of the survivors is new', () => {
    const world = makeWorld({ enabled: false, thresholds: [5, 1, 0] });
    const { gc, space } = world;
    // 400 long-lived objects in generation 2.
    const keep = Array.from({ length: 400 }, () => world.pair());
    gc.collect(2);
    gc.enable();
    const seen: number[] = [];
    gc.callbacks.push((phase, info) => {
      if (phase === 'start') seen.push(info.generation);
    });
    // Survivors trickle into generation 2 a few at a time: fewer than 100 pending → no full collection.
    const young: number[] = [];
    for (let i = 0; i < 60; i++) young.push(world.pair());
    expect(seen).not.toContain(2);
    for (let i = 0; i < 120; i++) young.push(world.pair());
    expect(seen).toContain(2);
    for (const p of [...keep, ...young]) space.decref(p);
  });

  it('scaleYoungThreshold: young collections wait for a quarter of what the last full collection kept', () => {
    const counts = (scaleYoungThreshold: boolean) => {
      const world = makeWorld({ enabled: false, thresholds: [10, 10, 10], scaleYoungThreshold });
      const { gc, space } = world;
      const keep = Array.from({ length: 400 }, () => world.pair()); // 400 live after a full collection
      gc.collect(2);
      gc.enable();
      const starts: number[] = [];
      gc.callbacks.push((phase, info) => {
        if (phase === 'start') starts.push(info.generation);
      });
      const young = Array.from({ length: 99 }, () => world.pair());
      const before = starts.length;
      young.push(world.pair()); // the 100th: count 100 is not above 400 / 4 yet
      const at100 = starts.length - before;
      young.push(world.pair()); // the 101st passes it
      const at101 = starts.length - before - at100;
      for (const p of [...keep, ...young]) space.decref(p);
      return { before, at100, at101 };
    };
    // Unscaled: a collection every 11 allocations (count above 10).
    expect(counts(false).before).toBe(9);
    // Scaled: none until the count passes 100, then one.
    expect(counts(true)).toEqual({ before: 0, at100: 0, at101: 1 });
  });

  it('a callback that user code adds during a collection is told it stopped, with duration 0 (it was not timed)', () => {
    const { space, gc } = makeWorld();
    const told: [string, number, number][] = [];
    const late = (phase: string, info: { collected: number; duration: number }) =>
      told.push([phase, info.collected, info.duration]);
    const Fin = space.registerType({
      name: 'Fin',
      size: 8,
      refs: [0, 4],
      gc: true,
      finalize: () => {
        gc.callbacks.push(late);
      },
    });
    const p = space.alloc(Fin.id);
    space.setRef(p, 0, p);
    space.decref(p);
    expect(gc.collect()).toBe(1);
    expect(told).toEqual([['stop', 1, 0]]);
  });
});
