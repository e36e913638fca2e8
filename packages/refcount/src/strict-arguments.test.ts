import type { HeapkitError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { attachCollector } from './collector.js';
import {
  InvalidLengthError,
  InvalidObjectError,
  InvalidSlotError,
  NotAWeakrefError,
  UnknownTypeError,
} from './index.js';
import { makeSpace } from './test-support/space.js';
import { thrownBy } from './test-support/thrown-by.js';

/** A small world whose contents must survive every rejected call. */
function world() {
  const { space, allocator } = makeSpace();
  const port = attachCollector(space, { onAlloc: () => {}, onFree: () => {} });
  const Pair = space.registerType({ name: 'Pair', size: 16, refs: [0, 4] }); // a u32 value at 8
  const Str = space.registerType({ name: 'Str', itemSize: 1 });
  const a = space.alloc(Pair.id);
  const b = space.alloc(Pair.id);
  space.setRef(a, 0, b);
  space.setU32(a, 8, 1234);
  const s = space.alloc(Str.id, 3);
  const wr = space.weakref(a);
  const intact = () => {
    space.validate();
    allocator.validate();
    expect(space.getRef(a, 0)).toBe(b);
    expect(space.getU32(a, 8)).toBe(1234);
    expect(space.getRefcount(a)).toBe(1);
    expect(space.getRefcount(b)).toBe(2);
    expect(space.length(s)).toBe(3);
    expect(space.weakrefGet(wr)).toBe(a);
    space.decref(a);
    expect(space.liveObjects()).toBe(4);
  };
  return { space, port, Pair, Str, a, b, s, wr, intact };
}

/** Pointers of the wrong kind: each must be an InvalidObjectError naming the value, never a TypeError. */
const BAD_POINTERS: [unknown, string][] = [
  [16n, '16n'],
  ['16', '"16"'],
  [Number.NaN, 'NaN'],
  [16.5, '16.5'],
  [-16, '-16'],
  [undefined, 'undefined'],
  [null, 'null'],
  [{}, 'an object'],
];
/** Offsets of the wrong kind: each an InvalidSlotError. */
const BAD_OFFSETS: [unknown, string][] = [
  [8n, '8n'],
  ['8', '"8"'],
  [Number.NaN, 'NaN'],
  [2.5, '2.5'],
  [-4, '-4'],
];
/** Type ids of the wrong kind: each an UnknownTypeError. */
const BAD_TYPE_IDS: [unknown, string][] = [
  [2n, '2n'],
  ['2', '"2"'],
  [Number.NaN, 'NaN'],
  [1.5, '1.5'],
  [-1, '-1'],
];

function expectTyped(
  fn: () => unknown,
  type: abstract new (...args: never[]) => HeapkitError,
  shown: string,
) {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(type);
  expect(error.message).toContain(shown);
}

describe('strict arguments: a typed error for every wrong kind of argument, nothing changed', () => {
  it('pointers, in every method that takes one', () => {
    const w = world();
    const { space, port, a } = w;
    const ops: [string, (x: never) => unknown][] = [
      ['incref', (x) => space.incref(x)],
      ['decref', (x) => space.decref(x)],
      ['incref', (x) => space.xincref(x)],
      ['decref', (x) => space.xdecref(x)],
      ['makeImmortal', (x) => space.makeImmortal(x)],
      ['isImmortal', (x) => space.isImmortal(x)],
      ['getRef', (x) => space.getRef(x, 0)],
      ['setRef', (x) => space.setRef(x, 0, 0)],
      ['setRef', (x) => space.setRef(a, 4, x)],
      ['setRefSteal', (x) => space.setRefSteal(x, 0, 0)],
      ['setRefSteal', (x) => space.setRefSteal(a, 4, x)],
      ['getValue', (x) => space.getValue(x, 0)],
      ['setValue', (x) => space.setValue(x, 0, 1)],
      ['resize', (x) => space.resize(x, 1)],
      ['forEachReferent', (x) => space.forEachReferent(x, () => {})],
      ['clearRefs', (x) => space.clearRefs(x)],
      ['getU8', (x) => space.getU8(x, 8)],
      ['setU8', (x) => space.setU8(x, 8, 1)],
      ['getI32', (x) => space.getI32(x, 8)],
      ['setI32', (x) => space.setI32(x, 8, 1)],
      ['getU32', (x) => space.getU32(x, 8)],
      ['setU32', (x) => space.setU32(x, 8, 1)],
      ['getF64', (x) => space.getF64(x, 8)],
      ['setF64', (x) => space.setF64(x, 8, 1)],
      ['readBytes', (x) => space.readBytes(x, 8, 1)],
      ['writeBytes', (x) => space.writeBytes(x, 8, new Uint8Array(1))],
      ['weakref', (x) => space.weakref(x)],
      ['weakrefGet', (x) => space.weakrefGet(x)],
      ['getWeakrefCount', (x) => space.getWeakrefCount(x)],
      ['getWeakrefs', (x) => space.getWeakrefs(x)],
      ['getRefcount', (x) => space.getRefcount(x)],
      ['getSizeOf', (x) => space.getSizeOf(x)],
      ['blockOf', (x) => space.blockOf(x)],
      ['typeOf', (x) => space.typeOf(x)],
      ['typeOf', (x) => space.typeName(x)],
      ['length', (x) => space.length(x)],
      ['payloadSize', (x) => space.payloadSize(x)],
      ['isFinalized', (x) => space.isFinalized(x)],
      ['callFinalizer', (x) => port.callFinalizer(x)],
      ['clearWeakrefsOf', (x) => port.clearWeakrefsOf(x)],
      ['clearWeakref', (x) => port.clearWeakref(x)],
    ];
    for (const [bad, shown] of BAD_POINTERS) {
      for (const [name, op] of ops) {
        const error = thrownBy(() => op(bad as never));
        expect(error, `${name}(${shown})`).toBeInstanceOf(InvalidObjectError);
        expect(error.message).toContain(`${name}(`);
        expect(error.message).toContain(`not a pointer (an integer from 0 to 2^32-1), got ${shown}`);
      }
      expect(space.isAlive(bad)).toBe(false);
      expect(space.isWeakref(bad as never)).toBe(false);
    }
    w.intact();
  });

  it('offsets, in every method that takes one', () => {
    const w = world();
    const { space, a } = w;
    const ops: ((offset: never) => unknown)[] = [
      (o) => space.getRef(a, o),
      (o) => space.setRef(a, o, 0),
      (o) => space.setRefSteal(a, o, 0),
      (o) => space.getValue(a, o),
      (o) => space.setValue(a, o, 1),
      (o) => space.getU8(a, o),
      (o) => space.setU8(a, o, 1),
      (o) => space.getI32(a, o),
      (o) => space.setI32(a, o, 1),
      (o) => space.getU32(a, o),
      (o) => space.setU32(a, o, 1),
      (o) => space.getF64(a, o),
      (o) => space.setF64(a, o, 1),
      (o) => space.readBytes(a, o, 1),
      (o) => space.writeBytes(a, o, new Uint8Array(1)),
    ];
    for (const [bad, shown] of BAD_OFFSETS) {
      for (const op of ops) expectTyped(() => op(bad as never), InvalidSlotError, `(Pair), ${shown})`);
    }
    w.intact();
  });

  it('type ids, in alloc and getType', () => {
    const w = world();
    for (const [bad, shown] of BAD_TYPE_IDS) {
      expectTyped(() => w.space.alloc(bad as never), UnknownTypeError, `no type has id ${shown}`);
      expectTyped(() => w.space.alloc(bad as never, 3), UnknownTypeError, `no type has id ${shown}`);
      expectTyped(() => w.space.getType(bad as never), UnknownTypeError, `no type has id ${shown}`);
    }
    expect(w.space.getType(99)).toBeUndefined(); // well-formed, just not registered
    w.intact();
  });

  it('lengths and scalar values', () => {
    const w = world();
    for (const bad of [3n, '3', Number.NaN, 1.5, -1]) {
      expectTyped(() => w.space.alloc(w.Str.id, bad as never), InvalidLengthError, 'alloc(Str, length');
      expectTyped(
        () => w.space.readBytes(w.a, 8, bad as never),
        InvalidLengthError,
        'readBytes(Pair, length',
      );
    }
    for (const bad of [5n, '5', undefined]) {
      expectTyped(() => w.space.setU32(w.a, 8, bad as never), InvalidSlotError, 'the value must be a number');
      expectTyped(() => w.space.setF64(w.a, 8, bad as never), InvalidSlotError, 'the value must be a number');
    }
    w.intact();
  });
});

describe('the new error classes', () => {
  it('InvalidLengthError names the type and the length, never a pointer', () => {
    const w = world();
    const fixed = thrownBy(() => w.space.alloc(w.Pair.id, 2)) as InvalidLengthError;
    expect(fixed).toBeInstanceOf(InvalidLengthError);
    expect(fixed.message).toBe(
      'alloc(Pair, length 2): a fixed-size type takes no length (omit it or pass 0)',
    );
    expect(fixed.typeName).toBe('Pair');
    expect(fixed.length).toBe(2);
    const huge = thrownBy(() => w.space.alloc(w.Str.id, 2 ** 40)) as InvalidLengthError;
    expect(huge.message).toMatch(
      /^alloc\(Str, length 1099511627776\): length must be a non-negative integer/,
    );
    expect(huge.message).not.toMatch(/0x/);
    w.intact();
  });

  it('NotAWeakrefError for weakrefGet and the collector port’s clearWeakref', () => {
    const w = world();
    for (const [name, op] of [
      ['weakrefGet', () => w.space.weakrefGet(w.b)],
      ['clearWeakref', () => w.port.clearWeakref(w.b)],
    ] as const) {
      const error = thrownBy(op) as NotAWeakrefError;
      expect(error).toBeInstanceOf(NotAWeakrefError);
      expect(error.message).toMatch(new RegExp(`^${name}\\(0x[0-9a-f]{8} \\(Pair\\)\\): not a weakref`));
      expect(error.ptr).toBe(w.b);
      expect(error.typeName).toBe('Pair');
    }
    w.intact();
  });

  it('an unknown type id in a damaged header is named as a type id', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    const word = (t >>> 2) + 1;
    const saved = space.memory.u32[word]!;
    space.memory.i32[t >>> 2] = 0; // as if it were being deallocated...
    space.memory.u32[word] = 77; // ...with a damaged type word
    const error = thrownBy(() => space.decref(t));
    expect(error.message).toContain('an object of unknown type id 77');
    space.memory.u32[word] = saved;
    space.memory.i32[t >>> 2] = 1;
    space.decref(t);
    expect(space.liveObjects()).toBe(0);
  });
});
