/**
 * @heapkit/refcount — CPython's object model over any heapkit `Allocator`: typed objects with
 * reference counts, an iterative deallocator (the trashcan), weak references with callbacks,
 * PEP 442 finalizers with resurrection, immortal objects (PEP 683) and `sys`-style introspection.
 * @packageDocumentation
 */
export {
  FreedObjectError,
  InvalidLengthError,
  InvalidObjectError,
  InvalidSlotError,
  NotAWeakrefError,
  RefcountError,
  ResizeError,
  TypeSpecError,
  UnknownTypeError,
} from './errors.js';
export {
  CAPACITY_WORD,
  FINALIZED,
  GC_HEAD_BYTES,
  GC_HEAD_WORDS,
  GC_NEXT_WORD,
  GC_PREV_WORD,
  GC_REFS_WORD,
  GC_RESERVED_WORD,
  HAS_WEAKREFS,
  HEADER_BYTES,
  IMMORTAL_REFCOUNT,
  LENGTH_WORD,
  PAYLOAD_WORD,
  REFCOUNT_WORD,
  TYPE_ID_MASK,
  TYPE_WORD,
  typeIdIn,
  VAR_HEADER_BYTES,
  VAR_PAYLOAD_WORD,
} from './header.js';
export { ObjectSpace, type ObjectSpaceOptions } from './object-space.js';
export { MAX_OBJECT_BYTES, type ObjectType, type TypeSpec, type Visit } from './types.js';
export { defaultUnraisableHook, type Unraisable, type UnraisableHook } from './unraisable.js';
export type { WeakrefCallback } from './weakrefs.js';
