/**
 * Error construction: every typed error a space throws is built here, off the hot paths, with
 * the operation's name, the pointer and (when known) the type's name. A type id is never shown
 * as if it were a pointer: errors about a type name the type.
 */
import { HeapCorruptionError, type Ptr } from '@heapkit/memory';
import type { SpaceCore } from './core.js';
import {
  describeValue,
  FreedObjectError,
  InvalidLengthError,
  InvalidObjectError,
  InvalidSlotError,
  NotAWeakrefError,
  RefcountError,
  UnknownTypeError,
} from './errors.js';
import { POISON_WORD, REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } from './header.js';
import { FREED } from './object-states.js';

/** The registered name of type `t` (which must exist). */
export function nameOf(c: SpaceCore, t: number): string {
  return c.types.types[t - 1]!.name;
}

/** Why `obj` is not a live object, as the error to throw. */
export function invalidObject(c: SpaceCore, obj: unknown, operation: string): InvalidObjectError {
  if (typeof obj !== 'number' || !Number.isInteger(obj) || obj < 0 || obj >= 2 ** 32) {
    return new InvalidObjectError(
      obj,
      `not a pointer (an integer from 0 to 2^32-1), got ${describeValue(obj)}`,
      operation,
    );
  }
  if (obj === 0) return new InvalidObjectError(obj, 'NULL', operation);
  if (obj % 8 !== 0) return new InvalidObjectError(obj, 'objects are 8-aligned', operation);
  if (obj >= c.memory.byteLength)
    return new InvalidObjectError(obj, 'beyond the end of the memory', operation);
  if (c.states.get(obj) === FREED) {
    const t = c.freedTypes?.get(obj);
    return new FreedObjectError(obj, operation, t === undefined ? undefined : nameOf(c, t));
  }
  return new InvalidObjectError(obj, 'no object starts here', operation);
}

/** A count that already reached zero (the object is being deallocated) was to change. */
export function zeroCount(c: SpaceCore, obj: Ptr, operation: string, detail?: string): RefcountError {
  const t = c.i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK;
  const name = c.types.get(t)?.name ?? `an object of unknown type id ${t}`;
  return new RefcountError(
    obj,
    name,
    operation,
    detail ??
      'the reference count is already 0: the object is being deallocated (a reference was dropped twice)',
  );
}

/** A field access that does not fit the layout of `obj` (of type `t`). */
export function slotError(
  c: SpaceCore,
  obj: Ptr,
  t: number,
  offset: unknown,
  operation: string,
  detail: string,
): InvalidSlotError {
  return new InvalidSlotError(obj, nameOf(c, t), offset, operation, detail);
}

/** Throws unless `offset` is a non-negative integer (a payload byte offset). */
export function checkOffset(c: SpaceCore, obj: Ptr, t: number, offset: unknown, operation: string): void {
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw slotError(
      c,
      obj,
      t,
      offset,
      operation,
      'offset outside the payload: pass a non-negative integer byte offset',
    );
  }
}

/** A bad length for an object of type `t`. */
export function lengthError(
  c: SpaceCore,
  t: number,
  length: unknown,
  operation: string,
  detail: string,
): InvalidLengthError {
  return new InvalidLengthError(nameOf(c, t), length, operation, detail);
}

/** `wr` (live, of type `t`) is not a weakref. */
export function notWeakref(c: SpaceCore, wr: Ptr, t: number, operation: string): NotAWeakrefError {
  return new NotAWeakrefError(wr, nameOf(c, t), operation);
}

/** Throws unless `typeId` is the id of a registered type. */
export function checkTypeId(c: SpaceCore, typeId: unknown, operation: string): number {
  if (typeof typeId !== 'number' || (typeId | 0) !== typeId || typeId < 1 || typeId >= c.typeCount) {
    throw new UnknownTypeError(typeId, operation);
  }
  return typeId;
}

/** Debug mode: the header of a live object must name a registered type and not be poisoned. */
export function checkHeader(c: SpaceCore, obj: Ptr, operation: string): void {
  const rc = c.i32[(obj >>> 2) + REFCOUNT_WORD]!;
  const t = c.i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK;
  if (t < 1 || t >= c.types.count || rc === POISON_WORD) {
    throw new HeapCorruptionError(
      obj,
      `${operation}: the object's header is damaged (type id ${t}, refcount ${rc})`,
    );
  }
}
