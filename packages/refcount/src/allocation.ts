/**
 * Allocation (`PyObject_New`, `PyObject_NewVar`, `PyObject_GC_New`): a block from the free lists
 * or the allocator, made a live object with refcount 1 and a zeroed payload.
 *
 * The fast path ({@link alloc} of a fixed-size type whose block size has a cached block) is a
 * free-list pop and {@link initFixed}: two header stores, one store per payload word, one
 * state-map store. A just-allocated object is known live: nothing here tests it again.
 */
import { ConfigurationError, formatPtr, MemoryError, type Ptr } from '@heapkit/memory';
import type { SpaceCore } from './core.js';
import * as header from './header.js';
import * as objectStates from './object-states.js';
import { checkTypeId, lengthError, nameOf } from './raise.js';
import * as typeDefs from './types.js';

// Module-local copies of imported constants: V8 folds a module's own constants into optimized
// code, but loads an imported binding (and checks it for the TDZ hole) at every use.
const { GC_NEXT_WORD, GC_PREV_WORD, GC_REFS_WORD, GC_RESERVED_WORD } = header;
const { LENGTH_WORD, PAYLOAD_WORD, REFCOUNT_WORD, TYPE_WORD } = header;
const { LIVE } = objectStates;
const { MAX_OBJECT_BYTES, T_GC, T_VAR } = typeDefs;

/**
 * A new object of type `typeId` (`length` items for a variable-length type): a new reference.
 * Throws `UnknownTypeError`, `InvalidLengthError` or `MemoryError`.
 *
 * The fast path (a fixed-size type whose block size has a cached block) is written out flat, so
 * that it is one small function a caller's loop can inline: the id's check, a free-list pop,
 * two header stores, one store per payload word (two per loop turn: payloads are a multiple of
 * 8 bytes), one state-map store. A GC type adds its pre-header's 4 stores and `onAlloc`.
 */
export function alloc(c: SpaceCore, typeId: number, length: number): Ptr {
  if (typeof typeId === 'number' && length === 0) {
    // The id's check and the block size in one load: the row of an id that is no registered
    // type (0, beyond the registered ones) holds 0, a variable-length type's too, and an index
    // that is not an integer within the table reads undefined; all go the slow way.
    const bytes = c.tBlock[typeId]!;
    if (bytes > 0) {
      const i32 = c.i32;
      const block = c.freeLists.pop(i32, bytes);
      if (block !== 0) {
        const pre = c.tPre[typeId]!;
        const obj = block + pre;
        const h = obj >>> 2;
        i32[h + REFCOUNT_WORD] = 1;
        i32[h + TYPE_WORD] = typeId;
        const end = (block + bytes) >>> 2;
        for (let k = h + PAYLOAD_WORD; k < end; k += 2) {
          i32[k] = 0;
          i32[k + 1] = 0;
        }
        setLive(c.stateBytes, obj);
        if (pre !== 0) initExtras(c, block, obj, typeId); // a cached block: never debug mode
        return obj;
      }
    }
  }
  return allocSlow(c, typeId, length);
}

function allocSlow(c: SpaceCore, typeId: unknown, length: unknown): Ptr {
  const t = checkTypeId(c, typeId, 'alloc');
  const bytes = c.tBlock[t]!;
  if (bytes === 0 || length !== 0) return allocVar(c, t, length);
  return initFixed(c, mallocBlock(c, t, bytes), t, bytes);
}

/**
 * Makes `block` (`bytes`, a multiple of 8) a live fixed-size object of type `t` with refcount 1
 * and a zeroed payload, as {@link alloc}'s fast path does, for a block the allocator gave.
 */
function initFixed(c: SpaceCore, block: number, t: number, bytes: number): Ptr {
  const i32 = c.i32;
  const obj = block + c.tPre[t]!;
  const h = obj >>> 2;
  i32.fill(0, h + PAYLOAD_WORD, (block + bytes) >>> 2);
  i32[h + REFCOUNT_WORD] = 1;
  i32[h + TYPE_WORD] = t;
  setLive(c.stateBytes, obj);
  if (obj !== block || c.debug) initExtras(c, block, obj, t);
  return obj;
}

/** A variable-length object (or a fixed-size type given a length: an error). */
function allocVar(c: SpaceCore, t: number, length: unknown): Ptr {
  if ((c.tFlags[t]! & T_VAR) === 0) {
    throw lengthError(c, t, length, 'alloc', 'a fixed-size type takes no length (omit it or pass 0)');
  }
  const base = c.types.baseBytes[t]!;
  const itemBytes = c.types.itemBytes[t]!;
  if (
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < 0 ||
    length * itemBytes > MAX_OBJECT_BYTES - base
  ) {
    throw lengthError(
      c,
      t,
      length,
      'alloc',
      'length must be a non-negative integer within the object size limit',
    );
  }
  const bytes = (base + length * itemBytes + 7) & ~7;
  let block = c.freeLists.pop(c.i32, bytes);
  if (block === 0) block = mallocBlock(c, t, bytes);
  const i32 = c.i32;
  const obj = block + c.tPre[t]!;
  const h = obj >>> 2;
  i32.fill(0, block >>> 2, (block + bytes) >>> 2);
  i32[h + REFCOUNT_WORD] = 1;
  i32[h + TYPE_WORD] = t;
  i32[h + LENGTH_WORD] = length;
  setLive(c.stateBytes, obj);
  if (c.tPre[t] !== 0 || c.debug) initExtras(c, block, obj, t);
  return obj;
}

/** The state map says a live object starts at `obj` (whatever it said before). */
export function setLive(states: Uint8Array, obj: number): void {
  states[obj >>> 3] = LIVE;
}

/**
 * The rarer parts of a new object: its GC pre-header, the collector's hook, debug bookkeeping.
 * The pre-header's four words are four stores: `fill` is a call into the runtime that cost more
 * than the rest of a GC object's allocation (a quarter of binary-trees with GC-tracked nodes).
 */
function initExtras(c: SpaceCore, block: number, obj: Ptr, t: number): void {
  if (block !== obj) {
    const i32 = c.i32;
    const b = block >>> 2;
    i32[b + GC_NEXT_WORD] = 0;
    i32[b + GC_PREV_WORD] = 0;
    i32[b + GC_REFS_WORD] = 0;
    i32[b + GC_RESERVED_WORD] = 0;
  }
  if (c.freedTypes !== undefined) c.freedTypes.delete(obj);
  if ((c.tFlags[t]! & T_GC) !== 0 && c.collector !== undefined) c.collector.onAlloc(obj);
}

/** A new block from the allocator; on exhaustion, after giving the free lists back, once more. */
function mallocBlock(c: SpaceCore, t: number, bytes: number): number {
  const allocator = c.allocator;
  let block = allocator.malloc(bytes);
  if (block === 0 && c.freeLists.clear() > 0) block = allocator.malloc(bytes);
  if (block === 0) throw new MemoryError(bytes, `alloc(${nameOf(c, t)}): memory exhausted`);
  if ((block & 7) !== 0) {
    allocator.free(block);
    throw new ConfigurationError(
      `ObjectSpace: the allocator returned ${formatPtr(block)}, which is not 8-aligned`,
    );
  }
  if (block + bytes > c.knownBytes) c.memory.refresh(); // grown behind our back (a WASM module)
  if (block + bytes > c.knownBytes) {
    throw new ConfigurationError(
      `ObjectSpace: the allocator returned ${formatPtr(block)}, beyond the memory`,
    );
  }
  return block;
}
