/**
 * The garbage freed in bulk (step 11's fast path). CPython's `delete_garbage` calls each garbage
 * object's `tp_clear`, and reference counting then frees the objects one decref at a time. When
 * no user code ran in this collection and every garbage object is of a type whose clearing and
 * deallocation run no code (fixed slots, the default `clear`, no finalizer, no weakrefs: the
 * run's `sawComplex` and `sawWeakrefs` are false), the same outcome is reached with less work:
 *
 *   A. every reference from the garbage to an object outside it is dropped (its slot emptied,
 *      then `decref`, which may free that object and run its code); references between garbage
 *      objects are left as they are;
 *   B. every garbage object is freed as it stands, all in one call (`freeUnreachableMany` of
 *      the space's collector port: no count is looked at, no slot walked, `onFree` not called;
 *      the allocator takes the blocks as a batch, a pool whose every block is garbage released
 *      whole), and the list is dropped whole.
 *
 * The same blocks are freed and the same references dropped as by clearing each object.
 * Nothing outside the garbage can refer to it (that is what unreachable means; the weakrefs it
 * had would have set `sawWeakrefs`), so the code step A may run cannot reach it.
 */
import * as layout from './gc-head.js';
import { listInit } from './gc-lists.js';
import type { CollectionRun } from './run-state.js';
import * as shapes from './type-table.js';

const { GC_NEXT, GC_REFS, GC_HEAD_BYTES, GC_HEAD_WORDS, OBJ_TYPE, TYPE, TYPE_ID_MASK, HAS_WEAKREFS } = layout;
const { COLLECTING, UNREACHABLE } = layout;
const { SHAPE_PAIR, SHAPE_SINGLE, SHAPE_SLOTS } = shapes;

/** A child's gc refs word, in words from its object's first word. */
const CHILD_REFS = GC_REFS - GC_HEAD_WORDS;
/** The gc refs word of a garbage object (on `still`, no user code having run). */
const GARBAGE = COLLECTING | UNREACHABLE;

/**
 * Step A for one slot (word `slot` of the memory) of a garbage object of type `parentType`: a
 * reference to an object outside the garbage is emptied and dropped. True when that ran code.
 */
function dropOutside(run: CollectionRun, u32: Uint32Array, slot: number, parentType: number): boolean {
  const child = u32[slot]!;
  if (child === 0) return false;
  const c = child >>> 2;
  const t = u32[c + TYPE]! & TYPE_ID_MASK;
  if ((t === parentType || run.table.isGc[t] === 1) && u32[c + CHILD_REFS] === GARBAGE) return false;
  u32[slot] = 0;
  run.space.decref(child);
  return true;
}

/**
 * Frees the garbage on `still` in bulk (see above), when the run allows it. Returns the number
 * of objects freed, or -1 when one of them turned out not to qualify: its references to the
 * outside are dropped all the same (that is part of clearing), and the caller clears the rest as
 * usual.
 */
export function releaseInBulk(run: CollectionRun): number {
  const { space, port, table } = run;
  const { shape: shapeOf, slotA, slotB, refStart, refWords, bulk } = table;
  const still = run.heads.still;
  let u32 = space.memory.u32;
  let qualifies = true;
  // The objects to free, gathered on the way: the space frees them in one call (B).
  let objs = run.reserveLater(run.unreachableCount);
  let count = 0;
  for (let node = u32[(still >>> 2) + GC_NEXT]!; node !== still; node = u32[(node >>> 2) + GC_NEXT]!) {
    const w = node >>> 2;
    const word = u32[w + OBJ_TYPE]!;
    const t = word & TYPE_ID_MASK;
    if (bulk[t] !== 1 || (word & HAS_WEAKREFS) !== 0) qualifies = false;
    if (count === objs.length) objs = run.growLater();
    objs[count++] = node + GC_HEAD_BYTES;
    const shape = shapeOf[t]!;
    if (shape === SHAPE_PAIR) {
      if (dropOutside(run, u32, w + slotA[t]!, t)) u32 = space.memory.u32;
      if (dropOutside(run, u32, w + slotB[t]!, t)) u32 = space.memory.u32;
    } else if (shape === SHAPE_SINGLE) {
      if (dropOutside(run, u32, w + slotA[t]!, t)) u32 = space.memory.u32;
    } else if (shape === SHAPE_SLOTS) {
      const end = refStart[t + 1]!;
      for (let k = refStart[t]!; k < end; k++) {
        if (dropOutside(run, u32, w + GC_HEAD_WORDS + refWords[k]!, t)) u32 = space.memory.u32;
      }
    }
  }
  // The space checks them all before it frees any; false when one's deallocation runs code.
  if (!qualifies || !port.freeUnreachableMany(objs, count)) return -1;
  listInit(space.memory.u32, still);
  return count;
}
