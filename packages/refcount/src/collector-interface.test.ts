import { ArenaAllocator } from '@heapkit/arena-allocator';
import type { Allocator } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { attachCollector, type CollectorHooks } from './collector.js';
import { GC_HEAD_BYTES, InvalidObjectError, ObjectSpace, type Unraisable } from './index.js';
import { makeSpace } from './test-support/space.js';

describe("the collector's interface", () => {
  it('tells an attached collector about every GC object allocated and freed, and no other', () => {
    const { space } = makeSpace();
    const events: string[] = [];
    const hooks: CollectorHooks = {
      onAlloc: (obj) => events.push(`alloc ${obj}`),
      onFree: (obj) => events.push(`free ${obj}`),
    };
    attachCollector(space, hooks);
    expect(() => attachCollector(space, hooks)).toThrow(/already attached/);
    const Gc = space.registerType({ name: 'Gc', size: 4, refs: [0], gc: true });
    const Plain = space.registerType({ name: 'Plain' });
    const a = space.alloc(Gc.id);
    const b = space.alloc(Gc.id);
    space.setRefSteal(a, 0, b);
    space.decref(space.alloc(Plain.id));
    space.decref(a);
    expect(events).toEqual([`alloc ${a}`, `alloc ${b}`, `free ${a}`, `free ${b}`]);
    expect(a % 8).toBe(0);
    expect(GC_HEAD_BYTES).toBe(16);
  });

  it('callFinalizer runs a finalizer once and marks the object', () => {
    const { space, unraisable } = makeSpace();
    let calls = 0;
    const F = space.registerType({
      name: 'F',
      finalize: () => {
        calls++;
        throw new Error('in finalizer');
      },
    });
    const P = space.registerType({ name: 'P' });
    const port = attachCollector(space, { onAlloc: () => {}, onFree: () => {} });
    const f = space.alloc(F.id);
    expect(port.callFinalizer(f)).toBe(true);
    expect(port.callFinalizer(f)).toBe(false);
    expect(space.isFinalized(f)).toBe(true);
    expect(port.callFinalizer(space.alloc(P.id))).toBe(false);
    expect(calls).toBe(1);
    expect(unraisable.map((u) => u.message)).toEqual(['finalizer of F']);
    space.decref(f); // already finalized: not called again
    expect(calls).toBe(1);
  });

  it('clearWeakrefsOf clears every weakref and calls back only those chosen', () => {
    const { space } = makeSpace();
    const port = attachCollector(space, { onAlloc: () => {}, onFree: () => {} });
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    const called: number[] = [];
    const w1 = space.weakref(t, (wr) => called.push(wr));
    const w2 = space.weakref(t, (wr) => called.push(wr));
    const w3 = space.weakref(t, (wr) => called.push(wr));
    port.clearWeakrefsOf(t, (wr) => wr !== w2);
    expect(called).toEqual([w3, w1]);
    for (const wr of [w1, w2, w3]) expect(space.weakrefGet(wr)).toBe(0);
    expect(space.getWeakrefCount(t)).toBe(0);
    space.decref(t); // no callbacks left
    expect(called).toEqual([w3, w1]);
    space.validate();
  });

  it('clearWeakrefsOf with callbacksOnly leaves the callback-less weakrefs; clearWeakref clears one', () => {
    const { space } = makeSpace();
    const port = attachCollector(space, { onAlloc: () => {}, onFree: () => {} });
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    const called: number[] = [];
    const basic = space.weakref(t);
    const w1 = space.weakref(t, (wr) => called.push(wr));
    port.clearWeakrefsOf(t, undefined, true);
    expect(called).toEqual([w1]);
    expect(space.getWeakrefs(t)).toEqual([basic]);
    const got = space.weakrefGet(basic);
    expect(got).toBe(t);
    space.decref(got);
    port.clearWeakref(basic);
    expect(space.weakrefGet(basic)).toBe(0);
    expect(space.getWeakrefCount(t)).toBe(0);
    space.validate();
  });

  it('freeUnreachable frees an object as it stands, and refuses one whose deallocation runs code', () => {
    for (const debug of [false, true]) {
      const { space, allocator } = makeSpace({ debug });
      const freed: number[] = [];
      const port = attachCollector(space, { onAlloc: () => {}, onFree: (obj) => freed.push(obj) });
      const Node = space.registerType({ name: 'Node', size: 8, refs: [0, 4], gc: true });
      const Fin = space.registerType({ name: 'Fin', size: 4, refs: [0], gc: true, finalize: () => {} });
      const start = allocator.stats().bytesInUse;
      // A 2-cycle: each holds the other; the collector frees both without counting them down.
      const a = space.alloc(Node.id);
      const b = space.alloc(Node.id);
      space.setRef(a, 0, b);
      space.setRef(b, 0, a);
      space.decref(a);
      space.decref(b);
      expect(port.freeUnreachable(a)).toBe(true);
      expect(space.isAlive(a)).toBe(false);
      expect(port.freeUnreachable(b)).toBe(true);
      expect(freed).toEqual([]); // onFree is the collector's own business here
      space.clearFreeLists();
      expect(allocator.stats().bytesInUse).toBe(start);
      expect(() => port.freeUnreachable(a)).toThrow(/freeUnreachable/);
      // A finalizer, a weakref to it, a weakref itself: the usual path is the caller's.
      const f = space.alloc(Fin.id);
      expect(port.freeUnreachable(f)).toBe(false);
      const c = space.alloc(Node.id);
      const w = space.weakref(c);
      expect(port.freeUnreachable(c)).toBe(false);
      expect(port.freeUnreachable(w)).toBe(false);
      for (const obj of [f, c, w]) expect(space.isAlive(obj)).toBe(true);
      for (const obj of [f, c, w]) space.decref(obj);
      space.validate();
      space.clearFreeLists();
      expect(allocator.stats().bytesInUse).toBe(start);
    }
  });

  it('freeUnreachableMany frees a batch as it stands, checking every object before it frees any', () => {
    // Over the allocator itself (its freeMany), over one without freeMany (block by block), and
    // in debug mode (block by block, each poisoned).
    for (const mode of ['freeMany', 'free', 'debug'] as const) {
      const made = makeSpace({ debug: mode === 'debug' });
      const arena = made.allocator;
      const allocator: Allocator =
        mode === 'free'
          ? {
              memory: arena.memory,
              malloc: (size) => arena.malloc(size),
              calloc: (count, size) => arena.calloc(count, size),
              realloc: (ptr, size) => arena.realloc(ptr, size),
              free: (ptr) => arena.free(ptr),
              usableSize: (ptr) => arena.usableSize(ptr),
            }
          : arena;
      const space = mode === 'free' ? new ObjectSpace(allocator, { onUnraisable: () => {} }) : made.space;
      const freed: number[] = [];
      const port = attachCollector(space, { onAlloc: () => {}, onFree: (obj) => freed.push(obj) });
      const Node = space.registerType({ name: 'Node', size: 8, refs: [0, 4], gc: true });
      const Fin = space.registerType({ name: 'Fin', size: 4, refs: [0], gc: true, finalize: () => {} });
      const start = arena.stats().bytesInUse;
      const cycles: number[] = [];
      for (let i = 0; i < 300; i++) {
        const a = space.alloc(Node.id);
        const b = space.alloc(Node.id);
        space.setRef(a, 0, b);
        space.setRef(b, 0, a);
        space.decref(a);
        space.decref(b);
        cycles.push(a, b);
      }
      const f = space.alloc(Fin.id);
      const dead = space.alloc(Node.id);
      space.decref(dead);
      // One object whose deallocation runs code: false, and nothing freed.
      expect(port.freeUnreachableMany(Uint32Array.of(...cycles, f), cycles.length + 1)).toBe(false);
      // One that is not a live object: the error, and nothing freed.
      expect(() => port.freeUnreachableMany(Uint32Array.of(...cycles, dead), cycles.length + 1)).toThrow(
        InvalidObjectError,
      );
      expect(() => port.freeUnreachableMany(Uint32Array.of(...cycles, dead), cycles.length + 1)).toThrow(
        /freeUnreachableMany/,
      );
      // Bad arguments: typed errors, nothing freed.
      expect(() => port.freeUnreachableMany([...cycles] as unknown as Uint32Array, 2)).toThrow(TypeError);
      expect(() => port.freeUnreachableMany(Uint32Array.of(...cycles), cycles.length + 1)).toThrow(
        RangeError,
      );
      expect(() => port.freeUnreachableMany(Uint32Array.of(...cycles), 0.5)).toThrow(
        /count must be an integer/,
      );
      for (const obj of [...cycles, f]) expect(space.isAlive(obj)).toBe(true);
      space.validate();
      // All of them: freed as they stand, onFree not called, every byte back.
      expect(port.freeUnreachableMany(Uint32Array.of(...cycles), cycles.length)).toBe(true);
      for (const obj of cycles) expect(space.isAlive(obj)).toBe(false);
      expect(freed).toEqual([dead]); // its own decref; the batch is the collector's business
      space.decref(f);
      space.validate();
      space.clearFreeLists();
      arena.validate();
      expect(arena.stats().bytesInUse).toBe(start);
    }
  });

  it("freeUnreachableMany reports an allocator's refusal and still frees the objects", () => {
    const arena = new ArenaAllocator();
    const reported: Unraisable[] = [];
    const refusing: Allocator = {
      memory: arena.memory,
      malloc: (size) => arena.malloc(size),
      calloc: (count, size) => arena.calloc(count, size),
      realloc: (ptr, size) => arena.realloc(ptr, size),
      free: (ptr) => arena.free(ptr),
      usableSize: (ptr) => arena.usableSize(ptr),
      freeMany: (ptrs, count) => {
        arena.freeMany(ptrs, count);
        throw new Error('refused');
      },
    };
    const space = new ObjectSpace(refusing, { onUnraisable: (u) => reported.push(u) });
    const port = attachCollector(space, { onAlloc: () => {}, onFree: () => {} });
    const Node = space.registerType({ name: 'Node', size: 8, refs: [0, 4], gc: true });
    const objs = Uint32Array.from({ length: 10 }, () => space.alloc(Node.id));
    const copy = [...objs];
    expect(port.freeUnreachableMany(objs, objs.length)).toBe(true);
    expect(reported.map((u) => [u.message, (u.error as Error).message])).toEqual([
      ['allocator.freeMany', 'refused'],
    ]);
    for (const obj of copy) expect(space.isAlive(obj)).toBe(false);
    space.validate();
    arena.validate();
  });
});
