/**
 * An object's references (`tp_traverse`, `tp_clear`): its declared reference and value slots
 * (the fixed part's, then each item's), then what its type's `traverse` reports. {@link eachSlot}
 * is the one loop over the slots; it either visits each slot holding a pointer or clears it (a
 * value slot's tagged immediate, low bit 1, is no reference: skipped, and left as it is).
 */
import { ConfigurationError, formatPtr, type Ptr } from '@heapkit/memory';
import { checkedTypeId, type SpaceCore } from './core.js';
import { LENGTH_WORD, VAR_PAYLOAD_WORD } from './header.js';
import { decref } from './refcounts.js';
import { T_ITEM_REFS, T_TRAVERSE, type Visit } from './types.js';

/** What {@link eachSlot} does with each reference slot. */
const VISIT = 0;
const CLEAR = 1;

/**
 * The one loop over the reference and value slots of `obj` (type `t`): with `VISIT`, calls
 * `visit` with each slot's object; with `CLEAR`, sets each slot holding a pointer to 0 and drops its
 * reference (the views are read again per slot: a decref can run code that grows the memory).
 */
function eachSlot(c: SpaceCore, obj: Ptr, t: number, action: number, visit: Visit | undefined): void {
  const types = c.types;
  const h = obj >>> 2;
  const end = types.refStart[t + 1]!;
  for (let k = types.refStart[t]!; k < end; k++) slot(c, h + types.refWords[k]!, action, visit);
  if ((types.flags[t]! & T_ITEM_REFS) !== 0)
    eachItemSlot(c, obj, t, 0, c.u32[h + LENGTH_WORD]!, action, visit);
}

/** The slots of items `from .. to` of `obj` (type `t`, whose items hold slots): as {@link eachSlot}. */
function eachItemSlot(
  c: SpaceCore,
  obj: Ptr,
  t: number,
  from: number,
  to: number,
  action: number,
  visit: Visit | undefined,
): void {
  const types = c.types;
  const itemWords = types.itemBytes[t]! >>> 2;
  const mask = types.itemRefMask[t]!;
  const first = (obj >>> 2) + VAR_PAYLOAD_WORD + (types.fixedBytes[t]! >>> 2);
  for (let i = from; i < to; i++) {
    for (let w = 0; w < itemWords; w++) if (mask[w] !== 0) slot(c, first + i * itemWords + w, action, visit);
  }
}

/** Empties the reference and value slots of items `from .. to` of `obj` and drops what they held. */
export function releaseItems(c: SpaceCore, obj: Ptr, t: number, from: number, to: number): void {
  if ((c.tFlags[t]! & T_ITEM_REFS) !== 0) eachItemSlot(c, obj, t, from, to, CLEAR, undefined);
}

/** One slot: 0 and a value slot's immediate (low bit 1) are skipped, a pointer visited or cleared. */
function slot(c: SpaceCore, word: number, action: number, visit: Visit | undefined): void {
  const child = c.u32[word]!;
  if (child === 0 || (child & 1) !== 0) return;
  if (action === VISIT) {
    visit!(child);
  } else {
    c.u32[word] = 0;
    decref(c, child);
  }
}

/** Calls `visit` with every object `obj` (type `t`) owns a reference to: slots, then `traverse`. */
export function visitOwned(c: SpaceCore, obj: Ptr, t: number, visit: Visit): void {
  eachSlot(c, obj, t, VISIT, visit);
  if ((c.tFlags[t]! & T_TRAVERSE) !== 0) c.types.types[t - 1]!.traverse!(obj, visit);
}

/** `tp_traverse` for the public API: checks `obj`, then {@link visitOwned}. */
export function forEachReferent(c: SpaceCore, obj: Ptr, visit: Visit): void {
  const t = checkedTypeId(c, obj, 'forEachReferent');
  if (typeof visit !== 'function') {
    throw new ConfigurationError(
      `forEachReferent(${formatPtr(obj)}): visit must be a function (child) => void`,
    );
  }
  visitOwned(c, obj, t, visit);
}

/** `tp_clear`: the type's `clear`, or every reference slot set to 0 and its old value dropped. */
export function clearRefs(c: SpaceCore, obj: Ptr): void {
  const t = checkedTypeId(c, obj, 'clearRefs');
  const clear = c.types.types[t - 1]!.clear;
  if (clear !== undefined) clear(obj);
  else eachSlot(c, obj, t, CLEAR, undefined);
}
