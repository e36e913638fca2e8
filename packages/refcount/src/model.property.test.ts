/**
 * Property test: random alloc / setRef / setRefSteal / incref / decref / weakref / weakrefGet
 * sequences over acyclic graphs, checked after every step against a plain JS model of
 * reference counts. Deaths, finalizer calls, weakref callbacks and frees are logged and checked
 * for count and order; at the end everything is released and the allocator's bytes in use must
 * be back where they started.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { type Allocator, Memory, type Ptr } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GC_HEAD_BYTES, ObjectSpace } from './index.js';

type Op =
  | { kind: 'alloc'; finalizer: boolean }
  | { kind: 'setRef'; holder: number; slot: number; value: number; steal: boolean }
  | { kind: 'incref'; ref: number }
  | { kind: 'decref'; ref: number }
  | { kind: 'weakref'; ref: number; callback: boolean }
  | { kind: 'weakrefGet'; ref: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('alloc' as const), finalizer: fc.boolean() }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant('setRef' as const),
      holder: fc.nat(),
      slot: fc.integer({ min: 0, max: 1 }),
      value: fc.integer({ min: -1, max: 1000 }),
      steal: fc.boolean(),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('incref' as const), ref: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('decref' as const), ref: fc.nat() }), weight: 5 },
  {
    arbitrary: fc.record({ kind: fc.constant('weakref' as const), ref: fc.nat(), callback: fc.boolean() }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('weakrefGet' as const), ref: fc.nat() }), weight: 1 },
);

/** What the model knows of one object. */
interface ModelObject {
  readonly id: number;
  readonly ptr: Ptr;
  rc: number;
  readonly slots: [ModelObject | null, ModelObject | null];
  readonly finalizer: boolean;
  /** For weakref objects: the target while it lives. */
  target: ModelObject | null;
  readonly isWeakref: boolean;
  readonly hasCallback: boolean;
  /** Weakrefs to this object, oldest first. */
  readonly weakrefs: ModelObject[];
}

/** An allocator that logs every free (so the test sees when blocks go back). */
function loggingAllocator(inner: Allocator, log: string[]): Allocator {
  return {
    memory: inner.memory,
    malloc: (size) => inner.malloc(size),
    calloc: (count, size) => inner.calloc(count, size),
    realloc: (ptr, size) => inner.realloc(ptr, size),
    usableSize: (ptr) => inner.usableSize(ptr),
    free: (ptr) => {
      log.push(`free ${ptr}`);
      inner.free(ptr);
    },
  };
}

