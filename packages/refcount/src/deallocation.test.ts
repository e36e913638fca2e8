import { describe, expect, it } from 'vitest';
import { RefcountError } from './index.js';
import { makeSpace } from './test-support/space.js';

describe('deallocation', () => {
  it('releases a chain of 1,000,000 objects without recursion (the trashcan)', () => {
    const { space, allocator } = makeSpace();
    const Link = space.registerType({ name: 'Link', size: 8, refs: [0] });
    const start = allocator.stats().bytesInUse;
    let head = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const link = space.alloc(Link.id);
      space.setRefSteal(link, 0, head);
      space.setU32(link, 4, i);
      head = link;
    }
    expect(space.liveObjects()).toBe(1_000_000);
    space.decref(head);
    expect(space.liveObjects()).toBe(0);
    space.clearFreeLists();
    expect(allocator.stats().bytesInUse).toBe(start);
  });

  it('releases a tree of depth 100,000 (a spine with a leaf at every level)', () => {
    const { space } = makeSpace();
    const Node = space.registerType({ name: 'Node', size: 8, refs: [0, 4] });
    let root = 0;
    for (let depth = 0; depth < 100_000; depth++) {
      const node = space.alloc(Node.id);
      space.setRefSteal(node, 0, root);
      space.setRefSteal(node, 4, space.alloc(Node.id));
      root = node;
    }
    expect(space.liveObjects()).toBe(200_000);
    space.decref(root);
    expect(space.liveObjects()).toBe(0);
  });

  it('releases a deep chain of objects with finalizers, each called once, parent before child', () => {
    const order: number[] = [];
    const { space } = makeSpace();
    const Link = space.registerType({
      name: 'Link',
      size: 8,
      refs: [0],
      finalize: (obj) => order.push(space.getU32(obj, 4)),
    });
    let head = 0;
    for (let i = 0; i < 100_000; i++) {
      const link = space.alloc(Link.id);
      space.setRefSteal(link, 0, head);
      space.setU32(link, 4, i);
      head = link;
    }
    space.decref(head);
    expect(order.length).toBe(100_000);
    expect(order[0]).toBe(99_999);
    expect(order[99_999]).toBe(0);
    expect(space.liveObjects()).toBe(0);
  });

  it('a finalizer that drops other objects: they are released by the same loop', () => {
    const { space } = makeSpace();
    const Leaf = space.registerType({ name: 'Leaf', size: 8, refs: [0] });
    const held: number[] = [];
    const Owner = space.registerType({
      name: 'Owner',
      finalize: () => {
        // Drops a whole chain the finalizer held from outside the heap.
        while (held.length > 0) space.decref(held.pop()!);
      },
    });
    let chain = 0;
    for (let i = 0; i < 50_000; i++) {
      const leaf = space.alloc(Leaf.id);
      space.setRefSteal(leaf, 0, chain);
      chain = leaf;
    }
    held.push(chain, space.alloc(Leaf.id));
    const owner = space.alloc(Owner.id);
    space.decref(owner);
    expect(space.liveObjects()).toBe(0);
  });

  it('finalize runs once, may resurrect the object, and the object lives on with its data', () => {
    const { space } = makeSpace();
    const saved: number[] = [];
    let calls = 0;
    const Phoenix = space.registerType({
      name: 'Phoenix',
      size: 8,
      finalize: (obj) => {
        calls++;
        space.incref(obj); // resurrect: store a new reference
        saved.push(obj);
      },
    });
    const p = space.alloc(Phoenix.id);
    space.setU32(p, 0, 42);
    space.decref(p);
    expect(calls).toBe(1);
    expect(space.isAlive(p)).toBe(true);
    expect(space.isFinalized(p)).toBe(true);
    expect(space.getRefcount(p)).toBe(1);
    expect(space.getU32(p, 0)).toBe(42);
    // The second death does not call the finalizer again (PEP 442): the object is freed.
    space.decref(saved.pop()!);
    expect(calls).toBe(1);
    expect(space.isAlive(p)).toBe(false);
  });

  it('a finalizer that throws is reported through onUnraisable and the object is still freed', () => {
    const { space, unraisable } = makeSpace();
    const Leaf = space.registerType({ name: 'Leaf' });
    const Bad = space.registerType({
      name: 'Bad',
      size: 4,
      refs: [0],
      finalize: () => {
        throw new Error('boom');
      },
    });
    const bad = space.alloc(Bad.id);
    const leaf = space.alloc(Leaf.id);
    space.setRefSteal(bad, 0, leaf);
    space.decref(bad);
    expect(unraisable).toHaveLength(1);
    expect(unraisable[0]!.message).toBe('finalizer of Bad');
    expect((unraisable[0]!.error as Error).message).toBe('boom');
    expect(unraisable[0]!.object).toBe(bad);
    expect(space.isAlive(bad)).toBe(false);
    expect(space.isAlive(leaf)).toBe(false);
  });

  it('a finalizer that drops the reference it was lent is reported, and the object freed once', () => {
    const { space, unraisable, allocator } = makeSpace({ freeListBytes: 0 });
    const Rude = space.registerType({ name: 'Rude', finalize: (obj) => space.decref(obj) });
    const start = allocator.stats().bytesInUse;
    const o = space.alloc(Rude.id);
    space.decref(o);
    expect(unraisable).toHaveLength(1);
    expect(unraisable[0]!.error).toBeInstanceOf(RefcountError);
    expect(space.isAlive(o)).toBe(false);
    expect(allocator.stats().bytesInUse).toBe(start);
    allocator.validate();
  });

  it('setRef stores the new value before the old one is released (Py_SETREF order)', () => {
    const { space } = makeSpace();
    const Box = space.registerType({ name: 'Box', size: 4, refs: [0] });
    let seenInSlot = -1;
    let box = 0;
    const Old = space.registerType({
      name: 'Old',
      finalize: () => {
        seenInSlot = space.getRef(box, 0);
      },
    });
    const New = space.registerType({ name: 'New' });
    box = space.alloc(Box.id);
    space.setRefSteal(box, 0, space.alloc(Old.id));
    const fresh = space.alloc(New.id);
    space.setRef(box, 0, fresh);
    expect(seenInSlot).toBe(fresh);
    expect(space.getRefcount(fresh)).toBe(2);
  });

  it('a shared child is freed only with its last owner', () => {
    const { space } = makeSpace();
    const Pair = space.registerType({ name: 'Pair', size: 8, refs: [0, 4] });
    const shared = space.alloc(Pair.id);
    const a = space.alloc(Pair.id);
    const b = space.alloc(Pair.id);
    space.setRef(a, 0, shared);
    space.setRef(b, 4, shared);
    space.decref(shared);
    expect(space.getRefcount(shared)).toBe(2);
    space.decref(a);
    expect(space.isAlive(shared)).toBe(true);
    space.decref(b);
    expect(space.isAlive(shared)).toBe(false);
  });
});
