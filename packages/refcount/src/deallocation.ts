/**
 * Deallocation: what happens when a count reaches zero, iteratively (CPython's trashcan). A
 * dying object is pushed on the space's deallocation stack (a typed array); one loop,
 * {@link drain}, takes objects off it until it is empty, and the children it releases are
 * pushed on the same stack, so a chain of a million objects never recurses.
 *
 * Objects with nothing special (no finalizer, weakrefs, items or `traverse`) take the inline
 * fast path of {@link drain}; the others {@link deallocateSlow}, in CPython's order
 * (`subtype_dealloc`): finalizer (once; resurrection ends here), weakrefs cleared and their
 * callbacks called, a dying weakref unlinked, the collector told, references dropped, block freed.
 */
import { HeapCorruptionError, type Ptr } from '@heapkit/memory';
import { blockBytes, decrement, isLive, report, type SpaceCore } from './core.js';
import * as freeListDefs from './free-lists.js';
import * as header from './header.js';
import * as objectStates from './object-states.js';
import { zeroCount } from './raise.js';
import { visitOwned } from './referents.js';
import type { Visit } from './types.js';
import * as typeDefs from './types.js';
import { clearWeakrefs } from './weakref-api.js';

// Module-local copies of imported constants: V8 folds a module's own constants into optimized
// code, but loads an imported binding (and checks it for the TDZ hole) at every use.
const { FINALIZED, HAS_WEAKREFS, POISON_WORD, REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } = header;
const { FREED, LIVE } = objectStates;
const { SIZE_CLASSES } = freeListDefs;
const { T_FINALIZE, T_GC, T_SLOW_DEALLOC, T_WEAKREF } = typeDefs;
const { ROW_BLOCK, ROW_FLAGS, ROW_PRE, ROW_REF_END, ROW_REF_START, ROW_SHIFT } = typeDefs;

/**
 * The count of `obj` just reached zero: push it, and run the deallocation loop unless one is
 * already running (it will take it).
 */
export function release(c: SpaceCore, obj: Ptr): void {
  push(c, obj);
  if (!c.draining) drain(c);
}

function push(c: SpaceCore, obj: Ptr): void {
  if (c.top === c.stack.length) growStack(c);
  c.stack[c.top++] = obj;
}

/** Doubles the deallocation stack; returns the new one. */
function growStack(c: SpaceCore): Uint32Array {
  const stack = new Uint32Array(c.stack.length * 2);
  stack.set(c.stack);
  c.stack = stack;
  return stack;
}

/**
 * Deallocates stacked objects until the stack is empty. No `try` here: what can throw (user
 * code, a foreign allocator's `free`) is caught where it is called and reported.
 *
 * The fast path runs over locals: the stack, its top and capacity, the `i32` view, the state
 * map, the type rows. They are taken again after {@link deallocateSlow}, a report or a foreign
 * `free`, which may run user code (that can allocate, grow the memory or register types). Cost
 * per object: its type word (read once), its type's row (one table), one load per slot and for
 * each child the liveness test (one state-map byte) and its count, one state-map byte store,
 * and a free-list push written out over locals (a head load and store, the link store).
 */
export function drain(c: SpaceCore): void {
  c.draining = true;
  drainLoop(c);
  c.top = 0;
  c.draining = false;
}

/**
 * The loop of {@link drain}, in a function of its own: V8 compiles a long loop on stack (OSR)
 * before the code after it ever ran, and code after such a loop that lacks type feedback deopts
 * at every exit ("Insufficient type feedback"). The one store after the loop (the free lists'
 * byte count) does deopt this way, at the end of every long drain (334 times in a depth-16
 * binary-trees run), and V8 enters its OSR code again on the next drain. That is measured to be
 * the cheaper choice: with the store moved to the caller the deopts stop, but the regular
 * compile of this loop then ran binary-trees at depth 14 in 23% more instructions (cachegrind,
 * 2,671M against 3,287M; why its code is worse than the OSR code is not established).
 */
