/**
 * The object space's public front: CPython's object model over any {@link Allocator}. Each
 * method checks nothing itself and delegates to the file of its concern (see `core.ts` for the
 * map); every pointer is checked there against the object-state map before anything is read or
 * written, so a pointer that is not a live object is a typed error, never a silent corruption.
 */
import { type Allocator, ConfigurationError, type Memory, type Ptr } from '@heapkit/memory';
import * as allocation from './allocation.js';
import * as core from './core.js';
import { cacheTypeTables, registerCore, SpaceCore, syncViews } from './core.js';
import * as fields from './fields.js';
import * as info from './introspection.js';
import { checkOptions, type ObjectSpaceOptions } from './options.js';
import { checkTypeId } from './raise.js';
import * as refcounts from './refcounts.js';
import { clearRefs, forEachReferent } from './referents.js';
import { resize } from './resizing.js';
import type { ObjectType, TypeSpec, Visit } from './types.js';
import type { UnraisableHook } from './unraisable.js';
import { validate } from './validation.js';
import * as weak from './weakref-api.js';
import type { WeakrefCallback } from './weakrefs.js';

// Module-local copies of the functions the front delegates to: an imported function is loaded
// through its cell, checked for the hole and compared with the one V8 inlined at every call; a
// module's own binding is folded into the caller that inlines the method.
const { alloc } = allocation;
const { checkScalar, fieldAddress, getRef, getValue, rangeAddress, setRef, setRefSteal, setValue } = fields;
const { decref, incref, isImmortal, makeImmortal } = refcounts;
const { isLive } = core;

/**
 * Objects with CPython's memory model in a heapkit memory: typed objects with reference counts,
 * weak references, finalizers and immortal objects, over any {@link Allocator}.
 *
 * Ownership follows CPython's C API: {@link alloc} returns a new reference, {@link getRef} a
 * borrowed one, {@link setRef} takes care of both counts, and whoever keeps a pointer across a
 * call that can free objects must own a reference to it.
 *
 * ```ts
 * const space = new ObjectSpace(new ArenaAllocator());
 * const Pair = space.registerType({ name: 'Pair', size: 8, refs: [0, 4] });
 * const a = space.alloc(Pair.id);
 * const b = space.alloc(Pair.id);
 * space.setRef(a, 0, b); // a owns a reference to b
 * space.decref(b); // drop ours: b lives on through a
 * space.decref(a); // frees a, then b
 * ```
 */
export type { ObjectSpaceOptions };

export class ObjectSpace {
  /** The allocator every object's block comes from. */
  declare readonly allocator: Allocator;
  /** The memory objects live in (the allocator's). */
  declare readonly memory: Memory;
  /** True when the debug checks are on (see {@link ObjectSpaceOptions.debug}). */
  declare readonly debug: boolean;
  /** The built-in type of weak references (`weakref.ref`). */
  declare readonly weakrefType: ObjectType;
  // `declare`d: a field defined as undefined first would cost a map check at every `this.c`.
  declare private readonly c: SpaceCore;

  /**
   * @param allocator Where objects' blocks come from: any {@link Allocator} whose blocks are
   *   8-aligned (`ArenaAllocator`, a WASM module's malloc, `@thi.ng/malloc` behind an adapter).
   *   When it has `noteCached`/`noteReused`, it is told of every block the free lists keep and
   *   hand out again; when it has `addBlockResolver`, the space registers {@link blockOf}'s map.
   */
  constructor(allocator: Allocator, options: ObjectSpaceOptions = {}) {
    if (
      allocator === null ||
      typeof allocator !== 'object' ||
      typeof allocator.malloc !== 'function' ||
      typeof allocator.free !== 'function' ||
      allocator.memory === undefined
    ) {
      throw new ConfigurationError('ObjectSpace: allocator must implement the Allocator interface');
    }
    const memory = allocator.memory;
    const o = checkOptions(options, memory);
    const c = new SpaceCore(allocator, o.debug, o.onUnraisable, o.freeListBytes);
    this.c = c;
    this.allocator = allocator;
    this.memory = memory;
    this.debug = c.debug;
    this.weakrefType = c.types.get(c.weakrefType)!;
    memory.onGrow(() => syncViews(c));
    registerCore(this, c);
    if (typeof allocator.addBlockResolver === 'function') {
      allocator.addBlockResolver((ptr) => info.blockOrZero(c, ptr));
    }
  }

  /**
   * Receives the errors thrown by finalizers and weakref callbacks during deallocation, which
   * then goes on (CPython's `sys.unraisablehook`). Assign to replace it.
   */
  get onUnraisable(): UnraisableHook {
    return this.c.onUnraisable;
  }

