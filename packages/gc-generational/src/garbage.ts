/**
 * What becomes of the garbage: objects with a legacy finalizer (`tp_del`) and everything they
 * reach are uncollectable and go to `garbage` (CPython's `move_legacy_finalizers`,
 * `move_legacy_finalizer_reachable`, `handle_legacy_finalizers`); the rest is `clear`ed, which
 * breaks the cycles, and reference counting frees it (`delete_garbage`).
 */
import type { Ptr } from '@heapkit/memory';
import * as layout from './gc-head.js';
import * as lists from './gc-lists.js';
import { walkGeneral } from './reachability.js';
import type { CollectionRun } from './run-state.js';
import { WALK_FIXED } from './type-table.js';

const { GC_NEXT, GC_REFS, OBJ_REFS, OBJ_TYPE, TYPE, TYPE_ID_MASK, COLLECTING, UNREACHABLE } = layout;
const { objectOf, nodeOf } = layout;
const { listFirst, listIsEmpty, listMerge, listMove } = lists;

/**
 * Objects with a legacy finalizer move from `unreachable` to `finalizers`, and so does every
 * candidate they reach (it must stay valid for them). Clears the UNREACHABLE flags on the way.
 */
export function moveLegacyFinalizers(run: CollectionRun): void {
  const { space, table } = run;
  const { unreachable, finalizers } = run.heads;
  let u32 = space.memory.u32;
  for (let node = u32[(unreachable >>> 2) + GC_NEXT]!; node !== unreachable; ) {
    const w = node >>> 2;
    const next = u32[w + GC_NEXT]!;
    u32[w + GC_REFS] = u32[w + GC_REFS]! & ~UNREACHABLE;
    if (table.legacy[u32[w + OBJ_TYPE]! & TYPE_ID_MASK] === 1) {
      u32[w + GC_REFS] = 0;
      listMove(u32, node, finalizers);
    }
    node = next;
  }
  const visit = (child: Ptr) => {
    const m = space.memory.u32;
    if (table.isGc[m[(child >>> 2) + TYPE]! & TYPE_ID_MASK] !== 1) return;
    const node = nodeOf(child);
    if ((m[(node >>> 2) + GC_REFS]! & COLLECTING) === 0) return;
    m[(node >>> 2) + GC_REFS] = 0;
    listMove(m, node, finalizers);
  };
  for (let node = listFirst(space.memory.u32, finalizers); node !== finalizers; ) {
    walkGeneral(run, node, visit);
    u32 = space.memory.u32;
    node = u32[(node >>> 2) + GC_NEXT]!;
  }
}

/**
 * CPython's `delete_garbage`: `clear` each object of `still` (or, with DEBUG_SAVEALL, keep it in
 * `garbage`), which breaks the cycles; reference counting then frees them, and they leave the
 * list as they go. What is still there after its `clear` survives into `run.old`. A `clear` that
 * throws is reported; its object survives.
 */
export function deleteGarbage(run: CollectionRun, garbage: Ptr[]): void {
  const { space, port, table } = run;
  const still = run.heads.still;
  while (!listIsEmpty(space.memory.u32, still)) {
    const node = listFirst(space.memory.u32, still);
    const obj = objectOf(node);
    if (space.memory.u32[(node >>> 2) + OBJ_REFS] === 0) {
      // Its count fell to zero during this collection while a deallocation loop this collection
      // interrupted is running: that loop frees it (and takes it off the list).
      survive(space.memory.u32, node, run.old);
      continue;
    }
    if (run.saveAll) {
      space.incref(obj);
      garbage.push(obj);
    } else {
      const t = space.memory.u32[(node >>> 2) + OBJ_TYPE]! & TYPE_ID_MASK;
      const fixed = table.walk[t] === WALK_FIXED && table.customClear[t] === 0;
      if (fixed && table.refStart[t + 1]! - table.refStart[t]! <= 2) {
        clearTwoSlots(run, obj, t);
      } else {
        space.incref(obj); // held across the clear: dropping its references may drop the last one to it
        if (fixed) clearSlots(run, obj, t);
        else {
          try {
            port.clearRefs(obj);
          } catch (error) {
            port.report(error, `clear of ${space.typeName(obj)}`, obj);
          }
        }
        space.decref(obj);
      }
    }
    const u32 = space.memory.u32;
    if (listFirst(u32, still) === node) survive(u32, node, run.old);
  }
}

/**
 * The default `tp_clear` of an object whose references are all in fixed slots, without a call
 * per slot: empty each slot and drop what it held (the caller holds a reference to `obj`).
 * (A drop can run a finalizer, which can grow the memory: the view is read again each slot.)
 */
function clearSlots(run: CollectionRun, obj: Ptr, t: number): void {
  const { space } = run;
  const { refStart, refWords } = run.table;
  const h = obj >>> 2;
  const end = refStart[t + 1]!;
  for (let k = refStart[t]!; k < end; k++) {
    const u32 = space.memory.u32; // a decref may have run a finalizer that grew the memory
    const old = u32[h + refWords[k]!]!;
    if (old === 0) continue;
    u32[h + refWords[k]!] = 0;
    space.decref(old);
  }
}

/**
 * `clearSlots` for an object of at most two slots, without the reference held around it: both
 * slots are read and emptied before either old value is dropped, so nothing reads the object
 * after a drop may have freed it. Saves an incref and a decref per garbage object (a cycle's
 * typical node).
 */
function clearTwoSlots(run: CollectionRun, obj: Ptr, t: number): void {
  const { refStart, refWords } = run.table;
  const u32 = run.space.memory.u32;
  const start = refStart[t]!;
  const count = refStart[t + 1]! - start;
  const h = obj >>> 2;
  const first = count > 0 ? h + refWords[start]! : h;
  const second = count > 1 ? h + refWords[start + 1]! : h;
  const a = count > 0 ? u32[first]! : 0;
  const b = count > 1 ? u32[second]! : 0;
  if (count > 0) u32[first] = 0;
  if (count > 1) u32[second] = 0;
  if (a !== 0) run.space.decref(a);
  if (b !== 0) run.space.decref(b);
}

/** CPython's `handle_legacy_finalizers`: the uncollectable go to `garbage` and join `run.old`. */
export function handleLegacyFinalizers(run: CollectionRun, garbage: Ptr[]): void {
  const { space, table } = run;
  const finalizers = run.heads.finalizers;
  const u32 = space.memory.u32;
  for (
    let node = u32[(finalizers >>> 2) + GC_NEXT]!;
    node !== finalizers;
    node = u32[(node >>> 2) + GC_NEXT]!
  ) {
    u32[(node >>> 2) + GC_REFS] = 0;
    if (run.saveAll || table.legacy[u32[(node >>> 2) + OBJ_TYPE]! & TYPE_ID_MASK] === 1) {
      const obj = objectOf(node);
      space.incref(obj);
      garbage.push(obj);
    }
  }
  listMerge(space.memory.u32, finalizers, run.old);
}

/** An object of the garbage that survives: no longer a candidate, on to `old`. */
function survive(u32: Uint32Array, node: number, old: number): void {
  u32[(node >>> 2) + GC_REFS] = 0;
  listMove(u32, node, old);
}