function drainLoop(c: SpaceCore): void {
  // The count's decrement (`decrement`) through a local: an imported function called from the
  // loop of a function V8 compiles on its own is loaded through the module's import cell at every
  // call (four dependent loads and a compare); a local is loaded once.
  const decrementCount = decrement;
  let stack = c.stack;
  // The capacity in a local: a typed array's length is checked to be an int32 at every read.
  let room = stack.length;
  let top = c.top;
  let i32 = c.i32;
  let states = c.stateBytes;
  let rows = c.tRows;
  let refWords = c.tRefWords;
  // The free lists' push, written out (`FreeLists.inlineLimit`): their heads, cap and byte count
  // in locals; the count is written back before anything that can run code, and at the end.
  const freeLists = c.freeLists;
  const heads = freeLists.heads;
  const limit = c.freedTypes === undefined ? freeLists.inlineLimit : 0; // debug mode poisons instead
  let held = freeLists.bytes;
  while (top > 0) {
    const obj = stack[--top]!;
    const h = obj >>> 2;
    const word = i32[h + TYPE_WORD]!; // read once: the id and the weakref flag
    const t = word & TYPE_ID_MASK;
    const row = t << ROW_SHIFT;
    const flags = rows[row + ROW_FLAGS]!;
    let ranCode = false;
    if ((flags & T_SLOW_DEALLOC) !== 0 || (word & HAS_WEAKREFS) !== 0) {
      c.top = top;
      freeLists.bytes = held;
      deallocateSlow(c, obj, t);
      ranCode = true;
    } else {
      if ((flags & T_GC) !== 0 && c.collector !== undefined) c.collector.onFree(obj);
      const end = rows[row + ROW_REF_END]!;
      for (let k = rows[row + ROW_REF_START]!; k < end; k++) {
        // A slot as a signed word: the state map's index and the count's word are the same.
        const child = i32[h + refWords[k]!]!;
        if (child === 0 || (child & 1) !== 0) continue; // empty, or a value slot's immediate
        // The liveness test (`isLive`) of a word read from the memory: aligned, marked live.
        if ((child & 7) === 0 && states[child >>> 3] === LIVE && i32[(child >>> 2) + REFCOUNT_WORD]! >= 1) {
          if (decrementCount(i32, child)) {
            if (top === room) {
              c.top = top;
              stack = growStack(c);
              room = stack.length;
            }
            stack[top++] = child;
          }
        } else {
          c.top = top;
          freeLists.bytes = held;
          reportBadChild(c, child >>> 0); // runs the hook: take what it may have changed
          ranCode = true;
          stack = c.stack;
          room = stack.length;
          top = c.top;
          i32 = c.i32;
          states = c.stateBytes;
        }
      }
      states[obj >>> 3] = FREED;
      const bytes = rows[row + ROW_BLOCK]!; // 0 for a var object: its size is in its header
      const k = bytes >>> 3;
      if (bytes !== 0 && k < SIZE_CLASSES && held + bytes <= limit) {
        const block = obj - rows[row + ROW_PRE]!;
        i32[block >>> 2] = heads[k]!;
        heads[k] = block;
        held += bytes;
      } else {
        c.top = top;
        freeLists.bytes = held;
        freeBlock(c, obj, t);
        ranCode = true; // a foreign allocator's free (or its report) may have run code
      }
    }
    if (ranCode) {
      stack = c.stack;
      room = stack.length;
      top = c.top;
      i32 = c.i32;
      states = c.stateBytes;
      rows = c.tRows;
      refWords = c.tRefWords;
      held = freeLists.bytes;
    }
  }
  freeLists.bytes = held;
}

/** The state map says the object at `obj` was freed. */
export function setFreed(states: Uint8Array, obj: number): void {
  states[obj >>> 3] = FREED;
}

/** A dying object referenced `child`, which is not a live object with a count: damage, reported. */
function reportBadChild(c: SpaceCore, child: Ptr): void {
  const error = isLive(c, child)
    ? zeroCount(c, child, 'decref')
    : new HeapCorruptionError(child, 'a dying object referenced this address, which is not a live object');
  report(c, error, 'deallocation', child);
}

