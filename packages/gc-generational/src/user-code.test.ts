/**
 * Every place where a collection calls user code, tried two ways: the code calls `collect()`
 * (re-entrancy: a nested collection returns 0 at once, as CPython's `gc.collect()` does while
 * one runs) and the code throws (the error goes to `onUnraisable`; the collection completes and
 * nothing is leaked or damaged). Then the weakref a finalizer creates to the garbage (GH-91636).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEBUG_COLLECTABLE, DEBUG_STATS } from './index.js';
import { makeWorld } from './test-support/world.js';

type World = ReturnType<typeof makeWorld>;

/** `n` self-cycles of Pairs, our references dropped: garbage only the collector can free. */
function selfCycles(world: World, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = world.pair();
    world.space.setRef(p, 0, p);
    world.space.decref(p);
    out.push(p);
  }
  return out;
}

/** An object of `typeId` (reference slot at 0) in a self-cycle, our reference dropped. */
function selfCycleOf(world: World, typeId: number): number {
  const a = world.space.alloc(typeId);
  world.space.setRef(a, 0, a);
  world.space.decref(a);
  return a;
}

/** Afterwards: nothing left, the heap intact, a further collection finds nothing. */
function expectClean(world: World): void {
  expect(world.space.liveObjects()).toBe(0);
  world.space.validate();
  world.allocator.validate();
  expect(world.gc.collect()).toBe(0);
}

const boom = () => {
  throw new Error('boom');
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('gc.callbacks', () => {
  it('a callback that calls collect() gets 0 at once, on both phases; the outer collection completes', () => {
    const world = makeWorld();
    const { gc } = world;
    const nested: number[] = [];
    gc.callbacks.push(() => nested.push(gc.collect()));
    selfCycles(world, 3);
    expect(gc.collect()).toBe(3);
    expect(nested).toEqual([0, 0]); // 'start' and 'stop'
    expect(world.unraisable).toEqual([]);
    expect(gc.getStats()[2]!.collections).toBe(1);
    gc.callbacks.length = 0;
    expectClean(world);
  });

  it('a callback that throws is reported; the collection completes', () => {
    const world = makeWorld();
    const { gc } = world;
    gc.callbacks.push(boom);
    selfCycles(world, 2);
    expect(gc.collect()).toBe(2);
    expect(world.unraisable.map((u) => u.message)).toEqual(['gc callback (start)', 'gc callback (stop)']);
    gc.callbacks.length = 0;
    expectClean(world);
  });
});

describe('debugSink', () => {
  it('a sink that throws is reported; the garbage is still collected (the issue 14 reproduction)', () => {
    const sinkError = new Error('sink failed');
    const world = makeWorld({
      debugSink: () => {
        throw sinkError;
      },
    });
    const { gc } = world;
    gc.setDebug(DEBUG_COLLECTABLE);
    const [a] = selfCycles(world, 1);
    expect(gc.collect()).toBe(1);
    expect(world.space.isAlive(a)).toBe(false);
    expect(world.unraisable).toEqual([{ error: sinkError, message: 'gc debugSink', object: 0 }]);
    expectClean(world);
  });

  it('a sink that calls collect() gets 0', () => {
    const nested: number[] = [];
    let gc: World['gc'] | undefined;
    const world = makeWorld({ debugSink: () => nested.push(gc!.collect()) });
    gc = world.gc;
    gc.setDebug(DEBUG_STATS);
    selfCycles(world, 2);
    expect(gc.collect()).toBe(2);
    expect(nested.length).toBeGreaterThan(0);
    expect(new Set(nested)).toEqual(new Set([0]));
    gc.setDebug(0);
    expectClean(world);
  });
});

describe('finalizers', () => {
  it('a finalizer that calls collect() gets 0; the garbage is collected', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const nested: number[] = [];
    const Fin = space.registerType({
      name: 'Fin',
      size: 4,
      refs: [0],
      gc: true,
      finalize: () => nested.push(gc.collect()),
    });
    selfCycleOf(world, Fin.id);
    expect(gc.collect()).toBe(1);
    expect(nested).toEqual([0]);
    expectClean(world);
  });

  it('a finalizer that throws is reported; the garbage is collected', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const Fin = space.registerType({ name: 'Fin', size: 4, refs: [0], gc: true, finalize: boom });
    selfCycleOf(world, Fin.id);
    expect(gc.collect()).toBe(1);
    expect(world.unraisable.map((u) => u.message)).toEqual(['finalizer of Fin']);
    expectClean(world);
  });

  it('GH-91636: a weakref a finalizer creates to the garbage is dead after the collection, its callback never run', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const made: number[] = [];
    let calledBack = 0;
    const Fin = space.registerType({
      name: 'Fin',
      size: 4,
      refs: [0],
      gc: true,
      finalize: (obj) => {
        made.push(space.weakref(obj)); // without a callback
        made.push(space.weakref(space.getRef(obj, 0), () => calledBack++)); // to its partner, with one
      },
    });
    const a = space.alloc(Fin.id);
    const b = world.pair();
    space.setRef(a, 0, b);
    space.setRef(b, 0, a);
    space.decref(a);
    space.decref(b);
    expect(gc.collect()).toBe(2);
    expect(made).toHaveLength(2);
    for (const wr of made) expect(space.weakrefGet(wr)).toBe(0);
    expect(calledBack).toBe(0);
    expect(space.isAlive(a)).toBe(false);
    expect(space.isAlive(b)).toBe(false);
    for (const wr of made) space.decref(wr);
    expectClean(world);
  });
});

