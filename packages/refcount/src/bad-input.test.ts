import { HeapCorruptionError, type HeapkitError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import {
  FreedObjectError,
  InvalidLengthError,
  InvalidObjectError,
  InvalidSlotError,
  NotAWeakrefError,
  RefcountError,
  TypeSpecError,
  UnknownTypeError,
} from './index.js';
import { makeSpace } from './test-support/space.js';
import { thrownBy } from './test-support/thrown-by.js';

/** A small world: pairs holding a value and references, so damage would show. */
function world(debug = false) {
  const { space, allocator } = makeSpace({ debug });
  const Pair = space.registerType({ name: 'Pair', size: 16, refs: [0, 4] }); // a u32 value at 8
  const Str = space.registerType({ name: 'Str', itemSize: 1 });
  const objs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = space.alloc(Pair.id);
    space.setU32(p, 8, i * 7);
    if (i > 0) space.setRef(p, 0, objs[i - 1]!);
    objs.push(p);
  }
  const s = space.alloc(Str.id, 5);
  space.writeBytes(s, 0, new TextEncoder().encode('hello'));
  const freed = space.alloc(Pair.id);
  space.decref(freed);
  /** Throws unless every object still holds exactly what it held and the space validates. */
  const intact = () => {
    space.validate();
    allocator.validate();
    objs.forEach((p, i) => {
      expect(space.getU32(p, 8)).toBe(i * 7);
      expect(space.getRef(p, 0)).toBe(i > 0 ? objs[i - 1] : 0);
      expect(space.getRefcount(p)).toBe(i < 19 ? 2 : 1);
    });
    expect(new TextDecoder().decode(space.readBytes(s, 0, 5))).toBe('hello');
  };
  return { space, allocator, Pair, Str, objs, s, freed, intact };
}

function expectError<E extends HeapkitError>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  message: RegExp,
): E {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(type);
  expect(error.message).toMatch(message);
  return error as E;
}

