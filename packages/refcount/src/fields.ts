/**
 * Field access: reference slots (`getRef`, `setRef`, `setRefSteal`) and scalar fields. Every
 * offset is a payload byte offset, checked against the type's layout before anything is read or
 * written; a scalar write never lands on a reference slot.
 *
 * The fast path of the reference slots ({@link fastSlot}: a slot among the first 32 payload
 * words of a fixed-size type) tests the slot against the type's `refBits` row: one load.
 */
import { formatPtr, HeapCorruptionError, type Ptr } from '@heapkit/memory';
import {
  checkedLiveTypeId,
  checkedTypeId,
  increment,
  isLive,
  payloadBytes,
  payloadWord,
  type SpaceCore,
} from './core.js';
import { InvalidLengthError } from './errors.js';
import { PAYLOAD_WORD, REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } from './header.js';
import { checkOffset, nameOf, slotError } from './raise.js';
import { decref } from './refcounts.js';
import { T_ITEM_REFS } from './types.js';

/**
 * The word index of reference slot `offset` of `obj` when the fast path applies (a live
 * object, release mode, a declared slot among the first 32 words of a fixed-size type), else 0.
 * Cost: the liveness test, the type word, one `refBits` load.
 */
function fastSlot(c: SpaceCore, obj: Ptr, offset: number): number {
  if (!isLive(c, obj) || c.debug || typeof offset !== 'number') return 0;
  const h = obj >>> 2;
  const w = offset >>> 2;
  if (w * 4 === offset && w < 32 && ((c.tRefBits[c.i32[h + TYPE_WORD]! & TYPE_ID_MASK]! >>> w) & 1) !== 0) {
    return h + PAYLOAD_WORD + w;
  }
  return 0;
}

/** True for 0 and for a live object that is not dying (count at least 1): a value a slot may take. */
function storable(c: SpaceCore, value: Ptr): boolean {
  return value === 0 || (isLive(c, value) && c.i32[(value >>> 2) + REFCOUNT_WORD]! >= 1);
}

/** The object in a reference slot (a borrowed reference), or 0. */
export function getRef(c: SpaceCore, obj: Ptr, offset: number): Ptr {
  const at = fastSlot(c, obj, offset);
  if (at !== 0) return c.u32[at]!;
  const value = c.u32[refSlot(c, obj, offset, 'getRef')]!;
  if (c.debug && value !== 0 && !isLive(c, value)) {
    throw new HeapCorruptionError(
      obj,
      `getRef(${formatPtr(obj)}, ${offset}): the slot holds ${formatPtr(value)}, which is not a live object`,
    );
  }
  return value;
}

/** `Py_SETREF`: incref `value`, store it, decref the old value. */
export function setRef(c: SpaceCore, obj: Ptr, offset: number, value: Ptr): void {
  let at = fastSlot(c, obj, offset);
  if (at === 0 || !storable(c, value)) {
    at = refSlot(c, obj, offset, 'setRef');
    if (value !== 0) checkedLiveTypeId(c, value, 'setRef');
  }
  if (value !== 0) increment(c.i32, value);
  store(c, at, value);
}

/** `PyTuple_SET_ITEM` with the old value dropped: store `value`, stealing the caller's reference. */
export function setRefSteal(c: SpaceCore, obj: Ptr, offset: number, value: Ptr): void {
  let at = fastSlot(c, obj, offset);
  if (at === 0 || !storable(c, value)) {
    at = refSlot(c, obj, offset, 'setRefSteal');
    if (value !== 0) checkedLiveTypeId(c, value, 'setRefSteal');
  }
  store(c, at, value);
}

/** Stores a reference in slot word `at`, then drops the one it held (which may run code). */
function store(c: SpaceCore, at: number, value: Ptr): void {
  const u32 = c.u32;
  const old = u32[at]!;
  u32[at] = value;
  if (old !== 0) decref(c, old);
}

/** True when the 32-bit payload word at byte `offset` (4-aligned) of a type-`t` object is a reference slot. */
export function isRefWord(c: SpaceCore, t: number, offset: number): boolean {
  const types = c.types;
  const fixed = types.fixedBytes[t]!;
  if (offset < fixed) return types.fixedRefMask[t]![offset >>> 2] === 1;
  if ((types.flags[t]! & T_ITEM_REFS) === 0) return false;
  return types.itemRefMask[t]![((offset - fixed) % types.itemBytes[t]!) >>> 2] === 1;
}

/** The word index of the reference slot at payload `offset`, after checking it is one. */
function refSlot(c: SpaceCore, obj: Ptr, offset: number, operation: string): number {
  const t = checkedTypeId(c, obj, operation);
  checkOffset(c, obj, t, offset, operation);
  const size = payloadBytes(c, obj, t);
  if (offset + 4 > size)
    throw slotError(c, obj, t, offset, operation, `offset outside the ${size}-byte payload`);
  if (offset % 4 !== 0 || !isRefWord(c, t, offset)) {
    throw slotError(c, obj, t, offset, operation, 'not a reference slot of the type');
  }
  return (obj >>> 2) + payloadWord(c, t) + (offset >>> 2);
}

/**
 * The byte address of a `width`-byte scalar field at payload `offset` of `obj`, after checking
 * that it fits, is aligned, and (for a write) covers no reference slot.
 */
export function fieldAddress(
  c: SpaceCore,
  obj: Ptr,
  offset: number,
  width: number,
  operation: string,
  write: boolean,
): number {
  const t = checkedTypeId(c, obj, operation);
  checkOffset(c, obj, t, offset, operation);
  const size = payloadBytes(c, obj, t);
  if (offset + width > size)
    throw slotError(c, obj, t, offset, operation, `offset outside the ${size}-byte payload`);
  if (offset % width !== 0) throw slotError(c, obj, t, offset, operation, `not aligned to ${width} bytes`);
  if (write) checkNoRefs(c, obj, t, offset, width, operation);
  return obj + payloadWord(c, t) * 4 + offset;
}

/** The byte address of `length` payload bytes at `offset`, after the same checks. */
export function rangeAddress(
  c: SpaceCore,
  obj: Ptr,
  offset: number,
  length: number,
  operation: string,
  write: boolean,
): number {
  const t = checkedTypeId(c, obj, operation);
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new InvalidLengthError(
      nameOf(c, t),
      length,
      operation,
      'the length must be a non-negative integer',
    );
  }
  checkOffset(c, obj, t, offset, operation);
  const size = payloadBytes(c, obj, t);
  if (offset + length > size) {
    throw slotError(c, obj, t, offset, operation, `${length} bytes do not fit in the ${size}-byte payload`);
  }
  if (write) checkNoRefs(c, obj, t, offset, length, operation);
  return obj + payloadWord(c, t) * 4 + offset;
}

function checkNoRefs(
  c: SpaceCore,
  obj: Ptr,
  t: number,
  offset: number,
  length: number,
  operation: string,
): void {
  for (let word = offset & ~3; word < offset + length; word += 4) {
    if (isRefWord(c, t, word)) {
      throw slotError(
        c,
        obj,
        t,
        offset,
        operation,
        `would overwrite the reference slot at ${word} (use setRef)`,
      );
    }
  }
}

/** Throws unless `value` is a number (what a typed array would silently coerce, or throw on). */
export function checkScalar(c: SpaceCore, obj: Ptr, offset: number, value: unknown, operation: string): void {
  if (typeof value !== 'number') {
    const t = checkedTypeId(c, obj, operation);
    throw slotError(c, obj, t, offset, operation, `the value must be a number, got a ${typeof value}`);
  }
}