describe('weakref callbacks', () => {
  it('a callback that calls collect() gets 0; one that throws is reported; the garbage is collected', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const nested: number[] = [];
    const [a, b] = selfCycles(world, 2);
    const wa = space.weakref(a!, () => nested.push(gc.collect()));
    const wb = space.weakref(b!, boom);
    expect(gc.collect()).toBe(2);
    expect(nested).toEqual([0]);
    expect(world.unraisable.map((u) => u.message)).toEqual(['weakref callback']);
    expect(space.weakrefGet(wa)).toBe(0);
    expect(space.weakrefGet(wb)).toBe(0);
    space.decref(wa);
    space.decref(wb);
    expectClean(world);
  });
});

describe('clear (tp_clear)', () => {
  it('a clear that calls collect() gets 0 and breaks the cycle', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const nested: number[] = [];
    const C = space.registerType({
      name: 'C',
      size: 4,
      refs: [0],
      gc: true,
      clear: (obj) => {
        nested.push(gc.collect());
        space.setRef(obj, 0, 0);
      },
    });
    selfCycleOf(world, C.id);
    expect(gc.collect()).toBe(1);
    expect(nested).toEqual([0]);
    expectClean(world);
  });

  it('a clear that throws is reported; its object survives intact and a later collection frees it', () => {
    const world = makeWorld();
    const { space, gc } = world;
    let fail = true;
    const C = space.registerType({
      name: 'C',
      size: 4,
      refs: [0],
      gc: true,
      clear: (obj) => {
        if (fail) throw new Error('clear failed');
        space.setRef(obj, 0, 0);
      },
    });
    const a = selfCycleOf(world, C.id);
    expect(gc.collect()).toBe(1);
    expect(world.unraisable.map((u) => u.message)).toEqual(['clear of C']);
    expect(space.isAlive(a)).toBe(true); // its cycle was not broken
    expect(space.getRef(a, 0)).toBe(a);
    expect(gc.isTracked(a)).toBe(true);
    expect(gc.getObjects()).toContain(a);
    space.validate();
    fail = false;
    expect(gc.collect()).toBe(1);
    expectClean(world);
  });
});

