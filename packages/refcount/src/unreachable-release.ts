/**
 * Freeing what a cycle collector proved unreachable, without the reference counting: the
 * collector's bulk path for its garbage (`@heapkit/refcount/collector`'s `freeUnreachable`).
 *
 * CPython frees cyclic garbage by calling each object's `tp_clear`, which drops its references,
 * so that counts reach zero and the usual deallocation runs object by object. When every
 * garbage object is of a type whose deallocation runs no code (no finalizer, weakref, `traverse`
 * or items) and has no weakrefs, the collector can do the same work more cheaply: it drops the
 * references from the garbage to objects outside it itself, then hands each garbage object here,
 * and the references *between* garbage objects are never counted down. The result is the one
 * the deallocator would reach: the same blocks freed, the same references dropped.
 */
import type { Ptr } from '@heapkit/memory';
import { checkedTypeId, report, type SpaceCore } from './core.js';
import { freeBlock, setFreed } from './deallocation.js';
import { HAS_WEAKREFS, TYPE_ID_MASK, TYPE_WORD } from './header.js';
import { T_SLOW_DEALLOC } from './types.js';

/**
 * Frees `obj` whatever its count, without dropping the references it holds and without telling
 * the collector (which unlinks it itself): the caller has already dropped those that matter.
 * Returns false, doing nothing, when `obj`'s deallocation would run code (a finalizer, weakrefs,
 * a weakref itself, `traverse` or items): the caller must then take the usual path. Throws
 * `InvalidObjectError` when `obj` is not a live object.
 */
export function freeUnreachable(c: SpaceCore, obj: Ptr): boolean {
  const t = checkedTypeId(c, obj, 'freeUnreachable');
  if ((c.tFlags[t]! & T_SLOW_DEALLOC) !== 0 || (c.i32[(obj >>> 2) + TYPE_WORD]! & HAS_WEAKREFS) !== 0)
    return false;
  setFreed(c.stateBytes, obj);
  freeBlock(c, obj, t);
  return true;
}

/**
 * {@link freeUnreachable} for `count` objects at once, `objs[0..count)`, with the same checks:
 * all of them are checked first, and none is freed when one fails. Returns false when one's
 * deallocation would run code; throws `InvalidObjectError` when one is not a live object. Then
 * the blocks go back to the allocator in one `freeMany` call when it offers one (less work per
 * block: see `@heapkit/arena-allocator`'s), else one by one as `freeUnreachable` does. The
 * entries of `objs` are overwritten (with the objects' blocks).
 */
export function freeUnreachableMany(c: SpaceCore, objs: Uint32Array, count: number): boolean {
  const { tFlags, i32 } = c;
  for (let k = 0; k < count; k++) {
    const obj = objs[k]!;
    const t = checkedTypeId(c, obj, 'freeUnreachableMany');
    if ((tFlags[t]! & T_SLOW_DEALLOC) !== 0 || (i32[(obj >>> 2) + TYPE_WORD]! & HAS_WEAKREFS) !== 0)
      return false;
  }
  const allocator = c.allocator;
  if (allocator.freeMany === undefined || c.freedTypes !== undefined) {
    // No batch to hand over (or debug mode, which poisons each block): block by block.
    for (let k = 0; k < count; k++) {
      const obj = objs[k]!;
      setFreed(c.stateBytes, obj);
      freeBlock(c, obj, i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK);
    }
    return true;
  }
  const { stateBytes, tPre } = c;
  for (let k = 0; k < count; k++) {
    const obj = objs[k]!;
    setFreed(stateBytes, obj);
    objs[k] = obj - tPre[i32[(obj >>> 2) + TYPE_WORD]! & TYPE_ID_MASK]!;
  }
  try {
    allocator.freeMany(objs, count);
  } catch (error) {
    // The allocator refused a block (it has freed the others): damage, reported as `free`'s is.
    report(c, error, 'allocator.freeMany', 0);
  }
  return true;
}
