/**
 * The object space: CPython's object model over any {@link Allocator}. It allocates objects
 * (header + payload, optionally a GC pre-header: see `header.ts`), counts references, and
 * deallocates an object when its count reaches zero: finalizer (PEP 442), weakrefs and their
 * callbacks, its references dropped, its block freed. Deallocation is iterative (a queue, as
 * CPython's trashcan), so releasing a chain of a million objects never recurses.
 *
 * Every pointer an operation is given is checked against the object-state map before anything
 * is read or written (`object-states.ts`): a pointer that is not a live object is a typed error,
 * never a silent corruption.
 */
import {
  type Allocator,
  ConfigurationError,
  formatPtr,
  HeapCorruptionError,
  type Memory,
  MemoryError,
  type Ptr,
} from '@heapkit/memory';
import {
  FreedObjectError,
  InvalidObjectError,
  InvalidSlotError,
  RefcountError,
  UnknownTypeError,
} from './errors.js';
import { DEFAULT_FREE_LIST_BYTES, FreeLists } from './free-lists.js';
import {
  FINALIZED,
  HAS_WEAKREFS,
  HEADER_BYTES,
  IMMORTAL_REFCOUNT,
  LENGTH_WORD,
  POISON_WORD,
  TYPE_ID_MASK,
  VAR_HEADER_BYTES,
} from './header.js';
import { FREED, LIVE, ObjectStates } from './object-states.js';
import { PtrStack } from './ptr-stack.js';
import {
  MAX_OBJECT_BYTES,
  type ObjectType,
  T_FINALIZE,
  T_GC,
  T_ITEM_REFS,
  T_SLOW_DEALLOC,
  T_TRAVERSE,
  T_VAR,
  T_WEAKREF,
  TypeRegistry,
  type TypeSpec,
  type Visit,
} from './types.js';
import { defaultUnraisableHook, type UnraisableHook } from './unraisable.js';
import { WEAKREF_PAYLOAD_BYTES, type WeakrefCallback, WeakrefTable } from './weakrefs.js';

/** Options of an {@link ObjectSpace}. */
export interface ObjectSpaceOptions {
  /**
   * Adds the checks that cost more (like `PYTHONMALLOC=debug` for objects): the header of every
   * object an operation touches is checked, a freed object's header and payload are poisoned
   * (0xDD) and its type remembered so a later use names it, and `getRef` checks that the slot
   * holds a live object. Default false.
   */
  readonly debug?: boolean;
  /** Receives errors thrown by finalizers and weakref callbacks. Default: {@link defaultUnraisableHook}. */
  readonly onUnraisable?: UnraisableHook;
  /**
   * Bytes of freed object blocks (up to 512 B each) kept for reuse instead of going back to the
   * allocator, as CPython's per-type free lists do; {@link ObjectSpace.clearFreeLists} gives
   * them back. Default 4 MiB (at most 1/8 of the memory's maximum); 0 turns them off. Always 0
   * in debug mode, so that the allocator's own debug checks see every free.
   */
  readonly freeListBytes?: number;
}

/**
 * What a cycle collector plugs into a space (see `@heapkit/gc-generational`). Both are called
 * for objects of `gc: true` types only.
 */
export interface CollectorHooks {
  /** A new object: its GC pre-header is zeroed; link it into the collector's lists. */
  onAlloc(obj: Ptr): void;
  /** The object is about to be freed (its finalizer ran and it was not resurrected): unlink it. */
  onFree(obj: Ptr): void;
}

/**
 * Weakref callbacks cleared but not yet called, with a reference held on each weakref (see
 * {@link ObjectSpace.clearWeakrefsOf}): the collector clears every garbage object's weakrefs
 * first and calls back afterwards, as CPython's `handle_weakref_callbacks` does.
 */
export interface PendingCallbacks {
  readonly refs: Ptr[];
  readonly callbacks: WeakrefCallback[];
}

/** Words from the object pointer to the payload, for a fixed-size and a variable-length type. */
const FIXED_PAYLOAD_WORD = HEADER_BYTES >>> 2;
const VAR_PAYLOAD_OFFSET = HEADER_BYTES + VAR_HEADER_BYTES;

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
export class ObjectSpace {
  /** The allocator every object's block comes from. */
  readonly allocator: Allocator;
  /** The memory objects live in (the allocator's). */
  readonly memory: Memory;
  /** True when the debug checks are on (see {@link ObjectSpaceOptions.debug}). */
  readonly debug: boolean;
  /**
   * Receives the errors thrown by finalizers and weakref callbacks during deallocation, which
   * then goes on (CPython's `sys.unraisablehook`). Assign to replace it.
   */
  onUnraisable: UnraisableHook;
  /** The built-in type of weak references (`weakref.ref`). */
  readonly weakrefType: ObjectType;

  private readonly types = new TypeRegistry();
  // The registry's tables, cached here for the hot paths (re-read after every registerType).
  private typeCount = 0;
  private tFlags!: Uint8Array;
  private tBase!: Int32Array;
  private tPre!: Int32Array;
  private tRefStart!: Int32Array;
  private tRefWords!: Int32Array;
  private tRefBits!: Int32Array;
  private tBlock!: Int32Array;
  private readonly freeLists: FreeLists;
  private readonly states: ObjectStates;
  private readonly weakrefs: WeakrefTable;
  /** Objects whose count reached zero, waiting to be deallocated (the trashcan). */
  private readonly pending = new PtrStack();
  private draining = false;
  private i32: Int32Array;
  private u32: Uint32Array;
  private knownBytes: number;
  private collector: CollectorHooks | undefined;
  /** Debug mode: the type id of each freed object, until an object starts there again. */
  private readonly freedTypes: Map<number, number> | undefined;
  /** Drops one reference an object being deallocated owned (bound once: no closure per call). */
  private readonly dropOwned: Visit = (child) => this.dropChild(child);

