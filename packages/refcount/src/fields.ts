/**
 * Field access: reference slots (`getRef`, `setRef`, `setRefSteal`), value slots (`getValue`,
 * `setValue`: a pointer or a tagged immediate, low bit 1) and scalar fields. Every offset is a
 * payload byte offset, checked against the type's layout before anything is read or written; a
 * scalar write never lands on a reference or value slot.
 *
 * The fast path of the slots ({@link fastSlot}: a slot among the first 32 payload words of a
 * fixed-size type) tests the slot against the type's `refBits` (or `valueBits`) row: one load.
 */
import { formatPtr, HeapCorruptionError, type Ptr } from '@heapkit/memory';
import type { SpaceCore } from './core.js';
import * as core from './core.js';
import { InvalidLengthError } from './errors.js';
import * as header from './header.js';
import { checkOffset, nameOf, slotError } from './raise.js';
import * as refcounts from './refcounts.js';
import * as typeDefs from './types.js';

// Module-local copies of imported constants: V8 folds a module's own constants into optimized
// code, but loads an imported binding (and checks it for the TDZ hole) at every use.
const { PAYLOAD_WORD, REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } = header;
const { REF_SLOT, T_ITEM_REFS, VALUE_SLOT } = typeDefs;
// The same for functions (an imported one is loaded through its cell and checked at every call).
const { checkedLiveTypeId, checkedTypeId, increment, isLive, payloadBytes, payloadWord } = core;
const { decref } = refcounts;

/**
 * The word index of slot `offset` of `obj` when the fast path applies (a live object, release
 * mode, a slot of the kind `bits` marks (`tRefBits` or `tValueBits`) among the first 32 words
 * of a fixed-size type), else 0. Cost: the liveness test, the type word, one `bits` load.
 */
function fastSlot(c: SpaceCore, obj: Ptr, offset: number, bits: Int32Array): number {
  if (typeof offset === 'number' && isLive(c, obj) && !c.debug) {
    const h = obj >>> 2;
    const w = offset >>> 2;
    if (w * 4 === offset && w < 32 && ((bits[c.i32[h + TYPE_WORD]! & TYPE_ID_MASK]! >>> w) & 1) !== 0) {
      return h + PAYLOAD_WORD + w;
    }
  }
  return 0;
}

/** The object in a reference slot (a borrowed reference), or 0. */
export function getRef(c: SpaceCore, obj: Ptr, offset: number): Ptr {
  const at = fastSlot(c, obj, offset, c.tRefBits);
  if (at !== 0) return c.i32[at]! >>> 0; // the view the type word came from: one view, not two
  return getRefSlow(c, obj, offset);
}

function getRefSlow(c: SpaceCore, obj: Ptr, offset: number): Ptr {
  const value = c.u32[slotWord(c, obj, offset, 'getRef', REF_SLOT)]!;
  if (c.debug && value !== 0 && !isLive(c, value)) {
    throw new HeapCorruptionError(
      obj,
      `getRef(${formatPtr(obj)}, ${offset}): the slot holds ${formatPtr(value)}, which is not a live object`,
    );
  }
  return value;
}

/**
 * `Py_SETREF`: incref `value`, store it, decref the old value. The fast path is written out flat
 * (as {@link setRefSteal}'s): its checks are those of {@link fastSlot} and the value's.
 */
export function setRef(c: SpaceCore, obj: Ptr, offset: number, value: Ptr): void {
  const i32 = c.i32;
  let at = 0;
  if (typeof offset === 'number' && isLive(c, obj) && !c.debug) {
    const w = offset >>> 2;
    if (
      w * 4 === offset &&
      w < 32 &&
      ((c.tRefBits[i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK]! >>> w) & 1) !== 0
    ) {
      if (value === 0 || (isLive(c, value) && i32[(value >>> 2) + REFCOUNT_WORD]! >= 1))
        at = (obj >>> 2) + PAYLOAD_WORD + w;
    }
  }
  if (at === 0) at = checkedRefSlot(c, obj, offset, value, 'setRef');
  if (value !== 0) increment(i32, value);
  const old = i32[at]!;
  i32[at] = value;
  if (old !== 0) decref(c, old >>> 0);
}

/**
 * `PyTuple_SET_ITEM` with the old value dropped: store `value`, stealing the caller's reference.
 * The fast path, written out flat so that a caller's loop can inline it whole (V8's budget):
 * `obj` live, release mode, a reference slot among the first 32 payload words, `value` 0 or a
 * live object with a count. Cost: two liveness tests, the type word, one `tRefBits` load, the
 * value's count, the slot's load and store.
 */
export function setRefSteal(c: SpaceCore, obj: Ptr, offset: number, value: Ptr): void {
  const i32 = c.i32;
  let at = 0;
  if (typeof offset === 'number' && isLive(c, obj) && !c.debug) {
    const w = offset >>> 2;
    if (
      w * 4 === offset &&
      w < 32 &&
      ((c.tRefBits[i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK]! >>> w) & 1) !== 0
    ) {
      if (value === 0 || (isLive(c, value) && i32[(value >>> 2) + REFCOUNT_WORD]! >= 1))
        at = (obj >>> 2) + PAYLOAD_WORD + w;
    }
  }
  if (at === 0) at = checkedRefSlot(c, obj, offset, value, 'setRefSteal');
  const old = i32[at]!;
  i32[at] = value;
  if (old !== 0) decref(c, old >>> 0);
}