function run(ops: readonly Op[], freeListBytes: number): void {
  // A 1 MiB memory (it grows if it must): `check` walks the object-state map after every step,
  // and that map covers the whole memory (the default 16 MiB made this test about 5x slower).
  const arena = new ArenaAllocator({ memory: new Memory({ initialBytes: 1 << 20 }) });
  const log: string[] = [];
  const allocator = loggingAllocator(arena, log);
  const startBytes = arena.stats().bytesInUse;
  const space = new ObjectSpace(allocator, {
    freeListBytes,
    onUnraisable: (u) => {
      throw new Error(`unexpected unraisable: ${String(u.error)}`);
    },
  });
  const Plain = space.registerType({ name: 'Plain', size: 8, refs: [0, 4] });
  const Fin = space.registerType({
    name: 'Fin',
    size: 8,
    refs: [0, 4],
    finalize: (obj) => log.push(`fin ${obj}`),
  });

  let nextId = 0;
  const live = new Map<Ptr, ModelObject>();
  /** The references the test owns, as model objects (one entry per reference). */
  const held: ModelObject[] = [];
  const expectedLog: string[] = [];

  const newModel = (ptr: Ptr, finalizer: boolean, target: ModelObject | null, hasCallback: boolean) => {
    const m: ModelObject = {
      id: nextId++,
      ptr,
      rc: 1,
      slots: [null, null],
      finalizer,
      target,
      isWeakref: target !== null,
      hasCallback,
      weakrefs: [],
    };
    live.set(ptr, m);
    return m;
  };

  /** The model's deallocation, in the order the space performs it (LIFO queue). */
  const modelDecref = (m: ModelObject) => {
    if (m.rc > 1) {
      m.rc--;
      return;
    }
    m.rc = 0;
    const queue: ModelObject[] = [m];
    while (queue.length > 0) {
      const dying = queue.pop()!;
      if (dying.finalizer) expectedLog.push(`fin ${dying.ptr}`);
      // Weakrefs: cleared; callbacks (newest first) for those alive, each kept alive across its call.
      const callbacks = [...dying.weakrefs].reverse().filter((wr) => wr.hasCallback && wr.rc > 0);
      for (const wr of dying.weakrefs) wr.target = null;
      dying.weakrefs.length = 0;
      for (const wr of callbacks) expectedLog.push(`cb ${wr.ptr} ${dying.ptr}`);
      if (dying.isWeakref && dying.target !== null) {
        const list = dying.target.weakrefs;
        list.splice(list.indexOf(dying), 1);
      }
      for (const child of dying.slots) {
        if (child === null) continue;
        child.rc--;
        if (child.rc === 0) queue.push(child);
      }
      live.delete(dying.ptr);
      // Weakrefs carry the 16-byte GC pre-header: their block starts before the object.
      if (freeListBytes === 0) expectedLog.push(`free ${dying.ptr - (dying.isWeakref ? GC_HEAD_BYTES : 0)}`);
    }
  };

  const reachable = (from: ModelObject, to: ModelObject): boolean => {
    const stack = [from];
    const seen = new Set<ModelObject>();
    while (stack.length > 0) {
      const m = stack.pop()!;
      if (m === to) return true;
      if (seen.has(m)) continue;
      seen.add(m);
      for (const c of m.slots) if (c !== null) stack.push(c);
    }
    return false;
  };

  const check = () => {
    // With free lists on, when a block goes back to the allocator depends on the lists' fill.
    expect(freeListBytes === 0 ? log : log.filter((e) => !e.startsWith('free'))).toEqual(expectedLog);
    const actual: Ptr[] = [];
    space.forEachObject((p) => actual.push(p));
    expect(actual.sort((a, b) => a - b)).toEqual([...live.keys()].sort((a, b) => a - b));
    // Every live object's count, slots and weakref count against the model's, in one
    // comparison (one `expect` per value made this test spend most of its time in `expect`).
    const got: number[][] = [];
    const want: number[][] = [];
    for (const m of live.values()) {
      if (m.isWeakref) {
        got.push([m.ptr, space.getRefcount(m.ptr)]);
        want.push([m.ptr, m.rc]);
      } else {
        got.push([
          m.ptr,
          space.getRefcount(m.ptr),
          space.getRef(m.ptr, 0),
          space.getRef(m.ptr, 4),
          space.getWeakrefCount(m.ptr),
        ]);
        want.push([m.ptr, m.rc, m.slots[0]?.ptr ?? 0, m.slots[1]?.ptr ?? 0, m.weakrefs.length]);
      }
    }
    expect(got).toEqual(want);
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'alloc': {
        const ptr = space.alloc(op.finalizer ? Fin.id : Plain.id);
        held.push(newModel(ptr, op.finalizer, null, false));
        break;
      }
      case 'setRef': {
        const holders = held.filter((m) => !m.isWeakref);
        if (holders.length === 0) break;
        const holder = holders[op.holder % holders.length]!;
        let value: ModelObject | null = null;
        let index = -1;
        if (op.value >= 0 && held.length > 0) {
          index = op.value % held.length;
          value = held[index]!;
          if (reachable(value, holder)) break; // would close a cycle: the collector's business
        }
        if (op.steal && value !== null) held.splice(index, 1);
        const old = holder.slots[op.slot]!;
        (op.steal ? space.setRefSteal : space.setRef).call(space, holder.ptr, op.slot * 4, value?.ptr ?? 0);
        if (value !== null && !op.steal) value.rc++;
        holder.slots[op.slot] = value;
        if (old !== null) modelDecref(old);
        break;
      }
      case 'incref': {
        if (held.length === 0) break;
        const m = held[op.ref % held.length]!;
        space.incref(m.ptr);
        m.rc++;
        held.push(m);
        break;
      }
      case 'decref': {
        if (held.length === 0) break;
        const [m] = held.splice(op.ref % held.length, 1);
        space.decref(m!.ptr);
        modelDecref(m!);
        break;
      }
      case 'weakref': {
        const targets = held.filter((m) => !m.isWeakref);
        if (targets.length === 0) break;
        const target = targets[op.ref % targets.length]!;
        const basic = target.weakrefs.find((wr) => !wr.hasCallback);
        const wrPtr = op.callback
          ? space.weakref(target.ptr, (wr) =>
              log.push(`cb ${wr} ${space.weakrefGet(wr) === 0 ? target.ptr : -1}`),
            )
          : space.weakref(target.ptr);
        if (!op.callback && basic !== undefined) {
          expect(wrPtr).toBe(basic.ptr);
          basic.rc++;
          held.push(basic);
        } else {
          const wr = newModel(wrPtr, false, target, op.callback);
          // CPython's order: the basic ref at the head, each callback ref right after it.
          if (op.callback) target.weakrefs.push(wr);
          else target.weakrefs.unshift(wr);
          held.push(wr);
        }
        break;
      }
      case 'weakrefGet': {
        const refs = held.filter((m) => m.isWeakref);
        if (refs.length === 0) break;
        const wr = refs[op.ref % refs.length]!;
        const got = space.weakrefGet(wr.ptr);
        expect(got).toBe(wr.target?.ptr ?? 0);
        if (wr.target !== null) {
          wr.target.rc++;
          held.push(wr.target);
        }
        break;
      }
    }
    check();
  }
  // Release what is left oldest first, so targets often die while their weakrefs live.
  while (held.length > 0) {
    const m = held.shift()!;
    space.decref(m.ptr);
    modelDecref(m);
    check();
  }
  expect(live.size).toBe(0);
  space.validate();
  space.clearFreeLists();
  expect(arena.stats().bytesInUse).toBe(startBytes);
  arena.validate();
}

describe('ObjectSpace against a model of reference counts', () => {
  it('frees each object exactly when the model says, with finalizers and callbacks once, in order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 30, maxLength: 150 }), (ops) => run(ops, 0)),
      { numRuns: 300 },
    );
  });

  it('the same with free lists on (frees are then deferred to clearFreeLists)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 30, maxLength: 150 }), (ops) => run(ops, 256)),
      { numRuns: 150 },
    );
  });
});