describe('traverse (tp_traverse)', () => {
  it('a traverse that frees a candidate the sweep has already met: the analysis skips it, the rest is right', () => {
    const world = makeWorld();
    const { space, gc, pair } = world;
    // Oldest first, the sweep meets p (which refers to c, not reached yet), then c, then g,
    // whose traverse empties p's slot: c is freed in the middle of the collection.
    const p = pair();
    const c = pair();
    let cut = false;
    const G = space.registerType({
      name: 'G',
      size: 4,
      gc: true,
      traverse: () => {
        if (!cut && space.isAlive(p)) {
          cut = true;
          space.setRef(p, 0, 0);
        }
      },
    });
    const g = space.alloc(G.id);
    space.setRef(p, 0, c);
    space.decref(c);
    const [garbage] = selfCycles(world, 1);
    expect(gc.collect()).toBe(1); // the self-cycle; p and g are held from outside
    expect(cut).toBe(true);
    expect(space.isAlive(c)).toBe(false);
    expect(space.isAlive(garbage)).toBe(false);
    expect(space.getRef(p, 0)).toBe(0);
    space.validate();
    space.decref(p);
    space.decref(g);
    expectClean(world);
  });

  it('a traverse that calls collect() gets 0; the analysis is right', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const nested: number[] = [];
    const T = space.registerType({
      name: 'T',
      size: 4,
      gc: true,
      traverse: (obj, visit) => {
        nested.push(gc.collect());
        const child = space.getU32(obj, 0);
        if (child !== 0) visit(child);
      },
      clear: (obj) => {
        const child = space.getU32(obj, 0);
        space.setU32(obj, 0, 0);
        if (child !== 0) space.decref(child);
      },
    });
    const a = space.alloc(T.id);
    space.incref(a);
    space.setU32(a, 0, a); // a self-reference the type owns, reported by traverse
    space.decref(a);
    expect(gc.collect()).toBe(1);
    expect(nested.length).toBeGreaterThan(0);
    expect(new Set(nested)).toEqual(new Set([0]));
    expectClean(world);
  });

  it('a traverse that throws is reported; nothing is freed and every object is intact; a later collection frees the garbage', () => {
    const world = makeWorld();
    const { space, gc, pair } = world;
    let fail = true;
    const T = space.registerType({
      name: 'T',
      size: 4,
      refs: [0],
      gc: true,
      traverse: () => {
        if (fail) throw new Error('traverse failed');
      },
    });
    // A live pair reachable only through t's slot; if the walk of t were cut short and its
    // children taken for unreachable, the pair would be freed while t still refers to it.
    const root = space.alloc(T.id);
    const held = pair();
    space.setRef(held, 0, held);
    space.setRef(root, 0, held);
    space.decref(held);
    const [garbage] = selfCycles(world, 1);
    expect(gc.collect()).toBe(0);
    expect(world.unraisable.length).toBeGreaterThan(0);
    expect(new Set(world.unraisable.map((u) => u.message))).toEqual(new Set(['traverse of T']));
    expect(space.isAlive(held)).toBe(true);
    expect(space.getRef(root, 0)).toBe(held);
    expect(space.isAlive(garbage)).toBe(true);
    expect(gc.getObjects().sort()).toEqual([root, held, garbage].sort());
    fail = false; // (validate() walks with traverse too)
    space.validate();
    expect(gc.collect()).toBe(1); // the garbage self-cycle; root and what it holds stay
    expect(space.isAlive(held)).toBe(true);
    space.decref(root);
    expect(gc.collect()).toBe(1); // held's self-cycle
    expectClean(world);
  });
});

describe('the onUnraisable hook', () => {
  it('a hook that throws does not break the collection: both errors go to the default hook (stderr)', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const world = makeWorld();
    const { space, gc } = world;
    space.onUnraisable = () => {
      throw new Error('hook failed');
    };
    gc.callbacks.push(boom);
    selfCycles(world, 2);
    expect(gc.collect()).toBe(2);
    const text = written.join('');
    expect(text).toContain('onUnraisable hook');
    expect(text).toContain('hook failed');
    expect(text).toContain('gc callback (start)');
    gc.callbacks.length = 0;
    expectClean(world);
  });

  it('a hook that calls collect() gets 0', () => {
    const world = makeWorld();
    const { space, gc } = world;
    const nested: number[] = [];
    space.onUnraisable = () => nested.push(gc.collect());
    gc.callbacks.push(boom);
    selfCycles(world, 1);
    expect(gc.collect()).toBe(1);
    expect(nested).toEqual([0, 0]);
    gc.callbacks.length = 0;
    expectClean(world);
  });
});
