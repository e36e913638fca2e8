/**
 * `resize(obj, length)`: a variable-length object's items grow or shrink in place when its
 * block has room, and the object moves to a new block (`allocator.realloc`: the contents are
 * copied) when it must. The item slots' references are counted per slot, not per address, so a
 * move changes no count; the caller re-reads the pointer `resize` returns.
 *
 * Over-allocation follows CPython's `list_resize` (Objects/listobject.c, 3.12): while the new
 * length lies between half the capacity and the capacity, only the length word changes;
 * otherwise the new capacity is `length + length / 8 + 6`, rounded down to a multiple of 4 (or
 * just `length` rounded up to 4 when a single growth is larger than that margin, and 0 for 0),
 * which makes a run of appends cost amortised O(1) copies. The capacity is kept in the var
 * header's second word (`CAPACITY_WORD`, 0 meaning "exactly the length").
 *
 * Only the sole reference may resize (as CPython's `_PyTuple_Resize`): a move would leave any
 * other holder with the old address. A GC object is untracked before the block changes and
 * tracked again after (the collector's `onFree` then `onAlloc`, as `_PyTuple_Resize` does with
 * `_PyObject_GC_UNTRACK`/`_TRACK`): it starts again in the young generation.
 */
import { MemoryError, type Ptr } from '@heapkit/memory';
import { setLive } from './allocation.js';
import { checkedLiveTypeId, type SpaceCore, varBlockBytes } from './core.js';
import { setFreed } from './deallocation.js';
import { ResizeError } from './errors.js';
import {
  CAPACITY_WORD,
  GC_HEAD_WORDS,
  HAS_WEAKREFS,
  IMMORTAL_REFCOUNT,
  LENGTH_WORD,
  REFCOUNT_WORD,
  TYPE_WORD,
  VAR_PAYLOAD_WORD,
} from './header.js';
import { lengthError, nameOf } from './raise.js';
import { releaseItems } from './referents.js';
import { MAX_OBJECT_BYTES, T_GC, T_VAR } from './types.js';

/**
 * Resizes `obj` (the caller's only reference) to `length` items: new items are zeroed, items
 * beyond a shrink are released first. Returns the object's pointer, new if it moved (the old
 * one is then a freed object). Throws `InvalidLengthError`, `ResizeError` or `MemoryError`
 * (then nothing changed).
 */
export function resize(c: SpaceCore, obj: Ptr, length: number): Ptr {
  const t = checkedLiveTypeId(c, obj, 'resize');
  checkResizable(c, obj, t, length);
  const h = obj >>> 2;
  const old = c.u32[h + LENGTH_WORD]!;
  if (length < old) {
    releaseItems(c, obj, t, length, old); // may run finalizers: the views are read again below
    c.u32[h + LENGTH_WORD] = length; // the released items are gone even if the block stays
  }
  const capacity = Math.max(old, c.u32[h + CAPACITY_WORD]!);
  const kept = Math.min(old, length);
  // A finalizer run by the release may have stored a new reference (or a weakref): then stay.
  const mayMove = c.i32[h + REFCOUNT_WORD] === 1 && (c.i32[h + TYPE_WORD]! & HAS_WEAKREFS) === 0;
  if ((length <= capacity && length >= capacity >>> 1) || (length <= capacity && !mayMove)) {
    setLength(c, obj, t, kept, length, capacity);
    return obj;
  }
  return moveTo(c, obj, t, kept, length, capacity, overallocate(length, old));
}

/** CPython's `list_resize` growth pattern: the capacity for `length` items after `old`. */
export function overallocate(length: number, old: number): number {
  if (length === 0) return 0;
  let capacity = (length + (length >>> 3) + 6) & ~3;
  if (length - old > capacity - length) capacity = (length + 3) & ~3;
  return capacity;
}

function checkResizable(c: SpaceCore, obj: Ptr, t: number, length: unknown): void {
  if ((c.tFlags[t]! & T_VAR) === 0) {
    throw lengthError(c, t, length, 'resize', 'a fixed-size type has no items to resize');
  }
  const base = c.types.baseBytes[t]!;
  if (
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < 0 ||
    length * c.types.itemBytes[t]! > MAX_OBJECT_BYTES - base
  ) {
    throw lengthError(
      c,
      t,
      length,
      'resize',
      'length must be a non-negative integer within the object size limit',
    );
  }
  const rc = c.i32[(obj >>> 2) + REFCOUNT_WORD]!;
  if (rc >= IMMORTAL_REFCOUNT) throw new ResizeError(obj, nameOf(c, t), 'an immortal object never moves');
  if (rc !== 1) {
    throw new ResizeError(
      obj,
      nameOf(c, t),
      `the object has ${rc} references; resize needs the only one (it may move the object, which would leave the others pointing at the old address)`,
    );
  }
  if ((c.i32[(obj >>> 2) + TYPE_WORD]! & HAS_WEAKREFS) !== 0) {
    throw new ResizeError(obj, nameOf(c, t), 'weakrefs point to the object, and it may move');
  }
}

/** Sets the length and capacity words, zeroing the items from `kept` to `length`. */
function setLength(c: SpaceCore, obj: Ptr, t: number, kept: number, length: number, capacity: number): void {
  const h = obj >>> 2;
  const itemWords = c.types.itemBytes[t]!;
  const first = obj + VAR_PAYLOAD_WORD * 4 + c.types.fixedBytes[t]!;
  if (length > kept) c.memory.u8.fill(0, first + kept * itemWords, first + length * itemWords);
  c.u32[h + LENGTH_WORD] = length;
  c.u32[h + CAPACITY_WORD] = capacity === length ? 0 : capacity;
}

/**
 * Gives `obj` (room for `oldCapacity` items) a block with room for `capacity` items
 * (`allocator.realloc`), then its new length.
 */
function moveTo(
  c: SpaceCore,
  obj: Ptr,
  t: number,
  kept: number,
  length: number,
  oldCapacity: number,
  capacity: number,
): Ptr {
  const pre = c.tPre[t]!;
  const bytes = varBlockBytes(c, t, capacity);
  const tracked = (c.tFlags[t]! & T_GC) !== 0 && c.collector !== undefined;
  if (tracked) c.collector!.onFree(obj); // untrack: the collector's links point at the block
  let block = c.allocator.realloc(obj - pre, bytes);
  if (block === 0 && c.freeLists.clear() > 0) block = c.allocator.realloc(obj - pre, bytes);
  if (block === 0) {
    if (tracked) track(c, obj - pre, obj);
    if (length > kept) throw new MemoryError(bytes, `resize(${nameOf(c, t)}): memory exhausted`);
    // A shrink whose smaller block cannot be had keeps its block: the capacity says so.
    setLength(c, obj, t, kept, length, oldCapacity);
    return obj;
  }
  if (block + bytes > c.knownBytes) c.memory.refresh();
  const moved = block + pre;
  if (moved !== obj) {
    setFreed(c.stateBytes, obj);
    setLive(c.stateBytes, moved);
    if (c.freedTypes !== undefined) {
      c.freedTypes.set(obj, t);
      c.freedTypes.delete(moved);
    }
  }
  setLength(c, moved, t, kept, length, capacity);
  if (tracked) track(c, block, moved);
  return moved;
}

/** Zeroes the GC pre-header at `block` and tells the collector of the object (`onAlloc`). */
function track(c: SpaceCore, block: number, obj: Ptr): void {
  c.i32.fill(0, block >>> 2, (block >>> 2) + GC_HEAD_WORDS);
  c.collector!.onAlloc(obj);
}