  /**
   * @param allocator Where objects' blocks come from: any {@link Allocator} whose blocks are
   *   8-aligned (`ArenaAllocator`, a WASM module's malloc, `@thi.ng/malloc` behind an adapter).
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
    if (options.onUnraisable !== undefined && typeof options.onUnraisable !== 'function') {
      throw new ConfigurationError('ObjectSpace: onUnraisable must be a function');
    }
    this.allocator = allocator;
    this.memory = allocator.memory;
    this.debug = options.debug ?? false;
    this.onUnraisable = options.onUnraisable ?? defaultUnraisableHook;
    this.freedTypes = this.debug ? new Map() : undefined;
    this.states = new ObjectStates(this.memory.byteLength);
    this.i32 = this.memory.i32;
    this.u32 = this.memory.u32;
    this.knownBytes = this.memory.byteLength;
    this.memory.onGrow(() => this.syncViews());
    const freeListBytes =
      options.freeListBytes ?? Math.min(DEFAULT_FREE_LIST_BYTES, Math.floor(this.memory.maxBytes / 8));
    if (!Number.isSafeInteger(freeListBytes) || freeListBytes < 0) {
      throw new ConfigurationError(
        `ObjectSpace: freeListBytes must be a non-negative integer, got ${String(freeListBytes)}`,
      );
    }
    this.freeLists = new FreeLists(allocator, this.debug ? 0 : freeListBytes);
    this.weakrefs = new WeakrefTable(this.memory);
    // Weakrefs carry the GC pre-header, as in CPython: the collector must know when one is garbage.
    this.weakrefType = this.types.register(
      { name: 'weakref', size: WEAKREF_PAYLOAD_BYTES, gc: true },
      T_WEAKREF,
    );
    this.cacheTypeTables();
  }

  // --- types -----------------------------------------------------------------------------------

  /**
   * Registers a type (once; types are never unregistered) and returns it: pass its `id` to
   * {@link alloc}. Throws `TypeSpecError` for a spec that cannot work.
   */
  registerType(spec: TypeSpec): ObjectType {
    const type = this.types.register(spec);
    this.cacheTypeTables();
    return type;
  }

  private cacheTypeTables(): void {
    const types = this.types;
    this.typeCount = types.count;
    this.tFlags = types.flags;
    this.tBase = types.baseBytes;
    this.tPre = types.preBytes;
    this.tRefStart = types.refStart;
    this.tRefWords = types.refWords;
    this.tRefBits = types.refBits;
    this.tBlock = types.blockBytes;
  }

  /** The registered type with this id, or undefined. */
  getType(id: number): ObjectType | undefined {
    return this.types.get(id);
  }

  /** Every registered type, in id order (the built-in `weakref` first). */
  get registeredTypes(): readonly ObjectType[] {
    return this.types.types;
  }

  // --- allocation and reference counts ---------------------------------------------------------

  /**
   * Allocates an object of type `typeId` (with `length` items for a variable-length type) and
   * returns a new reference to it: refcount 1, payload zeroed (`PyObject_New` /
   * `PyObject_NewVar`, or `PyObject_GC_New` for `gc: true` types).
   * Throws `UnknownTypeError`, `InvalidSlotError` (bad length) or `MemoryError` (exhausted).
   *
   * Cost: the allocator's malloc, a few header stores, one store per payload word.
   */
  alloc(typeId: number, length = 0): Ptr {
    if ((typeId | 0) === typeId && typeId >= 1 && typeId < this.typeCount && length === 0) {
      const bytes = this.tBlock[typeId]!; // 0 for a variable-length type
      if (bytes !== 0) {
        const block = this.freeLists.pop(this.u32, bytes);
        if (block !== 0) return this.init(block, typeId, bytes);
      }
    }
    return this.allocSlow(typeId, length);
  }

  private allocSlow(typeId: number, length: number): Ptr {
    if (!(typeId >= 1 && typeId < this.typeCount) || (typeId | 0) !== typeId) {
      throw new UnknownTypeError(typeId, 'alloc');
    }
    const bytes = this.tBlock[typeId]!;
    if (bytes === 0 || length !== 0) return this.allocVar(typeId, length);
    return this.init(this.mallocBlock(typeId, bytes), typeId, bytes);
  }

  /** `alloc` of a variable-length type (or a fixed-size one given a length: an error). */
  private allocVar(typeId: number, length: number): Ptr {
    if ((this.tFlags[typeId]! & T_VAR) === 0)
      throw this.lengthError(typeId, length, 'a fixed-size type takes no length');
    const bytes = (this.varBytes(typeId, this.tBase[typeId]!, length) + 7) & ~7;
    let block = this.freeLists.pop(this.u32, bytes);
    if (block === 0) block = this.mallocBlock(typeId, bytes);
    const obj = this.init(block, typeId, bytes);
    this.i32[(obj >>> 2) + LENGTH_WORD] = length;
    return obj;
  }

  /** Zeroes a new block and makes it a live object with refcount 1. */
  private init(block: number, typeId: number, bytes: number): Ptr {
    const i32 = this.i32;
    const obj = block + this.tPre[typeId]!;
    const h = obj >>> 2;
    i32[h] = 1;
    i32[h + 1] = typeId;
    const end = (block + bytes) >>> 2;
    for (let k = block >>> 2; k < h; k++) i32[k] = 0; // the GC pre-header
    for (let k = h + 2; k < end; k++) i32[k] = 0; // the payload
    this.states.setLive(obj);
    if (this.freedTypes !== undefined) this.freedTypes.delete(obj);
    if ((this.tFlags[typeId]! & T_GC) !== 0 && this.collector !== undefined) this.collector.onAlloc(obj);
    return obj;
  }

  /** Block bytes of a variable-length object of `length` items, after checking `length`. */
  private varBytes(typeId: number, base: number, length: number): number {
    const itemBytes = this.types.itemBytes[typeId]!;
    if (!Number.isSafeInteger(length) || length < 0 || length * itemBytes > MAX_OBJECT_BYTES - base) {
      throw this.lengthError(
        typeId,
        length,
        'length must be a non-negative integer within the object size limit',
      );
    }
    return base + length * itemBytes;
  }

  private lengthError(typeId: number, length: unknown, detail: string): InvalidSlotError {
    return new InvalidSlotError(0, this.types.types[typeId - 1]!.name, length, 'alloc', detail);
  }

  /** A new block from the allocator; on exhaustion, after giving the free lists back, once more. */
  private mallocBlock(typeId: number, bytes: number): number {
    let block = this.allocator.malloc(bytes);
    if (block === 0 && this.freeLists.clear() > 0) block = this.allocator.malloc(bytes);
    if (block === 0)
      throw new MemoryError(bytes, `alloc(${this.types.types[typeId - 1]!.name}): memory exhausted`);
    if ((block & 7) !== 0) {
      this.allocator.free(block);
      throw new ConfigurationError(
        `ObjectSpace: the allocator returned ${formatPtr(block)}, which is not 8-aligned`,
      );
    }
    if (block + bytes > this.knownBytes) this.memory.refresh(); // grown behind our back (a WASM module)
    if (block + bytes > this.knownBytes) {
      throw new ConfigurationError(
        `ObjectSpace: the allocator returned ${formatPtr(block)}, beyond the memory`,
      );
    }
    return block;
  }

