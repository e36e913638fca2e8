/**
 * The shared core of an object space: its state (views, type tables, the object-state map, the
 * free lists, the deallocation stack) and the rules every other file uses, each written once:
 *
 * - {@link isLive}: the one liveness test of a pointer (the object-state map, `object-states.ts`);
 * - {@link checkedTypeId} / {@link checkedLiveTypeId}: that test, or the typed error;
 * - {@link increment} / {@link decrement}: the one refcount increment and decrement (capped at
 *   `IMMORTAL_REFCOUNT`, which never changes).
 *
 * The other files are plain functions over a {@link SpaceCore}: `allocation.ts`,
 * `refcounts.ts`, `fields.ts`, `referents.ts`, `deallocation.ts`, `weakref-api.ts`,
 * `introspection.ts`, `validation.ts`; `raise.ts` builds the errors. `object-space.ts` is the
 * public front, `collector.ts` the cycle collector's port.
 */
import type { Allocator, Memory, Ptr } from '@heapkit/memory';
import { FreeLists } from './free-lists.js';
import * as header from './header.js';
import * as objectStates from './object-states.js';
import { checkHeader, invalidObject, zeroCount } from './raise.js';
import * as typeDefs from './types.js';
import { defaultUnraisableHook, type UnraisableHook } from './unraisable.js';
import { WEAKREF_PAYLOAD_BYTES, WeakrefTable } from './weakrefs.js';

// Module-local copies of imported constants: V8 folds a module's own constants into optimized
// code, but loads an imported binding (and checks it for the TDZ hole) at every use.
const { CAPACITY_WORD, IMMORTAL_REFCOUNT, LENGTH_WORD, PAYLOAD_WORD, REFCOUNT_WORD, TYPE_ID_MASK } = header;
const { TYPE_WORD, VAR_PAYLOAD_WORD } = header;
const { LIVE } = objectStates;
const { T_VAR, T_WEAKREF } = typeDefs;

/** What a cycle collector plugs into a space (see `collector.ts`). */
export interface CollectorHooks {
  /** A new object of a `gc: true` type: its GC pre-header is zeroed; link it into the collector's lists. */
  onAlloc(obj: Ptr): void;
  /** The object is about to be freed (its finalizer ran and it was not resurrected): unlink it. */
  onFree(obj: Ptr): void;
}

/** Initial entries of the deallocation stack (it doubles when full). */
const STACK_ENTRIES = 1024;

export class SpaceCore {
  // Fields set in the constructor are `declare`d: a class field is first defined as undefined,
  // and a field that held undefined and then a typed array makes V8 check the map of what it
  // loads from it at every use.
  declare readonly allocator: Allocator;
  declare readonly memory: Memory;
  declare readonly debug: boolean;
  declare onUnraisable: UnraisableHook;
  readonly types = new typeDefs.TypeRegistry();
  declare readonly weakrefType: number;
  // The registry's tables, cached for the hot paths (re-read after every registerType).
  typeCount = 0;
  declare tFlags: Uint8Array;
  declare tPre: Int32Array;
  declare tRefStart: Int32Array;
  declare tRefWords: Int32Array;
  declare tRefBits: Int32Array;
  declare tValueBits: Int32Array;
  declare tBlock: Int32Array;
  /** The registry's `rows` (what deallocation reads of a type, one row per type). */
  declare tRows: Int32Array;
  declare readonly freeLists: FreeLists;
  declare readonly states: objectStates.ObjectStates;
  /** `states.bytes`, re-read when the map grows. */
  declare stateBytes: Uint8Array;
  declare readonly weakrefs: WeakrefTable;
  /** Objects whose count reached zero, waiting to be deallocated (the trashcan): `stack[0 .. top)`. */
  stack: Uint32Array = new Uint32Array(STACK_ENTRIES);
  top = 0;
  /** True while `drain` runs: a release then only queues. */
  draining = false;
  declare i32: Int32Array;
  declare u32: Uint32Array;
  /** The memory's size when the views were taken. */
  declare knownBytes: number;
  collector: CollectorHooks | undefined = undefined;
  /** Debug mode: the type id of each freed object, until an object starts there again. */
  declare readonly freedTypes: Map<number, number> | undefined;

  constructor(
    allocator: Allocator,
    debug: boolean,
    onUnraisable: UnraisableHook | undefined,
    freeListBytes: number,
  ) {
    this.allocator = allocator;
    this.memory = allocator.memory;
    this.debug = debug;
    this.onUnraisable = onUnraisable ?? defaultUnraisableHook;
    this.freedTypes = debug ? new Map() : undefined;
    this.states = new objectStates.ObjectStates(this.memory.byteLength);
    this.stateBytes = this.states.bytes;
    this.i32 = this.memory.i32;
    this.u32 = this.memory.u32;
    this.knownBytes = this.memory.byteLength;
    this.freeLists = new FreeLists(allocator, debug ? 0 : freeListBytes);
    this.weakrefs = new WeakrefTable(this.memory);
    // Weakrefs carry the GC pre-header, as in CPython: the collector must know when one is garbage.
    this.weakrefType = this.types.register(
      { name: 'weakref', size: WEAKREF_PAYLOAD_BYTES, gc: true },
      T_WEAKREF,
    ).id;
    cacheTypeTables(this);
  }
}

