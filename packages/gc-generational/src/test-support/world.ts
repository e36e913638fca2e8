import { ArenaAllocator } from '@heapkit/arena-allocator';
import { ObjectSpace, type Unraisable } from '@heapkit/refcount';
import type { CollectionContext } from '../collection.js';
import { GC_HEAD_BYTES, GC_REFS } from '../gc-head.js';
import { CycleCollector, type CycleCollectorOptions } from '../index.js';
import type { CollectionRun } from '../run-state.js';

/**
 * A space with a collector and the types the CPython tests use: `List` (a GC container of
 * `n` references, like a Python list or instance dict), `Atom` (no references, not tracked).
 * Automatic collection is off unless the options say otherwise, so counts are exact.
 */
export function makeWorld(options: CycleCollectorOptions & { enabled?: boolean } = {}) {
  const allocator = new ArenaAllocator();
  const unraisable: Unraisable[] = [];
  const space = new ObjectSpace(allocator, { onUnraisable: (u) => unraisable.push(u), freeListBytes: 0 });
  const lines: string[] = [];
  const { enabled, ...gcOptions } = options;
  const gc = new CycleCollector(space, { debugSink: (line) => lines.push(line), ...gcOptions });
  if (enabled !== true) gc.disable();
  const List = space.registerType({ name: 'list', itemSize: 4, itemRefs: [0], gc: true });
  const Pair = space.registerType({ name: 'Pair', size: 8, refs: [0, 4], gc: true });
  const Atom = space.registerType({ name: 'int', size: 8 });
  /** A list of `items` (stolen references), like `[a, b, ...]`. */
  const list = (...items: number[]) => {
    const l = space.alloc(List.id, items.length);
    items.forEach((item, i) => {
      space.setRefSteal(l, 4 * i, item);
    });
    return l;
  };
  /** A Pair with `a` and `b` (new references added). */
  const pair = (a = 0, b = 0) => {
    const p = space.alloc(Pair.id);
    if (a !== 0) space.setRef(p, 0, a);
    if (b !== 0) space.setRef(p, 4, b);
    return p;
  };
  return { allocator, space, gc, unraisable, lines, List, Pair, Atom, list, pair };
}

export type World = ReturnType<typeof makeWorld>;

/** A complete tree of Pairs `depth` levels deep, built bottom up; returns its root (one reference). */
export function bottomUp(w: World, depth: number): number {
  if (depth === 0) return w.pair();
  const left = bottomUp(w, depth - 1);
  const right = bottomUp(w, depth - 1);
  const node = w.pair(left, right);
  w.space.decref(left);
  w.space.decref(right);
  return node;
}

/** The tracked objects whose gc refs word is not 0 (there are none outside a collection). */
export function flagged(w: World): number[] {
  const u32 = w.space.memory.u32;
  return w.gc.getObjects().filter((obj) => u32[((obj - GC_HEAD_BYTES) >>> 2) + GC_REFS] !== 0);
}

/**
 * The collector's state of its last collection, which it keeps until the next: what the results
 * alone cannot tell (whether a shortcut was taken).
 */
export function lastRun(w: World): CollectionRun {
  return (w.gc as unknown as { context: CollectionContext }).context.run;
}
