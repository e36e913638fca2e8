/**
 * The errors an {@link ObjectSpace} throws on bad input. Each names the operation, the pointer
 * and (when known) the object's type, and is thrown before anything changes: after it, every
 * live object still holds exactly what it held.
 */
import { formatPtr, HeapkitError } from '@heapkit/memory';

/** Describes `ptr` for a message: `0x00001230` or `0x00001230 (Node)`. */
function describe(ptr: unknown, typeName: string | undefined): string {
  return typeName === undefined ? formatPtr(ptr) : `${formatPtr(ptr)} (${typeName})`;
}

/** Shows an argument as it was passed: `12`, `12n` (a BigInt), `"12"` (a string), `NaN`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The pointer is not a live object of this space: NULL, out of range, misaligned, inside an
 * object, a block that was not allocated by `alloc`, or an object that was freed.
 */
export class InvalidObjectError extends HeapkitError {
  override name = 'InvalidObjectError';
  /** The pointer as it was passed. */
  readonly ptr: unknown;
  /** The object's type name when it is known (a freed object's, in debug mode), else undefined. */
  readonly typeName: string | undefined;
  /** What was wrong, in words. */
  readonly reason: string;

  constructor(ptr: unknown, reason: string, operation: string, typeName?: string) {
    super(`${operation}(${describe(ptr, typeName)}): not a live object: ${reason}`);
    this.ptr = ptr;
    this.reason = reason;
    this.typeName = typeName;
  }
}

/**
 * The pointer was an object that has since been freed (and no object starts there now): a use
 * after free. A subclass of {@link InvalidObjectError}; `typeName` is known in debug mode.
 */
export class FreedObjectError extends InvalidObjectError {
  override name = 'FreedObjectError';

  constructor(ptr: unknown, operation: string, typeName?: string) {
    super(ptr, 'the object was freed (use after free)', operation, typeName);
  }
}

/**
 * A reference-count operation that would take a count below zero, or revive an object whose
 * count already reached zero (it is being deallocated): a reference was dropped twice.
 */
export class RefcountError extends HeapkitError {
  override name = 'RefcountError';
  /** The object. */
  readonly ptr: number;
  /** Its type's name. */
  readonly typeName: string;

  constructor(ptr: number, typeName: string, operation: string, detail: string) {
    super(`${operation}(${describe(ptr, typeName)}): ${detail}`);
    this.ptr = ptr;
    this.typeName = typeName;
  }
}

/** A type id that no registered type has (or not an integer at all). */
export class UnknownTypeError extends HeapkitError {
  override name = 'UnknownTypeError';
  /** The type id as it was passed. */
  readonly typeId: unknown;

  constructor(typeId: unknown, operation: string) {
    super(
      `${operation}: no type has id ${describeValue(typeId)} (pass the id of a registered type: registerType(spec).id)`,
    );
    this.typeId = typeId;
  }
}

/**
 * A bad number of items or bytes: `alloc` of a variable-length type with a length that is not a
 * non-negative integer within the size limit, `alloc` of a fixed-size type given a length, or a
 * `readBytes` length that is not a non-negative integer.
 */
export class InvalidLengthError extends HeapkitError {
  override name = 'InvalidLengthError';
  /** The type's name. */
  readonly typeName: string;
  /** The length as it was passed. */
  readonly length: unknown;

  constructor(typeName: string, length: unknown, operation: string, detail: string) {
    super(`${operation}(${typeName}, length ${describeValue(length)}): ${detail}`);
    this.typeName = typeName;
    this.length = length;
  }
}

/** A weakref operation (`weakrefGet`, the collector's `clearWeakref`) given a live object that is not a weakref. */
export class NotAWeakrefError extends HeapkitError {
  override name = 'NotAWeakrefError';
  /** The object passed. */
  readonly ptr: number;
  /** Its type's name. */
  readonly typeName: string;

  constructor(ptr: number, typeName: string, operation: string) {
    super(`${operation}(${describe(ptr, typeName)}): not a weakref (pass an object made by space.weakref)`);
    this.ptr = ptr;
    this.typeName = typeName;
  }
}

/**
 * A field access that does not fit the object's layout: an offset that is not a non-negative
 * integer, outside the payload or not aligned to the access width, `getRef`/`setRef` on a slot
 * the type did not declare as a reference, or a scalar write over a reference slot.
 */
export class InvalidSlotError extends HeapkitError {
  override name = 'InvalidSlotError';
  /** The object. */
  readonly ptr: number;
  /** Its type's name. */
  readonly typeName: string;
  /** The offset as it was passed. */
  readonly offset: unknown;

  constructor(ptr: number, typeName: string, offset: unknown, operation: string, detail: string) {
    super(`${operation}(${describe(ptr, typeName)}, ${describeValue(offset)}): ${detail}`);
    this.ptr = ptr;
    this.typeName = typeName;
    this.offset = offset;
  }
}

/** A type specification that cannot be registered (bad size, misaligned reference offset...). */
export class TypeSpecError extends HeapkitError {
  override name = 'TypeSpecError';

  constructor(typeName: unknown, detail: string) {
    super(`registerType(${JSON.stringify(String(typeName))}): ${detail}`);
  }
}

/**
 * `resize` of an object that may not move: shared (another reference would be left pointing at
 * the old address), immortal, or the target of weakrefs. CPython's `_PyTuple_Resize` and
 * `_PyBytes_Resize` have the same rule: only the sole reference may resize.
 */
export class ResizeError extends HeapkitError {
  override name = 'ResizeError';
  /** The object. */
  readonly ptr: number;
  /** Its type's name. */
  readonly typeName: string;

  constructor(ptr: number, typeName: string, detail: string) {
    super(`resize(${describe(ptr, typeName)}): ${detail}`);
    this.ptr = ptr;
    this.typeName = typeName;
  }
}