  set onUnraisable(hook: UnraisableHook) {
    if (typeof hook !== 'function')
      throw new ConfigurationError('ObjectSpace: onUnraisable must be a function');
    this.c.onUnraisable = hook;
  }

  // --- types ------------------------------------------------------------------------------------

  /**
   * Registers a type (once; types are never unregistered) and returns it: pass its `id` to
   * {@link alloc} (`PyType_Ready`). Throws `TypeSpecError` for a spec that cannot work.
   */
  registerType(spec: TypeSpec): ObjectType {
    const type = this.c.types.register(spec);
    cacheTypeTables(this.c);
    return type;
  }

  /**
   * The registered type with id `id`, or undefined when there is none (a lookup by id; the type
   * of an object is {@link typeOf}). Throws `UnknownTypeError` when `id` is not a non-negative integer.
   */
  getType(id: number): ObjectType | undefined {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) checkTypeId(this.c, id, 'getType');
    return this.c.types.get(id);
  }

  /** Every registered type, in id order (the built-in `weakref` first). */
  get registeredTypes(): readonly ObjectType[] {
    return this.c.types.types;
  }

  // --- allocation and reference counts ------------------------------------------------------

  /**
   * Allocates an object of type `typeId` (with `length` items, default 0, for a variable-length
   * type) and returns a new reference: refcount 1, payload zeroed (`PyObject_New`,
   * `PyObject_NewVar`, `PyObject_GC_New`). Throws `UnknownTypeError`, `InvalidLengthError` or
   * `MemoryError`. Cost: see `allocation.ts`.
   */
  alloc(typeId: number, length = 0): Ptr {
    return alloc(this.c, typeId, length);
  }

  /**
   * Grows or shrinks the items of variable-length `obj`, which the caller must hold the only
   * reference to: new items are zeroed, items beyond a shrink are released first (their
   * references dropped). The block is over-allocated as CPython's `list_resize` does, so a run
   * of appends rarely moves it; when it must move, the contents are copied to a new block.
   * Returns the object's pointer: re-read it, the old one is freed if the object moved. Throws
   * `InvalidLengthError`, `ResizeError` (shared, immortal or weakly referenced) or `MemoryError`.
   */
  resize(obj: Ptr, length: number): Ptr {
    return resize(this.c, obj, length);
  }

  /** Adds a reference to `obj` (`Py_INCREF`). A no-op on an immortal object. */
  incref(obj: Ptr): void {
    incref(this.c, obj);
  }

  /**
   * Drops a reference to `obj` (`Py_DECREF`). When it was the last one, the object is
   * deallocated before this returns: its finalizer runs (once; it may resurrect the object), its
   * weakrefs are cleared and their callbacks called, the references it owns are dropped, and its
   * block is freed; whatever that releases is deallocated by the same loop, never by recursion.
   * A no-op on an immortal object.
   */
  decref(obj: Ptr): void {
    decref(this.c, obj);
  }

  /** `incref` that accepts 0 and then does nothing (`Py_XINCREF`). */
  xincref(obj: Ptr): void {
    if (obj !== 0) incref(this.c, obj);
  }

  /** `decref` that accepts 0 and then does nothing (`Py_XDECREF`). */
  xdecref(obj: Ptr): void {
    if (obj !== 0) decref(this.c, obj);
  }

  /** Makes `obj` immortal (PEP 683): its count is never changed again and it is never freed. */
  makeImmortal(obj: Ptr): void {
    makeImmortal(this.c, obj);
  }

  /** True when `obj` is immortal (`sys._is_immortal`). */
  isImmortal(obj: Ptr): boolean {
    return isImmortal(this.c, obj);
  }

  /**
   * Gives the blocks kept in the free lists back to the allocator (CPython clears its free lists
   * on a full collection). Returns the number of blocks given back.
   */
  clearFreeLists(): number {
    return this.c.freeLists.clear();
  }

  /** Bytes of the memory currently kept in the free lists (see {@link ObjectSpaceOptions.freeListBytes}). */
  get freeListBytes(): number {
    return this.c.freeLists.bytes;
  }

  /** Bytes the space keeps on the JS side (object-state map, type tables, stack), as `metadataBytes` elsewhere. */
  get metadataBytes(): number {
    return info.metadataBytes(this.c);
  }

  // --- reference slots ------------------------------------------------------------------------

  /**
   * The object in the reference slot at payload byte `offset`, or 0: a *borrowed* reference
   * (incref it to keep it across a call that can free objects). Cost on the fast path (a slot
   * among the first 32 words of a fixed-size type): the liveness test, a table load, the slot.
   */
  getRef(obj: Ptr, offset: number): Ptr {
    return getRef(this.c, obj, offset);
  }

  /**
   * Stores `value` (an object or 0) in the reference slot at payload byte `offset`, in
   * `Py_SETREF`'s safe order: incref the new value, store it, then decref the old one.
   */
  setRef(obj: Ptr, offset: number, value: Ptr): void {
    setRef(this.c, obj, offset, value);
  }

  /**
   * Stores `value` like {@link setRef} but *steals* the caller's reference to it instead of
   * adding one (as `PyTuple_SET_ITEM` does): the usual way to put a fresh object in a slot.
   */
  setRefSteal(obj: Ptr, offset: number, value: Ptr): void {
    setRefSteal(this.c, obj, offset, value);
  }

  // --- value slots (an object pointer or a tagged immediate) --------------------------------

  /**
   * The word in value slot `offset` (declared in `values` or `itemValues`), as an unsigned
   * 32-bit number: 0, an object pointer (a borrowed reference) or a tagged immediate (low bit
   * 1; decode a small integer stored as `(n << 1) | 1` with `word >> 1`).
   */
  getValue(obj: Ptr, offset: number): number {
    return getValue(this.c, obj, offset);
  }

  /**
   * Stores `word` in value slot `offset`: a tagged immediate (a 32-bit integer with its low bit
   * set, signed or unsigned) is stored as it is and not counted; 0 or a live object is stored
   * like `setRef` (the new object increfed, the slot's old object decrefed after the store).
   * Throws `InvalidSlotError` (not a value slot, or not a 32-bit integer) or `InvalidObjectError`
   * (an even word that is not a live object) before anything changes.
   */
  setValue(obj: Ptr, offset: number, word: number): void {
    setValue(this.c, obj, offset, word);
  }

  /** Calls `visit` with every object `obj` owns a reference to: slots, then `traverse` (`tp_traverse`). */
  forEachReferent(obj: Ptr, visit: Visit): void {
    forEachReferent(this.c, obj, visit);
  }

  /** Breaks `obj`'s references (`tp_clear`): its type's `clear`, or every slot set to 0 and dropped. */
  clearRefs(obj: Ptr): void {
    clearRefs(this.c, obj);
  }

  // --- scalar fields (never over a reference slot) --------------------------------------------

  /** The unsigned byte at payload `offset`. */
  getU8(obj: Ptr, offset: number): number {
    return this.memory.u8[fieldAddress(this.c, obj, offset, 1, 'getU8', false)]!;
  }

  /** Stores an unsigned byte at payload `offset`. */
  setU8(obj: Ptr, offset: number, value: number): void {
    checkScalar(this.c, obj, offset, value, 'setU8');
    this.memory.u8[fieldAddress(this.c, obj, offset, 1, 'setU8', true)] = value;
  }

  /** The signed 32-bit integer at payload `offset` (4-aligned). */
  getI32(obj: Ptr, offset: number): number {
    return this.c.i32[fieldAddress(this.c, obj, offset, 4, 'getI32', false) >>> 2]!;
  }

  /** Stores a signed 32-bit integer at payload `offset` (4-aligned). */
  setI32(obj: Ptr, offset: number, value: number): void {
    checkScalar(this.c, obj, offset, value, 'setI32');
    this.c.i32[fieldAddress(this.c, obj, offset, 4, 'setI32', true) >>> 2] = value;
  }

  /** The unsigned 32-bit integer at payload `offset` (4-aligned). */
  getU32(obj: Ptr, offset: number): number {
    return this.c.u32[fieldAddress(this.c, obj, offset, 4, 'getU32', false) >>> 2]!;
  }

  /** Stores an unsigned 32-bit integer at payload `offset` (4-aligned). */
  setU32(obj: Ptr, offset: number, value: number): void {
    checkScalar(this.c, obj, offset, value, 'setU32');
    this.c.u32[fieldAddress(this.c, obj, offset, 4, 'setU32', true) >>> 2] = value;
  }

  /** The 64-bit float at payload `offset` (8-aligned). */
  getF64(obj: Ptr, offset: number): number {
    return this.memory.f64[fieldAddress(this.c, obj, offset, 8, 'getF64', false) >>> 3]!;
  }

  /** Stores a 64-bit float at payload `offset` (8-aligned). */
  setF64(obj: Ptr, offset: number, value: number): void {
    checkScalar(this.c, obj, offset, value, 'setF64');
    this.memory.f64[fieldAddress(this.c, obj, offset, 8, 'setF64', true) >>> 3] = value;
  }

  /** A copy of `length` payload bytes from `offset`. */
  readBytes(obj: Ptr, offset: number, length: number): Uint8Array {
    const at = rangeAddress(this.c, obj, offset, length, 'readBytes', false);
    return this.memory.u8.slice(at, at + length);
  }

  /** Copies `bytes` into the payload at `offset` (the range must not cover a reference slot). */
  writeBytes(obj: Ptr, offset: number, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`writeBytes(${String(obj)}): bytes must be a Uint8Array`);
    }
    this.memory.u8.set(bytes, rangeAddress(this.c, obj, offset, bytes.length, 'writeBytes', true));
  }

  // --- weak references ------------------------------------------------------------------------

  /**
   * A new reference to a weakref to `target` (`weakref.ref(target, callback)`). Without a
   * callback, the target's callback-less weakref is shared, as CPython does. The callback is
   * called once, with the weakref, after the target became unreachable, if the weakref is still
   * alive then; callbacks run from the most recently registered to the oldest.
   */
  weakref(target: Ptr, callback?: WeakrefCallback): Ptr {
    return weak.weakref(this.c, target, callback);
  }

  /** The weakref's target as a new reference, or 0 once it is dead or dying (calling a `weakref.ref`). */
  weakrefGet(wr: Ptr): Ptr {
    return weak.weakrefGet(this.c, wr);
  }

  /** How many weakrefs point to `target` (`weakref.getweakrefcount`). */
  getWeakrefCount(target: Ptr): number {
    return weak.getWeakrefCount(this.c, target);
  }

  /** The weakrefs pointing to `target`, as borrowed references (`weakref.getweakrefs`). */
  getWeakrefs(target: Ptr): Ptr[] {
    return weak.getWeakrefs(this.c, target);
  }

  /** True when `obj` is a live weakref object (never throws). */
  isWeakref(obj: Ptr): boolean {
    return weak.isWeakref(this.c, obj);
  }

  // --- introspection --------------------------------------------------------------------------

  /** `obj`'s reference count (`sys.getrefcount` minus its argument's); `IMMORTAL_REFCOUNT` if immortal. */
  getRefcount(obj: Ptr): number {
    return info.getRefcount(this.c, obj);
  }

  /**
   * `obj`'s size as `sys.getsizeof` counts it: GC pre-header, header, payload (not the allocator's
   * rounding); a var object over-allocated by {@link resize} counts the items it has room for.
   */
  getSizeOf(obj: Ptr): number {
    return info.getSizeOf(this.c, obj);
  }

  /**
   * The allocator block `obj` lives in: the object pointer minus the GC pre-header, if any
   * (`_Py_AS_GC`): the pointer an allocator-level tool knows.
   */
  blockOf(obj: Ptr): Ptr {
    return info.blockOf(this.c, obj);
  }

  /** `obj`'s type (`type(obj)`). */
  typeOf(obj: Ptr): ObjectType {
    return info.typeOf(this.c, obj);
  }

  /** `obj`'s type name (`type(obj).__name__`). */
  typeName(obj: Ptr): string {
    return info.typeOf(this.c, obj).name;
  }

  /** The number of items of a variable-length object (`Py_SIZE`); 0 for a fixed-size one. */
  length(obj: Ptr): number {
    return info.length(this.c, obj);
  }

  /** Bytes of `obj`'s payload: the fixed part plus the items. */
  payloadSize(obj: Ptr): number {
    return info.payloadSize(this.c, obj);
  }

  /** True when `ptr` is a live object of this space (never throws). */
  isAlive(ptr: unknown): boolean {
    return isLive(this.c, ptr);
  }

  /** True when `finalize` already ran on `obj` (`gc.is_finalized`). */
  isFinalized(obj: Ptr): boolean {
    return info.isFinalized(this.c, obj);
  }

  /** The number of live objects. Walks the object-state map: O(memory size / 128). */
  liveObjects(): number {
    return info.liveObjects(this.c);
  }

  /** The number of live objects of each type that has any (walks the object-state map). */
  countsByType(): Map<ObjectType, number> {
    return info.countsByType(this.c);
  }

  /** Calls `visit` with every live object, in address order (walks the object-state map). */
  forEachObject(visit: (obj: Ptr) => void): void {
    info.forEachObject(this.c, visit);
  }

  /**
   * Validates every live object: its header, its count (at least the number of references to it
   * from other objects' slots), every reference slot (0 or a live object), the weakref lists.
   * Throws `HeapCorruptionError` naming the first damaged object.
   */
  validate(): void {
    validate(this.c);
  }
}
