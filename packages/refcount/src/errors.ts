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
  readonly ptr: number;
  readonly typeName: string;

  constructor(ptr: number, typeName: string, operation: string, detail: string) {
    super(`${operation}(${describe(ptr, typeName)}): ${detail}`);
    this.ptr = ptr;
    this.typeName = typeName;
  }
}

/** A type id that no registered type has. */
export class UnknownTypeError extends HeapkitError {
  override name = 'UnknownTypeError';
  readonly typeId: unknown;

  constructor(typeId: unknown, operation: string) {
    super(`${operation}: no type has id ${String(typeId)}`);
    this.typeId = typeId;
  }
}

/**
 * A field access that does not fit the object's layout: an offset outside the payload or not
 * aligned to the access width, `getRef`/`setRef` on a slot the type did not declare as a
 * reference, a scalar write over a reference slot, or a bad length for `alloc`.
 */
export class InvalidSlotError extends HeapkitError {
  override name = 'InvalidSlotError';
  readonly ptr: number;
  readonly typeName: string;
  readonly offset: unknown;

  constructor(ptr: number, typeName: string, offset: unknown, operation: string, detail: string) {
    super(`${operation}(${describe(ptr, typeName)}, ${String(offset)}): ${detail}`);
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