  /**
   * Gives the blocks kept in the free lists back to the allocator (CPython clears its free lists
   * on a full collection). Returns the number of blocks given back.
   */
  clearFreeLists(): number {
    return this.freeLists.clear();
  }

  /** Bytes currently kept in the free lists (see {@link ObjectSpaceOptions.freeListBytes}). */
  get freeListBytes(): number {
    return this.freeLists.bytes;
  }

  /** Adds a reference to `obj` (`Py_INCREF`). A no-op on an immortal object. */
  incref(obj: Ptr): void {
    if ((obj >>> 3) * 8 === obj && this.states.get(obj) === LIVE && !this.debug) {
      const h = obj >>> 2;
      const rc = this.i32[h]!;
      if (rc >= 1) {
        if (rc < IMMORTAL_REFCOUNT) this.i32[h] = rc + 1;
        return;
      }
    }
    this.increfFor(obj, 'incref');
  }

  /**
   * Drops a reference to `obj` (`Py_DECREF`). When it was the last one, the object is
   * deallocated before this returns: its finalizer runs (once; it may resurrect the object), its
   * weakrefs are cleared and their callbacks called, the references it owns are dropped, and its
   * block is freed. Whatever that releases in turn is deallocated by the same loop (never by
   * recursion). A no-op on an immortal object.
   *
   * Cost on the fast path: one state-map test, one load and one store.
   */
  decref(obj: Ptr): void {
    if ((obj >>> 3) * 8 === obj && this.states.get(obj) === LIVE && !this.debug) {
      const h = obj >>> 2;
      const rc = this.i32[h]!;
      if (rc > 1) {
        if (rc < IMMORTAL_REFCOUNT) this.i32[h] = rc - 1;
        return;
      }
      if (rc === 1) {
        this.release(obj);
        return;
      }
    }
    this.decrefSlow(obj);
  }

  private decrefSlow(obj: Ptr): void {
    this.typeIdOf(obj, 'decref');
    const h = obj >>> 2;
    const rc = this.i32[h]!;
    if (rc > 1) {
      if (rc < IMMORTAL_REFCOUNT) this.i32[h] = rc - 1;
    } else if (rc === 1) {
      this.release(obj);
    } else {
      throw this.zeroCount(obj, 'decref');
    }
  }

  /** `decref` that accepts 0 and then does nothing (`Py_XDECREF`). */
  xdecref(obj: Ptr): void {
    if (obj !== 0) this.decref(obj);
  }

  /** `incref` that accepts 0 and then does nothing (`Py_XINCREF`). */
  xincref(obj: Ptr): void {
    if (obj !== 0) this.incref(obj);
  }

  /** The count of `obj` reached zero: queue it, and deallocate the queue unless that is under way. */
  private release(obj: Ptr): void {
    const h = obj >>> 2;
    this.i32[h] = 0;
    this.pending.push(obj);
    if (!this.draining) this.drain();
  }

  /** Makes `obj` immortal (PEP 683): its count is never changed again and it is never freed. */
  makeImmortal(obj: Ptr): void {
    this.liveRefcountWord(obj, 'makeImmortal');
    this.i32[obj >>> 2] = IMMORTAL_REFCOUNT;
  }

  /** True when `obj` is immortal (`sys._is_immortal`). */
  isImmortal(obj: Ptr): boolean {
    this.typeIdOf(obj, 'isImmortal');
    return this.i32[obj >>> 2]! >= IMMORTAL_REFCOUNT;
  }

  // --- reference slots -------------------------------------------------------------------------

  /**
   * The object in the reference slot at payload byte `offset`, or 0: a *borrowed* reference
   * (incref it to keep it across a call that can free objects).
   *
   * Cost on the fast path (a slot among the first 32 words of a fixed-size type): one
   * state-map test, a type-table load and the slot's load.
   */
  getRef(obj: Ptr, offset: number): Ptr {
    if ((obj >>> 3) * 8 === obj && this.states.get(obj) === LIVE && !this.debug) {
      const h = obj >>> 2;
      const w = offset >>> 2;
      if (w * 4 === offset && w < 32 && ((this.tRefBits[this.i32[h + 1]! & TYPE_ID_MASK]! >>> w) & 1) !== 0) {
        return this.u32[h + FIXED_PAYLOAD_WORD + w]!;
      }
    }
    return this.getRefSlow(obj, offset);
  }

  private getRefSlow(obj: Ptr, offset: number): Ptr {
    const value = this.u32[this.refSlot(obj, offset, 'getRef')]!;
    if (this.debug && value !== 0 && this.states.get(value) !== LIVE) {
      throw new HeapCorruptionError(
        obj,
        `getRef(${formatPtr(obj)}, ${offset}): the slot holds ${formatPtr(value)}, which is not a live object`,
      );
    }
    return value;
  }

  /**
   * Stores `value` (an object or 0) in the reference slot at payload byte `offset`, in
   * `Py_SETREF`'s safe order: incref the new value, store it, then decref the old one (whose
   * deallocation may run code that reads the slot: it already sees the new value).
   */
  setRef(obj: Ptr, offset: number, value: Ptr): void {
    const at = this.fastRefSlot(obj, offset);
    if (at !== 0 && this.isUsable(value)) {
      if (value !== 0) {
        const rc = this.i32[value >>> 2]!;
        if (rc < IMMORTAL_REFCOUNT) this.i32[value >>> 2] = rc + 1;
      }
      this.store(at, value);
      return;
    }
    this.setRefSlow(obj, offset, value, 'setRef');
  }

  private setRefSlow(obj: Ptr, offset: number, value: Ptr, operation: 'setRef' | 'setRefSteal'): void {
    const slot = this.refSlot(obj, offset, operation);
    if (value !== 0) {
      if (operation === 'setRef') this.increfFor(value, operation);
      else this.liveRefcountWord(value, operation);
    }
    this.store(slot, value);
  }

  /**
   * Stores `value` like {@link setRef} but *steals* the caller's reference to it instead of
   * adding one (as `PyTuple_SET_ITEM` does): the usual way to put a fresh object in a slot.
   */
  setRefSteal(obj: Ptr, offset: number, value: Ptr): void {
    const at = this.fastRefSlot(obj, offset);
    if (at !== 0 && this.isUsable(value)) {
      this.store(at, value);
      return;
    }
    this.setRefSlow(obj, offset, value, 'setRefSteal');
  }

  /** Stores a reference in slot word `at`, then drops the one it held. */
  private store(at: number, value: Ptr): void {
    const old = this.u32[at]!;
    this.u32[at] = value;
    if (old !== 0) this.decref(old);
  }

