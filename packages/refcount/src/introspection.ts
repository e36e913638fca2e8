/**
 * Introspection, as `sys` and `gc` offer it: counts, sizes, types, the objects alive. The
 * functions that walk every object (`liveObjects`, `countsByType`, `forEachObject`) say so and
 * are methods of the space, never getters.
 */
import { ConfigurationError, type Ptr } from '@heapkit/memory';
import { checkedTypeId, isLive, payloadBytes, payloadWord, type SpaceCore } from './core.js';
import { CAPACITY_WORD, FINALIZED, LENGTH_WORD, REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } from './header.js';
import { type ObjectType, T_VAR } from './types.js';

/** `sys.getrefcount` (without the extra reference of Python's call argument). */
export function getRefcount(c: SpaceCore, obj: Ptr): number {
  checkedTypeId(c, obj, 'getRefcount');
  return c.i32[(obj >>> 2) + REFCOUNT_WORD]!;
}

/**
 * `sys.getsizeof`: GC pre-header, header and payload with its items; for a var object that
 * `resize` over-allocated, the items it has room for (as CPython's `list.__sizeof__` counts
 * `allocated`, not `len`).
 */
export function getSizeOf(c: SpaceCore, obj: Ptr): number {
  const t = checkedTypeId(c, obj, 'getSizeOf');
  let spare = 0;
  if ((c.tFlags[t]! & T_VAR) !== 0) {
    const h = obj >>> 2;
    const extra = c.u32[h + CAPACITY_WORD]! - c.u32[h + LENGTH_WORD]!;
    if (extra > 0) spare = extra * c.types.itemBytes[t]!;
  }
  return c.tPre[t]! + payloadWord(c, t) * 4 + payloadBytes(c, obj, t) + spare;
}

/** The allocator block under `obj` (before its GC pre-header, if any). */
export function blockOf(c: SpaceCore, obj: Ptr): Ptr {
  return obj - c.tPre[checkedTypeId(c, obj, 'blockOf')]!;
}

/**
 * The block under `ptr` when it is a live object of this space, else 0 (never throws): the
 * resolver a space registers with an allocator that has `addBlockResolver`.
 */
export function blockOrZero(c: SpaceCore, ptr: Ptr): Ptr {
  if (!isLive(c, ptr)) return 0;
  return ptr - c.tPre[c.i32[(ptr >>> 2) + TYPE_WORD]! & TYPE_ID_MASK]!;
}

/** `type(obj)`. */
export function typeOf(c: SpaceCore, obj: Ptr): ObjectType {
  return c.types.types[checkedTypeId(c, obj, 'typeOf') - 1]!;
}

/** `Py_SIZE`: the items of a variable-length object; 0 for a fixed-size one. */
export function length(c: SpaceCore, obj: Ptr): number {
  const t = checkedTypeId(c, obj, 'length');
  return (c.tFlags[t]! & T_VAR) !== 0 ? c.u32[(obj >>> 2) + LENGTH_WORD]! : 0;
}

/** Bytes of `obj`'s payload: the fixed part plus the items. */
export function payloadSize(c: SpaceCore, obj: Ptr): number {
  return payloadBytes(c, obj, checkedTypeId(c, obj, 'payloadSize'));
}

/** `gc.is_finalized`. */
export function isFinalized(c: SpaceCore, obj: Ptr): boolean {
  checkedTypeId(c, obj, 'isFinalized');
  return (c.i32[(obj >>> 2) + TYPE_WORD]! & FINALIZED) !== 0;
}

/** The number of live objects: walks the object-state map, O(memory size / 128). */
export function liveObjects(c: SpaceCore): number {
  let n = 0;
  c.states.forEachLive(() => n++);
  return n;
}

/** The number of live objects of each type that has any (walks the object-state map). */
export function countsByType(c: SpaceCore): Map<ObjectType, number> {
  const counts = new Int32Array(c.types.count);
  const i32 = c.i32;
  c.states.forEachLive((obj) => counts[i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK]!++);
  const out = new Map<ObjectType, number>();
  for (const type of c.types.types) if (counts[type.id]! > 0) out.set(type, counts[type.id]!);
  return out;
}

/** Calls `visit` with every live object, in address order. */
export function forEachObject(c: SpaceCore, visit: (obj: Ptr) => void): void {
  if (typeof visit !== 'function') {
    throw new ConfigurationError('forEachObject: visit must be a function (obj) => void');
  }
  c.states.forEachLive(visit);
}

/**
 * Bytes the space keeps on the JS side, outside the memory: the object-state map, the type
 * tables and the deallocation stack (the same name as `ArenaAllocator.stats().metadataBytes`).
 */
export function metadataBytes(c: SpaceCore): number {
  const t = c.types;
  const tables =
    t.flags.byteLength +
    t.baseBytes.byteLength +
    t.fixedBytes.byteLength +
    t.blockBytes.byteLength +
    t.preBytes.byteLength +
    t.itemBytes.byteLength +
    t.refStart.byteLength +
    t.refWords.byteLength +
    t.refBits.byteLength +
    t.valueBits.byteLength +
    t.rows.byteLength;
  return c.stateBytes.byteLength + tables + c.stack.byteLength;
}