/** Re-reads the type registry's tables after a registration (they may have been replaced). */
export function cacheTypeTables(c: SpaceCore): void {
  const types = c.types;
  c.typeCount = types.count;
  c.tFlags = types.flags;
  c.tPre = types.preBytes;
  c.tRefStart = types.refStart;
  c.tRefWords = types.refWords;
  c.tRefBits = types.refBits;
  c.tValueBits = types.valueBits;
  c.tBlock = types.blockBytes;
  c.tRows = types.rows;
}

/** Takes the views again after the memory grew, and makes the state map cover it. */
export function syncViews(c: SpaceCore): void {
  c.i32 = c.memory.i32;
  c.u32 = c.memory.u32;
  c.knownBytes = c.memory.byteLength;
  c.states.resize(c.memory.byteLength);
  c.stateBytes = c.states.bytes;
}

/**
 * THE liveness test: `obj` is a number, 8-aligned, and a live object starts there. Never
 * throws (a BigInt or a string is simply not live). Cost: a type test, a shift-and-compare, one
 * state-map byte load.
 */
export function isLive(c: SpaceCore, obj: unknown): obj is number {
  return typeof obj === 'number' && (obj >>> 3) * 8 === obj && c.stateBytes[obj >>> 3] === LIVE;
}

/** Checks that `obj` is a live object (else the typed error); returns its type id. */
export function checkedTypeId(c: SpaceCore, obj: unknown, operation: string): number {
  if (!isLive(c, obj)) throw invalidObject(c, obj, operation);
  if (c.debug) checkHeader(c, obj, operation);
  return c.i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK;
}

/** Checks that `obj` is live with a count of at least 1 (not dying); returns its type id. */
export function checkedLiveTypeId(c: SpaceCore, obj: unknown, operation: string): number {
  const t = checkedTypeId(c, obj, operation);
  if (c.i32[((obj as number) >>> 2) + REFCOUNT_WORD]! < 1) throw zeroCount(c, obj as number, operation);
  return t;
}

/** THE refcount increment of a live object: +1, unless immortal (which never changes). */
export function increment(i32: Int32Array, obj: Ptr): void {
  const h = (obj >>> 2) + REFCOUNT_WORD;
  const rc = i32[h]!;
  if (rc < IMMORTAL_REFCOUNT) i32[h] = rc + 1;
}

/**
 * THE refcount decrement of a live object whose count is at least 1: -1 (an immortal count
 * never changes). Returns true when that was the last reference: the count is now 0 and the
 * caller queues the object for deallocation.
 */
export function decrement(i32: Int32Array, obj: Ptr): boolean {
  const h = (obj >>> 2) + REFCOUNT_WORD;
  const rc = i32[h]!;
  if (rc > 1) {
    if (rc < IMMORTAL_REFCOUNT) i32[h] = rc - 1;
    return false;
  }
  i32[h] = 0;
  return true;
}

/** Word offset from the object pointer to the payload of a type-`t` object. */
export function payloadWord(c: SpaceCore, t: number): number {
  return (c.tFlags[t]! & T_VAR) !== 0 ? VAR_PAYLOAD_WORD : PAYLOAD_WORD;
}

/** Bytes of the payload of `obj` (of type `t`): the fixed part plus the items. */
export function payloadBytes(c: SpaceCore, obj: Ptr, t: number): number {
  const types = c.types;
  const fixed = types.fixedBytes[t]!;
  return (c.tFlags[t]! & T_VAR) !== 0
    ? fixed + c.u32[(obj >>> 2) + LENGTH_WORD]! * types.itemBytes[t]!
    : fixed;
}

/**
 * Bytes of the block of `obj` (of type `t`): pre-header, header and payload (for a var object,
 * room for its capacity if `resize` over-allocated it), rounded up to 8.
 */
export function blockBytes(c: SpaceCore, obj: Ptr, t: number): number {
  if ((c.tFlags[t]! & T_VAR) === 0) return c.tBlock[t]!;
  const h = obj >>> 2;
  const items = Math.max(c.u32[h + LENGTH_WORD]!, c.u32[h + CAPACITY_WORD]!);
  return varBlockBytes(c, t, items);
}

/** Bytes of the block of a type-`t` var object with room for `items` items. */
export function varBlockBytes(c: SpaceCore, t: number, items: number): number {
  return (c.types.baseBytes[t]! + items * c.types.itemBytes[t]! + 7) & ~7;
}

/** Passes an error that has no caller to go to (finalizers, callbacks) to the hook. */
export function report(c: SpaceCore, error: unknown, message: string, object: Ptr): void {
  try {
    c.onUnraisable({ error, message, object });
  } catch (hookError) {
    defaultUnraisableHook({ error: hookError, message: 'onUnraisable hook', object });
    defaultUnraisableHook({ error, message, object });
  }
}

const cores = new WeakMap<object, SpaceCore>();

/** Links a front object (an `ObjectSpace`) to its core, for the collector's port. */
export function registerCore(space: object, core: SpaceCore): void {
  cores.set(space, core);
}

/** The core of a space made by this package, or undefined. */
export function coreOf(space: unknown): SpaceCore | undefined {
  return typeof space === 'object' && space !== null ? cores.get(space) : undefined;
}