  /** The word index of a fast-path reference slot (see {@link getRef}), or 0 for the general check. */
  private fastRefSlot(obj: Ptr, offset: number): number {
    if ((obj >>> 3) * 8 !== obj || this.states.get(obj) !== LIVE || this.debug) return 0;
    const h = obj >>> 2;
    const w = offset >>> 2;
    if (w * 4 === offset && w < 32 && ((this.tRefBits[this.i32[h + 1]! & TYPE_ID_MASK]! >>> w) & 1) !== 0) {
      return h + FIXED_PAYLOAD_WORD + w;
    }
    return 0;
  }

  /** True for 0 and for a live object that is not dying (its count is at least 1). */
  private isUsable(value: Ptr): boolean {
    return (
      value === 0 ||
      ((value >>> 3) * 8 === value && this.states.get(value) === LIVE && this.i32[value >>> 2]! >= 1)
    );
  }

  /**
   * Calls `visit` with every object `obj` owns a reference to: its non-zero reference slots,
   * then what its type's `traverse` reports (`tp_traverse`).
   */
  forEachReferent(obj: Ptr, visit: Visit): void {
    const t = this.typeIdOf(obj, 'forEachReferent');
    this.visitOwned(obj, t, visit);
  }

  /**
   * Breaks `obj`'s references (`tp_clear`): its type's `clear`, or by default every reference
   * slot set to 0 and its old value dropped. Used by the cycle collector on garbage.
   */
  clearRefs(obj: Ptr): void {
    const t = this.typeIdOf(obj, 'clearRefs');
    const type = this.types.types[t - 1]!;
    if (type.clear !== undefined) {
      type.clear(obj);
      return;
    }
    const types = this.types;
    const h = obj >>> 2;
    for (let k = types.refStart[t]!; k < types.refStart[t + 1]!; k++) this.clearWord(h + types.refWords[k]!);
    if ((types.flags[t]! & T_ITEM_REFS) !== 0) {
      const itemWords = types.itemBytes[t]! >>> 2;
      const mask = types.itemRefMask[t]!;
      const first = h + (VAR_PAYLOAD_OFFSET + types.fixedBytes[t]!) / 4;
      const length = this.u32[h + LENGTH_WORD]!;
      for (let i = 0; i < length; i++) {
        for (let w = 0; w < itemWords; w++) if (mask[w] === 1) this.clearWord(first + i * itemWords + w);
      }
    }
  }

  // --- scalar fields ---------------------------------------------------------------------------

  /** The unsigned byte at payload `offset`. */
  getU8(obj: Ptr, offset: number): number {
    return this.memory.u8[this.fieldAddress(obj, offset, 1, 'getU8', false)]!;
  }

  /** Stores an unsigned byte at payload `offset` (not inside a reference slot). */
  setU8(obj: Ptr, offset: number, value: number): void {
    this.memory.u8[this.fieldAddress(obj, offset, 1, 'setU8', true)] = value;
  }

  /** The signed 32-bit integer at payload `offset` (4-aligned). */
  getI32(obj: Ptr, offset: number): number {
    return this.i32[this.fieldAddress(obj, offset, 4, 'getI32', false) >>> 2]!;
  }

  /** Stores a signed 32-bit integer at payload `offset` (4-aligned, not a reference slot). */
  setI32(obj: Ptr, offset: number, value: number): void {
    this.i32[this.fieldAddress(obj, offset, 4, 'setI32', true) >>> 2] = value;
  }

  /** The unsigned 32-bit integer at payload `offset` (4-aligned). */
  getU32(obj: Ptr, offset: number): number {
    return this.u32[this.fieldAddress(obj, offset, 4, 'getU32', false) >>> 2]!;
  }

  /** Stores an unsigned 32-bit integer at payload `offset` (4-aligned, not a reference slot). */
  setU32(obj: Ptr, offset: number, value: number): void {
    this.u32[this.fieldAddress(obj, offset, 4, 'setU32', true) >>> 2] = value;
  }

  /** The 64-bit float at payload `offset` (8-aligned). */
  getF64(obj: Ptr, offset: number): number {
    return this.memory.f64[this.fieldAddress(obj, offset, 8, 'getF64', false) >>> 3]!;
  }

  /** Stores a 64-bit float at payload `offset` (8-aligned, not over a reference slot). */
  setF64(obj: Ptr, offset: number, value: number): void {
    this.memory.f64[this.fieldAddress(obj, offset, 8, 'setF64', true) >>> 3] = value;
  }

  /** A copy of `length` payload bytes from `offset`. */
  readBytes(obj: Ptr, offset: number, length: number): Uint8Array {
    const at = this.rangeAddress(obj, offset, length, 'readBytes', false);
    return this.memory.u8.slice(at, at + length);
  }

