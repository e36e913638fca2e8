/**
 * Reference counts (`Py_INCREF`, `Py_DECREF`, PEP 683's immortal objects). The fast paths are
 * here; what happens when a count reaches zero is `deallocation.ts`.
 */
import type { Ptr } from '@heapkit/memory';
import type { SpaceCore } from './core.js';
import * as core from './core.js';
import * as deallocation from './deallocation.js';
import * as header from './header.js';
import { zeroCount } from './raise.js';

// Module-local copies of imported constants: V8 folds a module's own constants into optimized
// code, but loads an imported binding (and checks it for the TDZ hole) at every use.
const { IMMORTAL_REFCOUNT, REFCOUNT_WORD } = header;
// The same for functions: an imported function is loaded through its cell, checked for the hole
// and compared with the one V8 inlined at every call; a module's own binding is folded.
const { checkedLiveTypeId, checkedTypeId, decrement, increment, isLive } = core;
const { release } = deallocation;

/**
 * `Py_INCREF`. Cost on the fast path: the liveness test, one load, one store.
 */
export function incref(c: SpaceCore, obj: Ptr): void {
  if (isLive(c, obj) && !c.debug && c.i32[(obj >>> 2) + REFCOUNT_WORD]! >= 1) {
    increment(c.i32, obj);
    return;
  }
  checkedLiveTypeId(c, obj, 'incref'); // throws: nothing else sends us here...
  increment(c.i32, obj); // ...but debug mode, with a sound header
}

/**
 * `Py_DECREF`: when it was the last reference, the object is deallocated before this returns.
 * Cost on the fast path (count above 1): the liveness test, one load, one store.
 */
export function decref(c: SpaceCore, obj: Ptr): void {
  if (isLive(c, obj) && !c.debug) {
    const i32 = c.i32;
    if (i32[(obj >>> 2) + REFCOUNT_WORD]! >= 1) {
      if (decrement(i32, obj)) release(c, obj);
      return;
    }
  }
  decrefSlow(c, obj);
}

function decrefSlow(c: SpaceCore, obj: Ptr): void {
  checkedTypeId(c, obj, 'decref');
  if (c.i32[(obj >>> 2) + REFCOUNT_WORD]! < 1) throw zeroCount(c, obj, 'decref');
  if (decrement(c.i32, obj)) release(c, obj);
}

/** PEP 683: the count of `obj` never changes again and it is never freed. */
export function makeImmortal(c: SpaceCore, obj: Ptr): void {
  checkedLiveTypeId(c, obj, 'makeImmortal');
  c.i32[(obj >>> 2) + REFCOUNT_WORD] = IMMORTAL_REFCOUNT;
}

/** `sys._is_immortal`. */
export function isImmortal(c: SpaceCore, obj: Ptr): boolean {
  checkedTypeId(c, obj, 'isImmortal');
  return c.i32[(obj >>> 2) + REFCOUNT_WORD]! >= IMMORTAL_REFCOUNT;
}
