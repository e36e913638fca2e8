import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Memory, MemoryError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { GC_HEAD_BYTES, HEADER_BYTES, IMMORTAL_REFCOUNT, ObjectSpace, VAR_HEADER_BYTES } from './index.js';
import { makeSpace } from './test-support/space.js';

describe('ObjectSpace: objects', () => {
  it('alloc returns a new reference with a zeroed payload, even in a reused block', () => {
    const { space } = makeSpace({ freeListBytes: 0 });
    const Blob = space.registerType({ name: 'Blob', size: 40 });
    const a = space.alloc(Blob.id);
    for (let off = 0; off < 40; off += 4) space.setU32(a, off, 0xffffffff);
    space.decref(a);
    const b = space.alloc(Blob.id);
    expect(b).toBe(a); // pymalloc reuses the block at once (LIFO)
    expect(space.getRefcount(b)).toBe(1);
    for (let off = 0; off < 40; off += 4) expect(space.getU32(b, off)).toBe(0);
  });

  it('scalar accessors read back what they wrote, by type', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'Scalars', size: 24 });
    const o = space.alloc(T.id);
    space.setI32(o, 0, -5);
    space.setU32(o, 4, 0xfedcba98);
    space.setF64(o, 8, Math.PI);
    space.setU8(o, 16, 255);
    expect(space.getI32(o, 0)).toBe(-5);
    expect(space.getU32(o, 4)).toBe(0xfedcba98);
    expect(space.getF64(o, 8)).toBe(Math.PI);
    expect(space.getU8(o, 16)).toBe(255);
    space.writeBytes(o, 17, new Uint8Array([1, 2, 3]));
    expect([...space.readBytes(o, 16, 4)]).toEqual([255, 1, 2, 3]);
  });

  it('variable-length objects keep their length and items after the fixed part', () => {
    const { space } = makeSpace();
    const Tuple = space.registerType({ name: 'tuple', size: 4, itemSize: 4, itemRefs: [0] });
    const Leaf = space.registerType({ name: 'Leaf', size: 8 });
    const t = space.alloc(Tuple.id, 3);
    expect(space.length(t)).toBe(3);
    expect(space.payloadSize(t)).toBe(4 + 3 * 4);
    const leaves = [space.alloc(Leaf.id), space.alloc(Leaf.id), space.alloc(Leaf.id)];
    for (const [i, leaf] of leaves.entries()) space.setRefSteal(t, 4 + 4 * i, leaf);
    expect(leaves.map((_, i) => space.getRef(t, 4 + 4 * i))).toEqual(leaves);
    space.setU32(t, 0, 7); // the fixed part is not a reference slot
    expect(space.countsByType().get(Leaf)).toBe(3);
    space.decref(t); // the items are released with the tuple
    expect(space.countsByType().get(Leaf)).toBeUndefined();
    expect(space.liveObjects()).toBe(0);
  });

  it('getSizeOf counts the header, the GC pre-header and the payload, like sys.getsizeof', () => {
    const { space } = makeSpace();
    const Plain = space.registerType({ name: 'Plain', size: 12 });
    const Gc = space.registerType({ name: 'Gc', size: 12, gc: true });
    const Var = space.registerType({ name: 'Var', size: 4, itemSize: 8, gc: true });
    expect(space.getSizeOf(space.alloc(Plain.id))).toBe(HEADER_BYTES + 12);
    expect(space.getSizeOf(space.alloc(Gc.id))).toBe(GC_HEAD_BYTES + HEADER_BYTES + 12);
    expect(space.getSizeOf(space.alloc(Var.id, 5))).toBe(
      GC_HEAD_BYTES + HEADER_BYTES + VAR_HEADER_BYTES + 4 + 40,
    );
  });

  it('a GC type keeps its pre-header before the object pointer, zeroed', () => {
    const { space, allocator } = makeSpace({ freeListBytes: 0 });
    const Gc = space.registerType({ name: 'Gc', size: 8, gc: true });
    const o = space.alloc(Gc.id);
    expect(space.blockOf(o)).toBe(o - GC_HEAD_BYTES);
    expect(allocator.usableSize(space.blockOf(o))).toBeGreaterThanOrEqual(GC_HEAD_BYTES + HEADER_BYTES + 8);
    const Plain = space.registerType({ name: 'Plain' });
    const p = space.alloc(Plain.id);
    expect(space.blockOf(p)).toBe(p);
    const u32 = space.memory.u32;
    for (let w = 0; w < 4; w++) expect(u32[((o - GC_HEAD_BYTES) >>> 2) + w]).toBe(0);
  });

  it('introspection: type, name, counts per type, live objects', () => {
    const { space } = makeSpace();
    const A = space.registerType({ name: 'A' });
    const B = space.registerType({ name: 'B', size: 4 });
    const a1 = space.alloc(A.id);
    space.alloc(A.id);
    space.alloc(B.id);
    expect(space.typeOf(a1)).toBe(A);
    expect(space.typeName(a1)).toBe('A');
    expect(space.getType(B.id)).toBe(B);
    expect(space.countsByType()).toEqual(
      new Map([
        [A, 2],
        [B, 1],
      ]),
    );
    expect(space.liveObjects()).toBe(3);
    expect(space.registeredTypes.map((t) => t.name)).toEqual(['weakref', 'A', 'B']);
  });

  it('immortal objects ignore incref and decref and are never freed (PEP 683)', () => {
    const { space } = makeSpace();
    const None = space.registerType({ name: 'NoneType' });
    const none = space.alloc(None.id);
    space.makeImmortal(none);
    expect(space.isImmortal(none)).toBe(true);
    for (let i = 0; i < 10; i++) space.decref(none);
    space.incref(none);
    expect(space.getRefcount(none)).toBe(IMMORTAL_REFCOUNT);
    const Box = space.registerType({ name: 'Box', size: 4, refs: [0] });
    const box = space.alloc(Box.id);
    space.setRef(box, 0, none);
    space.decref(box);
    expect(space.isAlive(none)).toBe(true);
    expect(space.getRefcount(none)).toBe(IMMORTAL_REFCOUNT);
  });

  it('an alloc that exhausts the memory throws MemoryError and leaves the space usable', () => {
    const memory = new Memory({ initialBytes: 1 << 20, maxBytes: 1 << 20 });
    const space = new ObjectSpace(new ArenaAllocator({ memory }));
    const Big = space.registerType({ name: 'Big', size: 4000 });
    const objs: number[] = [];
    expect(() => {
      for (;;) objs.push(space.alloc(Big.id));
    }).toThrow(MemoryError);
    expect(objs.length).toBeGreaterThan(100);
    space.validate();
    for (const o of objs) space.decref(o);
    expect(space.liveObjects()).toBe(0);
    space.alloc(Big.id); // room again
  });

  it('free lists keep freed blocks up to their cap and give them back on clearFreeLists', () => {
    const { space, allocator } = makeSpace({ freeListBytes: 1024 });
    const Small = space.registerType({ name: 'Small', size: 8 }); // 16-byte blocks
    const start = allocator.stats().bytesInUse;
    const objs = Array.from({ length: 100 }, () => space.alloc(Small.id));
    for (const o of objs) space.decref(o);
    expect(space.freeListBytes).toBe(1024);
    expect(space.clearFreeLists()).toBe(64);
    expect(space.freeListBytes).toBe(0);
    expect(allocator.stats().bytesInUse).toBe(start);
  });

  it('registers types with the layout it reports', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T', size: 16, refs: [8, 0], gc: true, legacyFinalizer: true });
    expect(T).toMatchObject({
      name: 'T',
      size: 16,
      refs: [0, 8],
      isVar: false,
      gc: true,
      legacyFinalizer: true,
      preHeaderBytes: GC_HEAD_BYTES,
      payloadOffset: HEADER_BYTES,
    });
    expect(Object.isFrozen(T)).toBe(true);
  });

  it('forEachReferent visits slots, items and traverse; clearRefs drops them', () => {
    const { space } = makeSpace();
    const Leaf = space.registerType({ name: 'Leaf' });
    const extra: number[] = [];
    const Odd = space.registerType({
      name: 'Odd',
      size: 8,
      refs: [0],
      itemSize: 8,
      itemRefs: [4],
      traverse: (_obj, visit) => {
        for (const e of extra) visit(e);
      },
    });
    const o = space.alloc(Odd.id, 2);
    const [l1, l2, l3] = [space.alloc(Leaf.id), space.alloc(Leaf.id), space.alloc(Leaf.id)];
    space.setRef(o, 0, l1);
    space.setRef(o, 8 + 4, l2);
    space.setRef(o, 8 + 8 + 4, l3);
    const seen: number[] = [];
    space.forEachReferent(o, (c) => seen.push(c));
    expect(seen).toEqual([l1, l2, l3]);
    space.clearRefs(o);
    expect([space.getRef(o, 0), space.getRef(o, 12), space.getRef(o, 20)]).toEqual([0, 0, 0]);
    expect([l1, l2, l3].map((l) => space.getRefcount(l))).toEqual([1, 1, 1]);
  });
});