/** Drops one reference a dying object owned (the slow path's visit): push the child at zero. */
function dropChild(c: SpaceCore, child: Ptr): void {
  if (!isLive(c, child) || c.i32[(child >>> 2) + REFCOUNT_WORD]! < 1) reportBadChild(c, child);
  else if (decrement(c.i32, child)) push(c, child);
}

const dropVisits = new WeakMap<SpaceCore, Visit>();

/** The visit that drops a dying object's references, made once per space. */
function dropVisit(c: SpaceCore): Visit {
  let visit = dropVisits.get(c);
  if (visit === undefined) {
    visit = (child) => dropChild(c, child);
    dropVisits.set(c, visit);
  }
  return visit;
}

/**
 * THE finalizer runner (`PyObject_CallFinalizer`): marks `obj` (type `t`, finalizer not run
 * yet) finalized and calls its type's `finalize`; an error goes to `onUnraisable`. The caller
 * holds a reference to `obj` across the call.
 */
export function runFinalizer(c: SpaceCore, obj: Ptr, t: number): void {
  c.i32[(obj >>> 2) + TYPE_WORD]! |= FINALIZED;
  const type = c.types.types[t - 1]!;
  try {
    type.finalize!(obj);
  } catch (error) {
    report(c, error, `finalizer of ${type.name}`, obj);
  }
}

/** The full deallocation of `obj` (type `t`), in CPython's order: see the file's comment. */
function deallocateSlow(c: SpaceCore, obj: Ptr, t: number): void {
  const rcWord = (obj >>> 2) + REFCOUNT_WORD;
  const flags = c.tFlags[t]!;
  if ((flags & T_FINALIZE) !== 0 && (c.i32[(obj >>> 2) + TYPE_WORD]! & FINALIZED) === 0) {
    // As PyObject_CallFinalizerFromDealloc: revive with a temporary reference for the call.
    c.i32[rcWord] = 1;
    runFinalizer(c, obj, t);
    const rc = c.i32[rcWord]! - 1; // the views may have been replaced: read them again
    if (rc > 0) {
      c.i32[rcWord] = rc; // resurrected: the finalizer stored a new reference somewhere
      return;
    }
    c.i32[rcWord] = 0;
    if (rc < 0) {
      // The finalizer dropped the temporary reference it did not own; that decref pushed the
      // object again, and that entry will deallocate it (FINALIZED is set).
      const detail = 'the finalizer dropped a reference it did not own';
      report(c, zeroCount(c, obj, 'decref', detail), `finalizer of ${c.types.types[t - 1]!.name}`, obj);
      return;
    }
  }
  if ((c.i32[(obj >>> 2) + TYPE_WORD]! & HAS_WEAKREFS) !== 0)
    clearWeakrefs(c, obj, undefined, false, undefined);
  if ((flags & T_WEAKREF) !== 0) c.weakrefs.detach(obj);
  if ((flags & T_GC) !== 0 && c.collector !== undefined) c.collector.onFree(obj);
  if (c.i32[rcWord]! !== 0) {
    // Nothing a callback is given can revive the object; a raw pointer kept by a bug could.
    const error = zeroCount(c, obj, 'deallocation', 'a weakref callback revived a dying object');
    report(c, error, 'weakref callback', obj);
    return;
  }
  try {
    visitOwned(c, obj, t, dropVisit(c));
  } catch (error) {
    report(c, error, `traverse of ${c.types.types[t - 1]!.name}`, obj);
  }
  setFreed(c.stateBytes, obj);
  freeBlock(c, obj, t);
}

/**
 * Gives a dead object's block to the free lists or the allocator (in debug mode: poisoned, its
 * type remembered, and always to the allocator). An allocator whose `free` throws is reported.
 */
export function freeBlock(c: SpaceCore, obj: Ptr, t: number): void {
  const block = obj - c.tPre[t]!;
  const bytes = blockBytes(c, obj, t);
  if (c.freedTypes !== undefined) {
    c.freedTypes.set(obj, t);
    c.i32.fill(POISON_WORD, block >>> 2, (block + bytes) >>> 2);
  }
  if (c.freeLists.push(c.i32, block, bytes)) return;
  try {
    c.allocator.free(block);
  } catch (error) {
    report(c, error, 'allocator.free', block);
  }
}