  /** Copies `bytes` into the payload at `offset` (the range must not cover a reference slot). */
  writeBytes(obj: Ptr, offset: number, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`writeBytes(${formatPtr(obj)}): bytes must be a Uint8Array`);
    }
    const at = this.rangeAddress(obj, offset, bytes.length, 'writeBytes', true);
    this.memory.u8.set(bytes, at);
  }

  // --- weak references -------------------------------------------------------------------------

  /**
   * A new reference to a weakref to `target` (`weakref.ref(target, callback)`). Without a
   * callback, the target's existing callback-less weakref is shared, as CPython does. The
   * callback is called once, with the weakref, after the target became unreachable, if the
   * weakref is still alive then; callbacks run from the most recently registered to the oldest.
   */
  weakref(target: Ptr, callback?: WeakrefCallback): Ptr {
    this.liveRefcountWord(target, 'weakref');
    if (callback !== undefined && typeof callback !== 'function') {
      throw new TypeError(`weakref(${formatPtr(target)}): callback must be a function`);
    }
    if (callback === undefined) {
      const shared = this.weakrefs.basicRef(target);
      if (shared !== 0) {
        this.incref(shared);
        return shared;
      }
    }
    const wr = this.alloc(this.weakrefType.id);
    this.weakrefs.link(target, wr, callback);
    return wr;
  }

  /**
   * The weakref's target as a new reference, or 0 once the target is dead or dying (calling a
   * `weakref.ref`).
   */
  weakrefGet(wr: Ptr): Ptr {
    this.checkWeakref(wr, 'weakrefGet');
    const target = this.weakrefs.target(wr);
    if (target === 0 || this.i32[target >>> 2]! === 0) return 0;
    this.incref(target);
    return target;
  }

  /** How many weakrefs point to `target` (`weakref.getweakrefcount`). */
  getWeakrefCount(target: Ptr): number {
    this.typeIdOf(target, 'getWeakrefCount');
    return this.weakrefs.count(target);
  }

  /** The weakrefs pointing to `target`, as borrowed references (`weakref.getweakrefs`). */
  getWeakrefs(target: Ptr): Ptr[] {
    this.typeIdOf(target, 'getWeakrefs');
    return this.weakrefs.list(target);
  }

  /** True when `obj` is a weakref object. */
  isWeakref(obj: Ptr): boolean {
    return (
      this.isAlive(obj) && (this.types.flags[this.i32[(obj >>> 2) + 1]! & TYPE_ID_MASK]! & T_WEAKREF) !== 0
    );
  }

  // --- introspection ---------------------------------------------------------------------------

  /**
   * `obj`'s reference count (`sys.getrefcount`, without the extra reference Python's call
   * argument adds). `IMMORTAL_REFCOUNT` for an immortal object.
   */
  getRefcount(obj: Ptr): number {
    this.typeIdOf(obj, 'getRefcount');
    return this.i32[obj >>> 2]!;
  }

  /**
   * `obj`'s size in bytes, as `sys.getsizeof` counts it: the GC pre-header, the header and the
   * payload with its items (not the allocator's rounding: see `allocator.usableSize`).
   */
  getSizeOf(obj: Ptr): number {
    const t = this.typeIdOf(obj, 'getSizeOf');
    return this.types.preBytes[t]! + this.payloadOffset(t) + this.payloadBytes(obj, t);
  }

  /**
   * The allocator block `obj` lives in: the object pointer minus the GC pre-header, if any.
   * That is the pointer an allocator-level tool knows (e.g. the profiler's
   * `getObjectTraceback(space.blockOf(obj))`).
   */
  blockOf(obj: Ptr): Ptr {
    return obj - this.tPre[this.typeIdOf(obj, 'blockOf')]!;
  }

  /** `obj`'s type. */
  typeOf(obj: Ptr): ObjectType {
    return this.types.types[this.typeIdOf(obj, 'typeOf') - 1]!;
  }

  /** `obj`'s type name (`type(obj).__name__`). */
  typeName(obj: Ptr): string {
    return this.typeOf(obj).name;
  }

  /** The number of items of a variable-length object (`Py_SIZE`); 0 for a fixed-size one. */
  length(obj: Ptr): number {
    const t = this.typeIdOf(obj, 'length');
    return (this.types.flags[t]! & T_VAR) !== 0 ? this.u32[(obj >>> 2) + LENGTH_WORD]! : 0;
  }

  /** Bytes of `obj`'s payload: the fixed part plus the items. */
  payloadSize(obj: Ptr): number {
    return this.payloadBytes(obj, this.typeIdOf(obj, 'payloadSize'));
  }

  /** True when `ptr` is a live object of this space (never throws). */
  isAlive(ptr: unknown): boolean {
    return typeof ptr === 'number' && (ptr >>> 3) * 8 === ptr && this.states.get(ptr) === LIVE;
  }

  /** True when `finalize` already ran on `obj` (`gc.is_finalized`). */
  isFinalized(obj: Ptr): boolean {
    this.typeIdOf(obj, 'isFinalized');
    return (this.i32[(obj >>> 2) + 1]! & FINALIZED) !== 0;
  }

  /** The number of live objects. Walks the object-state map: O(memory size / 128). */
  get liveObjects(): number {
    let n = 0;
    this.states.forEachLive(() => n++);
    return n;
  }

  /** The number of live objects of each type that has any (walks the object-state map). */
  countsByType(): Map<ObjectType, number> {
    const counts = new Int32Array(this.types.count);
    this.states.forEachLive((obj) => counts[this.i32[(obj >>> 2) + 1]! & TYPE_ID_MASK]!++);
    const out = new Map<ObjectType, number>();
    for (const type of this.types.types) if (counts[type.id]! > 0) out.set(type, counts[type.id]!);
    return out;
  }

  /** Calls `visit` with every live object, in address order. */
  forEachObject(visit: (obj: Ptr) => void): void {
    this.states.forEachLive(visit);
  }

  // --- the collector's interface ---------------------------------------------------------------

  /**
   * Plugs a cycle collector in: it is told about every object of a `gc: true` type that is
   * allocated or freed from now on. One collector per space.
   */
  attachCollector(hooks: CollectorHooks): void {
    if (this.collector !== undefined)
      throw new ConfigurationError('ObjectSpace: a collector is already attached');
    this.collector = hooks;
  }

  /**
   * Calls `obj`'s finalizer if its type has one and it has not run yet, and marks the object
   * finalized (`PyObject_CallFinalizer`): the cycle collector's step for garbage with finalizers.
   * The caller must own a reference to `obj` across the call. An error is reported through
   * {@link onUnraisable}. Returns true when the finalizer ran.
   */
  callFinalizer(obj: Ptr): boolean {
    const t = this.liveRefcountWord(obj, 'callFinalizer');
    const h = obj >>> 2;
    if ((this.tFlags[t]! & T_FINALIZE) === 0 || (this.i32[h + 1]! & FINALIZED) !== 0) return false;
    this.i32[h + 1]! |= FINALIZED;
    const type = this.types.types[t - 1]!;
    try {
      type.finalize!(obj);
    } catch (error) {
      this.report(error, `finalizer of ${type.name}`, obj);
    }
    return true;
  }

  /**
   * Clears every weakref to `target` now (their target becomes 0) and calls the callbacks of
   * those for which `shouldCall(weakref)` is true, newest first, each once (CPython's
   * `handle_weakrefs`: the collector calls back only weakrefs that are not garbage themselves).
   * Without `shouldCall`, every live weakref's callback runs, as at deallocation. With
   * `callbacksOnly`, the weakrefs without a callback stay (the collector clears them after the
   * finalizers ran, so that a finalizer still sees them).
   */
  clearWeakrefsOf(
    target: Ptr,
    shouldCall?: (weakref: Ptr) => boolean,
    callbacksOnly = false,
    deferTo?: PendingCallbacks,
  ): void {
    this.typeIdOf(target, 'clearWeakrefsOf');
    if ((this.i32[(target >>> 2) + 1]! & HAS_WEAKREFS) !== 0) {
      this.clearWeakrefs(target, shouldCall, callbacksOnly, deferTo);
    }
  }

  /**
   * Runs callbacks collected by {@link clearWeakrefsOf} with `deferTo`, in order, each once;
   * errors go to {@link onUnraisable}. Drops the reference held on each weakref, and empties
   * `pending`.
   */
  runWeakrefCallbacks(pending: PendingCallbacks): void {
    const { refs, callbacks } = pending;
    for (let k = 0; k < refs.length; k++) {
      try {
        callbacks[k]!(refs[k]!);
      } catch (error) {
        this.report(error, 'weakref callback', refs[k]!);
      }
      this.decref(refs[k]!);
    }
    refs.length = 0;
    callbacks.length = 0;
  }

  /**
   * Clears the weakref `wr` without calling its callback, which will never run: its target
   * becomes 0 (`_PyWeakref_ClearRef` on a weakref that is garbage itself).
   */
  clearWeakref(wr: Ptr): void {
    this.checkWeakref(wr, 'clearWeakref');
    this.weakrefs.detach(wr);
  }

  /**
   * Validates every live object: its header, its count (at least the number of references to it
   * from other objects' slots), every reference slot (0 or a live object), weakref lists and the
   * per-type counts. Throws `HeapCorruptionError` naming the first damaged object.
   */
  validate(): void {
    const incoming = new Map<number, number>();
    this.states.forEachLive((obj) => {
      const word = this.i32[(obj >>> 2) + 1]!;
      const t = word & TYPE_ID_MASK;
      if (t < 1 || t >= this.types.count) {
        throw new HeapCorruptionError(obj, `the header's type id ${t} is not a registered type`);
      }
      const rc = this.i32[obj >>> 2]!;
      if (rc < 1 && !(rc === 0 && this.draining)) {
        throw new HeapCorruptionError(obj, `${this.types.types[t - 1]!.name} has refcount ${rc}`);
      }
      if (((word & HAS_WEAKREFS) !== 0) !== this.weakrefs.hasList(obj)) {
        throw new HeapCorruptionError(obj, 'the HAS_WEAKREFS bit disagrees with the weakref table');
      }
      this.visitOwned(obj, t, (child) => {
        if (this.states.get(child) !== LIVE || (child >>> 3) * 8 !== child) {
          throw new HeapCorruptionError(
            obj,
            `a reference slot holds ${formatPtr(child)}, which is not a live object`,
          );
        }
        incoming.set(child, (incoming.get(child) ?? 0) + 1);
      });
      if ((this.types.flags[t]! & T_WEAKREF) !== 0) {
        const target = this.weakrefs.target(obj);
        if (target !== 0 && (this.states.get(target) !== LIVE || !this.weakrefs.list(target).includes(obj))) {
          throw new HeapCorruptionError(
            obj,
            `the weakref's target ${formatPtr(target)} is not live or does not list it`,
          );
        }
      }
    });
    for (const [obj, n] of incoming) {
      const rc = this.i32[obj >>> 2]!;
      if (rc < IMMORTAL_REFCOUNT && rc < n) {
        throw new HeapCorruptionError(
          obj,
          `refcount ${rc} is below the ${n} references held by other objects`,
        );
      }
    }
  }

  // --- deallocation ----------------------------------------------------------------------------

  /**
   * Deallocates queued objects until the queue is empty; only one loop runs at a time (an object
   * released by a finalizer or callback it calls is queued and taken by this loop).
   *
   * The fast path (no finalizer, weakrefs, items or traverse; a collector is told of a GC
   * object's end through its hook) is inline, over
   * local copies of the views and tables that are read again after anything that can run user
   * code or grow the memory. Cost per object: its type word, one load per reference slot (and
   * for each child a state-map test and its count), one state-map store, and a free-list push.
   */
  private drain(): void {
    this.draining = true;
    try {
      const pending = this.pending;
      const tFlags = this.tFlags;
      const refStart = this.tRefStart;
      const refWords = this.tRefWords;
      const tPre = this.tPre;
      const tBlock = this.tBlock;
      const freeLists = this.freeLists;
      let i32 = this.i32;
      let u32 = this.u32;
      let states = this.states.bits;
      while (pending.length > 0) {
        const obj = pending.pop();
        const h = obj >>> 2;
        const word = i32[h + 1]!;
        const t = word & TYPE_ID_MASK;
        if ((tFlags[t]! & T_SLOW_DEALLOC) !== 0 || (word & HAS_WEAKREFS) !== 0) {
          this.deallocateSlow(obj, t);
        } else {
          if ((tFlags[t]! & T_GC) !== 0 && this.collector !== undefined) this.collector.onFree(obj);
          // The first two slots unrolled (most objects have at most two), then the rest.
          const first = refStart[t]!;
          const count = refStart[t + 1]! - first;
          if (count > 0) {
            this.dropOwnedRef(u32[h + refWords[first]!]!, i32, states);
            if (count > 1) {
              this.dropOwnedRef(u32[h + refWords[first + 1]!]!, i32, states);
              for (let k = 2; k < count; k++) this.dropOwnedRef(u32[h + refWords[first + k]!]!, i32, states);
            }
          }
          const w = obj >>> 7;
          const shift = (obj >>> 2) & 30;
          states[w] = (states[w]! & ~(3 << shift)) | (FREED << shift);
          const bytes = tBlock[t]!;
          if (bytes !== 0 && this.freedTypes === undefined && freeLists.push(u32, obj - tPre[t]!, bytes))
            continue;
          this.freeBlock(obj, t);
        }
        // Something ran that may have grown the memory: take the views again.
        i32 = this.i32;
        u32 = this.u32;
        states = this.states.bits;
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * The drain loop's inline drop of one reference a dying object owned (0: none): decrement, or
   * queue the child when it was the last reference. Anything odd goes to {@link dropChild}.
   */
  private dropOwnedRef(child: Ptr, i32: Int32Array, states: Int32Array): void {
    if (child === 0) return;
    const c = child >>> 2;
    const rc = i32[c]!;
    if (((states[child >>> 7]! >>> ((child >>> 2) & 30)) & 3) !== LIVE || (child & 7) !== 0 || rc < 1) {
      this.dropChild(child); // reports the damage
    } else if (rc > 1) {
      if (rc < IMMORTAL_REFCOUNT) i32[c] = rc - 1;
    } else {
      i32[c] = 0;
      this.pending.push(child);
    }
  }

  /** Drops a reference that a dying object owned: queues the child when it was the last one. */
  private dropChild(child: Ptr): void {
    if (this.states.get(child) !== LIVE || (child >>> 3) * 8 !== child) {
      this.report(
        new HeapCorruptionError(child, 'a dying object referenced this address, which is not a live object'),
        'deallocation',
        child,
      );
      return;
    }
    const c = child >>> 2;
    const rc = this.i32[c]!;
    if (rc > 1) {
      if (rc < IMMORTAL_REFCOUNT) this.i32[c] = rc - 1;
    } else if (rc === 1) {
      this.i32[c] = 0;
      this.pending.push(child);
    } else {
      this.report(this.zeroCount(child, 'decref'), 'deallocation', child);
    }
  }

  /**
   * The full deallocation, in CPython's order (`subtype_dealloc`): finalizer (once; resurrection
   * ends here), weakrefs cleared and their callbacks called, a dying weakref unlinked, the
   * collector told, the references dropped, the block freed.
   */
  private deallocateSlow(obj: Ptr, t: number): void {
    const h = obj >>> 2;
    const flags = this.types.flags[t]!;
    if ((flags & T_FINALIZE) !== 0 && (this.i32[h + 1]! & FINALIZED) === 0) {
      // As PyObject_CallFinalizerFromDealloc: revive with a temporary reference for the call.
      this.i32[h] = 1;
      this.i32[h + 1]! |= FINALIZED;
      const type = this.types.types[t - 1]!;
      try {
        type.finalize!(obj);
      } catch (error) {
        this.report(error, `finalizer of ${type.name}`, obj);
      }
      const rc = this.i32[h]! - 1; // the views may have been replaced: read them again
      if (rc > 0) {
        this.i32[h] = rc; // resurrected: the finalizer stored a new reference somewhere
        return;
      }
      if (rc < 0) {
        // The finalizer dropped the temporary reference it did not own; that decref queued the
        // object again, and the queued entry will deallocate it (FINALIZED is set).
        this.i32[h] = 0;
        this.report(
          this.zeroCount(obj, 'decref', 'the finalizer dropped a reference it did not own'),
          `finalizer of ${type.name}`,
          obj,
        );
        return;
      }
      this.i32[h] = 0;
    }
    if ((this.i32[h + 1]! & HAS_WEAKREFS) !== 0) this.clearWeakrefs(obj);
    if ((flags & T_WEAKREF) !== 0) this.weakrefs.detach(obj);
    if ((flags & T_GC) !== 0 && this.collector !== undefined) this.collector.onFree(obj);
    if (this.i32[h]! !== 0) {
      // Nothing a callback is given can revive the object; a raw pointer kept by a bug could.
      this.report(
        this.zeroCount(obj, 'deallocation', 'a weakref callback revived a dying object'),
        'weakref callback',
        obj,
      );
      return;
    }
    try {
      this.visitOwned(obj, t, this.dropOwned);
    } catch (error) {
      this.report(error, `traverse of ${this.types.types[t - 1]!.name}`, obj);
    }
    this.free(obj, t);
  }

  /** Clears `target`'s weakrefs and calls their callbacks, newest first (`PyObject_ClearWeakRefs`). */
  private clearWeakrefs(
    target: Ptr,
    shouldCall?: (weakref: Ptr) => boolean,
    callbacksOnly = false,
    deferTo?: PendingCallbacks,
  ): void {
    const refs: Ptr[] = [];
    const callbacks: WeakrefCallback[] = [];
    this.weakrefs.clear(target, refs, callbacks, callbacksOnly);
    if (shouldCall !== undefined) {
      for (let k = refs.length - 1; k >= 0; k--) {
        if (!shouldCall(refs[k]!)) {
          refs.splice(k, 1);
          callbacks.splice(k, 1);
        }
      }
    }
    // Keep each weakref alive across its callback (the callback may drop the last reference).
    for (const wr of refs) this.incref(wr);
    if (deferTo !== undefined) {
      deferTo.refs.push(...refs);
      deferTo.callbacks.push(...callbacks);
      return;
    }
    this.runWeakrefCallbacks({ refs, callbacks });
  }

  private free(obj: Ptr, t: number): void {
    this.states.setFreed(obj);
    this.freeBlock(obj, t);
  }

  /** Gives a dead object's block to the free lists or the allocator (poisoned first in debug mode). */
  private freeBlock(obj: Ptr, t: number): void {
    const pre = this.tPre[t]!;
    const bytes = (pre + this.payloadOffset(t) + this.payloadBytes(obj, t) + 7) & ~7;
    if (this.freedTypes !== undefined) {
      this.freedTypes.set(obj, t);
      const start = (obj - pre) >>> 2;
      this.i32.fill(POISON_WORD, start, start + (bytes >>> 2));
    }
    if (!this.freeLists.push(this.u32, obj - pre, bytes)) this.allocator.free(obj - pre);
  }

  private visitOwned(obj: Ptr, t: number, visit: Visit): void {
    const types = this.types;
    const h = obj >>> 2;
    for (let k = types.refStart[t]!; k < types.refStart[t + 1]!; k++) {
      const child = this.u32[h + types.refWords[k]!]!;
      if (child !== 0) visit(child);
    }
    const flags = types.flags[t]!;
    if ((flags & T_ITEM_REFS) !== 0) {
      const itemWords = types.itemBytes[t]! >>> 2;
      const mask = types.itemRefMask[t]!;
      const first = h + (VAR_PAYLOAD_OFFSET + types.fixedBytes[t]!) / 4;
      const length = this.u32[h + LENGTH_WORD]!;
      for (let i = 0; i < length; i++) {
        for (let w = 0; w < itemWords; w++) {
          if (mask[w] !== 1) continue;
          const child = this.u32[first + i * itemWords + w]!;
          if (child !== 0) visit(child);
        }
      }
    }
    if ((flags & T_TRAVERSE) !== 0) types.types[t - 1]!.traverse!(obj, visit);
  }

  private clearWord(word: number): void {
    const old = this.u32[word]!;
    if (old === 0) return;
    this.u32[word] = 0;
    this.decref(old);
  }

  private report(error: unknown, message: string, object: Ptr): void {
    try {
      this.onUnraisable({ error, message, object });
    } catch (hookError) {
      defaultUnraisableHook({ error: hookError, message: 'onUnraisable hook', object });
      defaultUnraisableHook({ error, message, object });
    }
  }

  // --- checks ----------------------------------------------------------------------------------

  /** Checks that `obj` is a live object; returns its type id. */
  private typeIdOf(obj: Ptr, operation: string): number {
    if ((obj >>> 3) * 8 !== obj || this.states.get(obj) !== LIVE) throw this.invalidObject(obj, operation);
    if (this.debug) this.checkHeader(obj, operation);
    return this.i32[(obj >>> 2) + 1]! & TYPE_ID_MASK;
  }

  /** Checks that `obj` is live with a count of at least 1 (not dying); returns its type id. */
  private liveRefcountWord(obj: Ptr, operation: string): number {
    const t = this.typeIdOf(obj, operation);
    if (this.i32[obj >>> 2]! < 1) throw this.zeroCount(obj, operation);
    return t;
  }

  private increfFor(obj: Ptr, operation: string): void {
    this.liveRefcountWord(obj, operation);
    const h = obj >>> 2;
    const rc = this.i32[h]!;
    if (rc < IMMORTAL_REFCOUNT) this.i32[h] = rc + 1;
  }

  private checkWeakref(wr: Ptr, operation: string): void {
    const t = this.typeIdOf(wr, operation);
    if ((this.types.flags[t]! & T_WEAKREF) === 0) {
      throw new InvalidSlotError(wr, this.types.types[t - 1]!.name, '-', operation, 'not a weakref');
    }
  }

  /** Debug mode: the header of a live object must name a registered type and not be poisoned. */
  private checkHeader(obj: Ptr, operation: string): void {
    const rc = this.i32[obj >>> 2]!;
    const t = this.i32[(obj >>> 2) + 1]! & TYPE_ID_MASK;
    if (t < 1 || t >= this.types.count || rc === POISON_WORD) {
      throw new HeapCorruptionError(
        obj,
        `${operation}: the object's header is damaged (type id ${t}, refcount ${rc})`,
      );
    }
  }

  private payloadOffset(t: number): number {
    return (this.tFlags[t]! & T_VAR) !== 0 ? VAR_PAYLOAD_OFFSET : FIXED_PAYLOAD_WORD * 4;
  }

  private payloadBytes(obj: Ptr, t: number): number {
    const types = this.types;
    const fixed = types.fixedBytes[t]!;
    return (this.tFlags[t]! & T_VAR) !== 0
      ? fixed + this.u32[(obj >>> 2) + LENGTH_WORD]! * types.itemBytes[t]!
      : fixed;
  }

  /** True when the 32-bit payload word at byte `offset` (4-aligned) is a reference slot. */
  private isRefWord(t: number, offset: number): boolean {
    const types = this.types;
    const fixed = types.fixedBytes[t]!;
    if (offset < fixed) return types.fixedRefMask[t]![offset >>> 2] === 1;
    if ((types.flags[t]! & T_ITEM_REFS) === 0) return false;
    return types.itemRefMask[t]![((offset - fixed) % types.itemBytes[t]!) >>> 2] === 1;
  }

  /** The word index of the reference slot at payload `offset`, after checking it is one. */
  private refSlot(obj: Ptr, offset: number, operation: string): number {
    const t = this.typeIdOf(obj, operation);
    if (!Number.isInteger(offset) || offset < 0 || offset + 4 > this.payloadBytes(obj, t)) {
      throw this.slotError(
        obj,
        t,
        offset,
        operation,
        `offset outside the ${this.payloadBytes(obj, t)}-byte payload`,
      );
    }
    if (offset % 4 !== 0 || !this.isRefWord(t, offset)) {
      throw this.slotError(obj, t, offset, operation, 'not a reference slot of the type');
    }
    return (obj + this.payloadOffset(t) + offset) >>> 2;
  }

  /** The byte address of a `width`-byte field at payload `offset`, after checking it fits. */
  private fieldAddress(obj: Ptr, offset: number, width: number, operation: string, write: boolean): number {
    const t = this.typeIdOf(obj, operation);
    if (!Number.isInteger(offset) || offset < 0 || offset + width > this.payloadBytes(obj, t)) {
      throw this.slotError(
        obj,
        t,
        offset,
        operation,
        `offset outside the ${this.payloadBytes(obj, t)}-byte payload`,
      );
    }
    if (offset % width !== 0)
      throw this.slotError(obj, t, offset, operation, `not aligned to ${width} bytes`);
    if (write) this.checkNoRefs(obj, t, offset, width, operation);
    return obj + this.payloadOffset(t) + offset;
  }

  private rangeAddress(obj: Ptr, offset: number, length: number, operation: string, write: boolean): number {
    const t = this.typeIdOf(obj, operation);
    if (!Number.isInteger(length) || length < 0) {
      throw this.slotError(
        obj,
        t,
        offset,
        operation,
        `length must be a non-negative integer, got ${String(length)}`,
      );
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + length > this.payloadBytes(obj, t)) {
      throw this.slotError(
        obj,
        t,
        offset,
        operation,
        `${length} bytes do not fit in the ${this.payloadBytes(obj, t)}-byte payload`,
      );
    }
    if (write) this.checkNoRefs(obj, t, offset, length, operation);
    return obj + this.payloadOffset(t) + offset;
  }

  private checkNoRefs(obj: Ptr, t: number, offset: number, length: number, operation: string): void {
    for (let word = offset & ~3; word < offset + length; word += 4) {
      if (this.isRefWord(t, word)) {
        throw this.slotError(
          obj,
          t,
          offset,
          operation,
          `would overwrite the reference slot at ${word} (use setRef)`,
        );
      }
    }
  }

  private slotError(
    obj: Ptr,
    t: number,
    offset: unknown,
    operation: string,
    detail: string,
  ): InvalidSlotError {
    return new InvalidSlotError(obj, this.types.types[t - 1]!.name, offset, operation, detail);
  }

  private invalidObject(obj: unknown, operation: string): InvalidObjectError {
    if (typeof obj !== 'number' || !Number.isInteger(obj) || obj < 0 || obj >= 2 ** 32) {
      return new InvalidObjectError(obj, 'not a pointer (an integer from 0 to 2^32-1)', operation);
    }
    if (obj === 0) return new InvalidObjectError(obj, 'NULL', operation);
    if (obj % 8 !== 0) return new InvalidObjectError(obj, 'objects are 8-aligned', operation);
    if (obj >= this.memory.byteLength)
      return new InvalidObjectError(obj, 'beyond the end of the memory', operation);
    if (this.states.get(obj) === FREED) {
      const t = this.freedTypes?.get(obj);
      return new FreedObjectError(
        obj,
        operation,
        t === undefined ? undefined : this.types.types[t - 1]!.name,
      );
    }
    return new InvalidObjectError(obj, 'no object starts here', operation);
  }

  private zeroCount(obj: Ptr, operation: string, detail?: string): RefcountError {
    const t = this.i32[(obj >>> 2) + 1]! & TYPE_ID_MASK;
    const name = this.types.get(t)?.name ?? `type ${t}`;
    return new RefcountError(
      obj,
      name,
      operation,
      detail ??
        'the reference count is already 0: the object is being deallocated (a reference was dropped twice)',
    );
  }

  private syncViews(): void {
    this.i32 = this.memory.i32;
    this.u32 = this.memory.u32;
    this.knownBytes = this.memory.byteLength;
    this.states.resize(this.memory.byteLength);
  }
}