/** The slow way to {@link setRefSteal}'s answer: the slot's word index, or the typed error. */
function checkedRefSlot(c: SpaceCore, obj: Ptr, offset: number, value: Ptr, operation: string): number {
  const at = slotWord(c, obj, offset, operation, REF_SLOT);
  if (value !== 0) checkedLiveTypeId(c, value, operation);
  return at;
}

/**
 * Stores `value` in slot word `at`, then drops the pointer the slot held (which may run code);
 * an old immediate (low bit 1, value slots only) is no reference and is simply overwritten.
 */
function store(c: SpaceCore, at: number, value: Ptr): void {
  const i32 = c.i32;
  const old = i32[at]!;
  i32[at] = value;
  if (old !== 0 && (old & 1) === 0) decref(c, old >>> 0);
}

/** The value word in a value slot: 0, an object pointer (a borrowed reference) or an immediate (low bit 1). */
export function getValue(c: SpaceCore, obj: Ptr, offset: number): number {
  const at = fastSlot(c, obj, offset, c.tValueBits);
  if (at !== 0) return c.i32[at]! >>> 0;
  const word = c.u32[slotWord(c, obj, offset, 'getValue', VALUE_SLOT)]!;
  if (c.debug && word !== 0 && (word & 1) === 0 && !isLive(c, word)) {
    throw new HeapCorruptionError(
      obj,
      `getValue(${formatPtr(obj)}, ${offset}): the slot holds ${formatPtr(word)}, which is neither an immediate nor a live object`,
    );
  }
  return word;
}

/**
 * Stores a value word: an immediate (low bit 1) as it is, or 0, or an object pointer, which is
 * increfed first; the pointer the slot held is dropped after the store (the order of `setRef`).
 * Cost on the fast path: {@link fastSlot}, the word's test (for a pointer, the liveness test and
 * its count), the store.
 */
export function setValue(c: SpaceCore, obj: Ptr, offset: number, word: number): void {
  let at = fastSlot(c, obj, offset, c.tValueBits);
  const immediate =
    typeof word === 'number' && (word & 1) !== 0 && (word === (word | 0) || word === word >>> 0);
  if (
    at === 0 ||
    !(immediate || word === 0 || (isLive(c, word) && c.i32[(word >>> 2) + REFCOUNT_WORD]! >= 1))
  ) {
    at = slotWord(c, obj, offset, 'setValue', VALUE_SLOT);
    if (!immediate) checkPointerWord(c, obj, offset, word);
  }
  if (!immediate && word !== 0) increment(c.i32, word);
  store(c, at, word >>> 0);
}

/** Throws unless `word` (not an immediate) is 0 or a live object that is not dying. */
function checkPointerWord(c: SpaceCore, obj: Ptr, offset: number, word: unknown): void {
  if (typeof word !== 'number' || !Number.isInteger(word) || word < -0x8000_0000 || word > 0xffff_ffff) {
    const t = checkedTypeId(c, obj, 'setValue');
    throw slotError(
      c,
      obj,
      t,
      offset,
      'setValue',
      `the word must be a 32-bit integer: an immediate with its low bit set, 0 or an object, got ${String(word)}`,
    );
  }
  if (word !== 0) checkedLiveTypeId(c, word, 'setValue');
}

/**
 * What the 32-bit payload word at byte `offset` (4-aligned) of a type-`t` object is:
 * `REF_SLOT`, `VALUE_SLOT` or 0 (a scalar word).
 */
function slotKind(c: SpaceCore, t: number, offset: number): number {
  const types = c.types;
  const fixed = types.fixedBytes[t]!;
  if (offset < fixed) return types.fixedRefMask[t]![offset >>> 2]!;
  if ((types.flags[t]! & T_ITEM_REFS) === 0) return 0;
  return types.itemRefMask[t]![((offset - fixed) % types.itemBytes[t]!) >>> 2]!;
}

/** The word index of the slot of `kind` at payload `offset`, after checking it is one. */
function slotWord(c: SpaceCore, obj: Ptr, offset: number, operation: string, kind: number): number {
  const t = checkedTypeId(c, obj, operation);
  checkOffset(c, obj, t, offset, operation);
  const size = payloadBytes(c, obj, t);
  if (offset + 4 > size)
    throw slotError(c, obj, t, offset, operation, `offset outside the ${size}-byte payload`);
  if (offset % 4 !== 0 || slotKind(c, t, offset) !== kind) {
    const what = kind === REF_SLOT ? 'a reference slot' : 'a value slot';
    throw slotError(c, obj, t, offset, operation, `not ${what} of the type`);
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
    const kind = slotKind(c, t, word);
    if (kind !== 0) {
      const what = kind === REF_SLOT ? 'reference slot' : 'value slot';
      const use = kind === REF_SLOT ? 'setRef' : 'setValue';
      throw slotError(c, obj, t, offset, operation, `would overwrite the ${what} at ${word} (use ${use})`);
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