describe('bad input: typed errors, nothing changed', () => {
  it('pointers that are not objects: every operation names the pointer and the problem', () => {
    const w = world();
    const p = w.objs[3]!;
    const block = w.allocator.malloc(32); // a live block that is not an object
    const cases: [unknown, RegExp][] = [
      [0, /NULL/],
      [p + 8, /no object starts here/],
      [p + 4, /8-aligned/],
      [p + 1, /8-aligned/],
      [-8, /not a pointer/],
      [2 ** 32, /not a pointer/],
      [1.5, /not a pointer/],
      ['16', /not a pointer/],
      [w.space.memory.byteLength + 64, /beyond the end/],
      [block, /no object starts here/],
    ];
    const ops: [string, (x: number) => unknown][] = [
      ['incref', (x) => w.space.incref(x)],
      ['decref', (x) => w.space.decref(x)],
      ['getRef', (x) => w.space.getRef(x, 0)],
      ['setRef', (x) => w.space.setRef(x, 0, 0)],
      ['setRefSteal', (x) => w.space.setRefSteal(x, 0, 0)],
      ['getU32', (x) => w.space.getU32(x, 8)],
      ['setU32', (x) => w.space.setU32(x, 8, 1)],
      ['getRefcount', (x) => w.space.getRefcount(x)],
      ['getSizeOf', (x) => w.space.getSizeOf(x)],
      ['typeOf', (x) => w.space.typeOf(x)],
      ['weakref', (x) => w.space.weakref(x)],
      ['makeImmortal', (x) => w.space.makeImmortal(x)],
    ];
    for (const [bad, reason] of cases) {
      for (const [name, op] of ops) {
        const error = expectError(() => op(bad as number), InvalidObjectError, reason);
        expect(error.message).toContain(`${name}(`);
        expect(error.ptr).toBe(bad);
      }
      expect(w.space.isAlive(bad)).toBe(false);
    }
    w.intact();
  });

  it('a freed object: FreedObjectError on every use (the type is named in debug mode)', () => {
    for (const debug of [false, true]) {
      const w = world(debug);
      const ops: (() => unknown)[] = [
        () => w.space.incref(w.freed),
        () => w.space.decref(w.freed),
        () => w.space.getRef(w.freed, 0),
        () => w.space.setRef(w.freed, 4, w.objs[0]!),
        () => w.space.getU32(w.freed, 8),
        () => w.space.setU32(w.freed, 8, 3),
        () => w.space.weakref(w.freed),
        () => w.space.setRef(w.objs[0]!, 4, w.freed), // storing a freed object
      ];
      for (const op of ops) {
        const error = expectError(op, FreedObjectError, /freed \(use after free\)/);
        expect(error.typeName).toBe(debug ? 'Pair' : undefined);
        if (debug) expect(error.message).toContain('(Pair)');
      }
      w.intact();
    }
  });

  it('decref or incref of an object whose count already reached zero (being deallocated)', () => {
    const { space, unraisable } = makeSpace();
    const Leaf = space.registerType({ name: 'Leaf' });
    let victim = 0;
    const errors: unknown[] = [];
    const Killer = space.registerType({
      name: 'Killer',
      finalize: () => {
        for (const op of [() => space.decref(victim), () => space.incref(victim)]) {
          try {
            op();
          } catch (error) {
            errors.push(error);
          }
        }
      },
    });
    const Parent = space.registerType({ name: 'Parent', size: 8, refs: [0, 4] });
    const parent = space.alloc(Parent.id);
    victim = space.alloc(Leaf.id);
    space.setRefSteal(parent, 0, victim);
    space.setRefSteal(parent, 4, space.alloc(Killer.id)); // deallocated first (LIFO), victim queued
    space.decref(parent);
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      expect(error).toBeInstanceOf(RefcountError);
      expect((error as RefcountError).message).toMatch(/Leaf\).*already 0/);
    }
    expect(unraisable).toHaveLength(0);
    expect(space.liveObjects()).toBe(0);
    space.validate();
  });

  it('type ids that do not exist', () => {
    const w = world();
    for (const id of [0, -1, 3.5, 99, '2', Number.NaN, undefined]) {
      const error = expectError(() => w.space.alloc(id as number), UnknownTypeError, /no type has id/);
      expect(error.typeId).toBe(id);
    }
    w.intact();
  });

  it('bad lengths for alloc', () => {
    const w = world();
    expectError(() => w.space.alloc(w.Pair.id, 3), InvalidLengthError, /fixed-size type takes no length/);
    for (const length of [-1, 1.5, 2 ** 40, Number.NaN]) {
      expectError(
        () => w.space.alloc(w.Str.id, length),
        InvalidLengthError,
        /length must be a non-negative integer/,
      );
    }
    w.intact();
  });

  it('reference slots: setRef/getRef only on declared slots; scalars never over them', () => {
    const w = world();
    const p = w.objs[5]!;
    expectError(() => w.space.setRef(p, 8, w.objs[0]!), InvalidSlotError, /not a reference slot/);
    expectError(() => w.space.setRefSteal(p, 12, 0), InvalidSlotError, /not a reference slot/);
    expectError(() => w.space.getRef(p, 2), InvalidSlotError, /not a reference slot/);
    expectError(() => w.space.getRef(p, 16), InvalidSlotError, /outside the 16-byte payload/);
    expectError(() => w.space.setRef(p, -4, 0), InvalidSlotError, /outside/);
    expectError(() => w.space.setU32(p, 0, 123), InvalidSlotError, /would overwrite the reference slot at 0/);
    expectError(() => w.space.setU8(p, 5, 1), InvalidSlotError, /would overwrite the reference slot at 4/);
    expectError(() => w.space.setF64(p, 0, 1), InvalidSlotError, /would overwrite/);
    expectError(() => w.space.writeBytes(p, 6, new Uint8Array(4)), InvalidSlotError, /would overwrite/);
    expectError(() => w.space.setU32(p, 14, 1), InvalidSlotError, /outside/);
    expectError(() => w.space.setU32(p, 10, 1), InvalidSlotError, /not aligned to 4/);
    expectError(() => w.space.getF64(p, 4), InvalidSlotError, /not aligned to 8/);
    expectError(() => w.space.readBytes(w.s, 2, 4), InvalidSlotError, /do not fit/);
    const error = expectError(
      () => w.space.setRef(p, 8, 0),
      InvalidSlotError,
      /setRef\(0x[0-9a-f]+ \(Pair\), 8\)/,
    );
    expect(error.typeName).toBe('Pair');
    expect(error.offset).toBe(8);
    w.intact();
  });

  it('a weakref operation on an object that is not a weakref', () => {
    const w = world();
    expectError(() => w.space.weakrefGet(w.objs[0]!), NotAWeakrefError, /not a weakref/);
    expect(() => w.space.weakref(w.objs[0]!, 'nope' as never)).toThrow(TypeError);
    w.intact();
  });

  it('type specs that cannot work', () => {
    const { space } = makeSpace();
    const bad: [unknown, RegExp][] = [
      [null, /must be an object/],
      [{ name: '' }, /name must be a non-empty string/],
      [{ name: 'T', size: -1 }, /size must be an integer/],
      [{ name: 'T', size: 2.5 }, /size must be an integer/],
      [{ name: 'T', itemSize: 0 }, /itemSize must be an integer from 1/],
      [{ name: 'T', size: 8, refs: [2] }, /not a 4-aligned byte offset/],
      [{ name: 'T', size: 8, refs: [8] }, /does not fit in 8 bytes/],
      [{ name: 'T', size: 8, refs: [0, 0] }, /listed twice/],
      [{ name: 'T', size: 8, itemRefs: [0] }, /itemRefs needs an itemSize/],
      [{ name: 'T', size: 6, itemSize: 4, itemRefs: [0] }, /multiples of 4/],
      [{ name: 'T', finalize: 3 }, /finalize must be a function/],
      [{ name: 'T', gc: 'yes' }, /gc must be a boolean/],
      [{ name: 'T', refs: 'x' }, /must be an array/],
    ];
    for (const [spec, message] of bad) {
      expectError(() => space.registerType(spec as never), TypeSpecError, message);
    }
    expect(space.registeredTypes).toHaveLength(1); // only the built-in weakref
  });

  it('debug mode: a damaged header is reported as heap corruption', () => {
    const w = world(true);
    const p = w.objs[2]!;
    const saved = w.space.memory.u32[(p >>> 2) + 1]!;
    w.space.memory.u32[(p >>> 2) + 1] = 0x00ffffff; // a type id that does not exist
    expectError(() => w.space.incref(p), HeapCorruptionError, /header is damaged/);
    expectError(() => w.space.validate(), HeapCorruptionError, /not a registered type/);
    w.space.memory.u32[(p >>> 2) + 1] = saved;
    w.intact();
  });

  it('validate finds a reference slot that was overwritten behind the space', () => {
    const w = world();
    const p = w.objs[4]!;
    const u32 = w.space.memory.u32;
    const saved = u32[(p >>> 2) + 2]!;
    u32[(p >>> 2) + 2] = p + 8; // a raw write of a non-object into a slot
    expectError(() => w.space.validate(), HeapCorruptionError, /not a live object/);
    u32[(p >>> 2) + 2] = saved;
    w.intact();
  });
});
