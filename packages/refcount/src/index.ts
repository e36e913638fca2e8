/**
 * @heapkit/refcount — CPython's object model over any heapkit `Allocator`: typed objects with
 * reference counts, an iterative deallocator (the trashcan), weak references with callbacks,
 * PEP 442 finalizers with resurrection, immortal objects (PEP 683) and `sys`-style introspection.
 * @packageDocumentation
 */
export {
  FreedObjectError,
  InvalidObjectError,
  InvalidSlotError,
  RefcountError,
  TypeSpecError,
  UnknownTypeError,
} from './errors.js';
export {
  FINALIZED,
  GC_FLAGS_WORD,
  GC_HEAD_BYTES,
  GC_NEXT_WORD,
  GC_PREV_WORD,
  GC_REFS_WORD,
  HAS_WEAKREFS,
  HEADER_BYTES,
  IMMORTAL_REFCOUNT,
  TYPE_ID_MASK,
  VAR_HEADER_BYTES,
} from './header.js';
export {
  type CollectorHooks,
  ObjectSpace,
  type ObjectSpaceOptions,
  type PendingCallbacks,
} from './object-space.js';
export { MAX_OBJECT_BYTES, type ObjectType, type TypeSpec, type Visit } from './types.js';
export { defaultUnraisableHook, type Unraisable, type UnraisableHook } from './unraisable.js';
export type { WeakrefCallback } from './weakrefs.js';
