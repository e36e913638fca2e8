/**
 * The garbage's weakrefs and finalizers, and what finalizers resurrect: the steps of a
 * collection that run user code (weakref callbacks, `finalize`) and then look again.
 *
 * Weakref clearing follows CPython's order since gh-135552 (python/cpython#136189): before the
 * finalizers only the weakrefs *with callbacks* to the garbage are cleared (and called back when
 * the weakref is not garbage itself); every other weakref to the garbage, including any that a
 * finalizer created (GH-91636), is cleared after the resurrection check, so finalizers still see
 * the weakrefs they may need and nothing can reach a cleared object through one afterwards.
 */
import type { PendingCallbacks } from '@heapkit/refcount/collector';
import * as layout from './gc-head.js';
import * as lists from './gc-lists.js';
import { moveUnreachable, subtractRefs, updateRefs } from './reachability.js';
import type { CollectionRun } from './run-state.js';

const {
  GC_NEXT,
  GC_REFS,
  GC_HEAD_WORDS,
  OBJ_REFS,
  OBJ_TYPE,
  TYPE_ID_MASK,
  COLLECTING,
  FINALIZED,
  HAS_WEAKREFS,
} = layout;
const { clearCollectionFlags, markCollecting, objectOf } = layout;
const { listFirst, listInit, listIsEmpty, listMerge, listMove } = lists;

/**
 * CPython's `handle_weakref_callbacks`: every weakref with a callback to an unreachable object
 * is cleared; its callback runs if the weakref itself is not garbage (garbage pointing at
 * garbage must not run code that could see half-cleared objects). All are cleared first, then
 * called. Returns true when user code ran.
 */
export function handleWeakrefCallbacks(run: CollectionRun): boolean {
  if (!run.sawWeakrefs) return false;
  const { space, port } = run;
  const unreachable = run.heads.unreachable;
  const pending: PendingCallbacks = { refs: [], callbacks: [] };
  const notGarbage = (wr: number) =>
    (space.memory.u32[(wr >>> 2) - GC_HEAD_WORDS + GC_REFS]! & COLLECTING) === 0;
  const u32 = space.memory.u32; // no user code runs until the callbacks below
  for (
    let node = u32[(unreachable >>> 2) + GC_NEXT]!;
    node !== unreachable;
    node = u32[(node >>> 2) + GC_NEXT]!
  ) {
    if ((u32[(node >>> 2) + OBJ_TYPE]! & HAS_WEAKREFS) === 0) continue;
    port.clearWeakrefsWithCallbacks(objectOf(node), notGarbage, pending);
  }
  if (pending.refs.length === 0) return false;
  port.runWeakrefCallbacks(pending);
  return true;
}

/**
 * CPython's `finalize_garbage`: each unreachable object's finalizer, once ever (PEP 442), with a
 * reference held across the call. Returns true when user code ran.
 */
export function finalizeGarbage(run: CollectionRun): boolean {
  if (!run.sawFinalizers) return false;
  const { space, port, table } = run;
  const { unreachable, seen } = run.heads;
  listInit(space.memory.u32, seen);
  while (!listIsEmpty(space.memory.u32, unreachable)) {
    const u32 = space.memory.u32;
    const node = listFirst(u32, unreachable);
    listMove(u32, node, seen);
    if (u32[(node >>> 2) + OBJ_REFS] === 0) continue; // being freed by an interrupted deallocation
    const word = u32[(node >>> 2) + OBJ_TYPE]!;
    if (table.finalizer[word & TYPE_ID_MASK] !== 1 || (word & FINALIZED) !== 0) continue;
    const obj = objectOf(node);
    space.incref(obj);
    port.callFinalizer(obj);
    space.decref(obj); // may free it (and take it off `seen`)
  }
  listMerge(space.memory.u32, seen, unreachable);
  return true;
}

/**
 * CPython's `handle_resurrected_objects`: the analysis again, within the unreachable set; what
 * user code made reachable survives (into `run.old`), the rest goes on to `still`.
 */
export function handleResurrected(run: CollectionRun): void {
  const { space, table } = run;
  const { unreachable, still } = run.heads;
  table.refresh(); // user code may have registered types
  updateRefs(run, unreachable);
  subtractRefs(run, unreachable);
  moveUnreachable(run, unreachable, still);
  if (run.traverseFailed) {
    // What a throwing traverse did not report may have been resurrected: all of it survives.
    clearCollectionFlags(space.memory.u32, still);
    listMerge(space.memory.u32, still, unreachable);
  }
  const u32 = space.memory.u32;
  markCollecting(u32, still); // still candidates: a weakref to them is garbage-to-garbage
  listMerge(u32, unreachable, run.old);
}

/**
 * CPython's `clear_weakrefs` after the resurrection check (gh-135552, GH-91636): no weakref to
 * the garbage survives, and weakrefs that are garbage themselves die without calling back.
 * `any` is false when no weakref was seen in the garbage and no user code ran that could have
 * made one: then only the garbage is counted. Returns the number of garbage objects.
 */
export function clearGarbageWeakrefs(run: CollectionRun, any: boolean): number {
  const { space, port } = run;
  const still = run.heads.still;
  const weakrefType = port.weakrefTypeId;
  let n = 0;
  for (let node = listFirst(space.memory.u32, still); node !== still; ) {
    n++;
    if (any) {
      const word = space.memory.u32[(node >>> 2) + OBJ_TYPE]!;
      const obj = objectOf(node);
      if ((word & TYPE_ID_MASK) === weakrefType) port.clearWeakref(obj);
      if ((word & HAS_WEAKREFS) !== 0) port.clearWeakrefsSilently(obj);
    }
    node = space.memory.u32[(node >>> 2) + GC_NEXT]!;
  }
  return n;
}
