/**
 * The reachability analysis (CPython's `deduce_unreachable`): which candidates nothing outside
 * the candidates refers to, directly or through other candidates.
 *
 *  - `updateRefs`: each candidate's gc refs = its refcount, flagged COLLECTING;
 *  - `subtractRefs`: one gc ref less for every reference from a candidate to a candidate; what
 *    keeps gc refs > 0 is referenced from outside;
 *  - `moveUnreachable`: everything reachable from those stays; the rest moves to `unreachable`.
 *
 * The walk over an object's references is specialised by the type table's shape: one or two
 * fixed slots (pairs, tree nodes, cons cells: the common containers) are read at offsets held
 * in locals, re-read only when the type changes from one object to the next; more fixed slots
 * loop over `refWords`; the others (items, value slots, `traverse`) go through the space's
 * `forEachReferent` with a visitor made once per run. A child of the same type as its parent is
 * known to be a GC object without the table. A `traverse` that throws is reported and marks
 * the run failed (see `CollectionRun.traverseFailed`).
 *
 * Cost per candidate on the one- and two-slot paths: update one load + one store; subtract the
 * type word, the slots, and per non-null slot the child's type word and one read-modify-write of
 * its gc refs; move the same per slot (a write only for a child not seen yet), plus list
 * relinking for what is unreachable. No user code runs on these paths, so the next node is read
 * before the children are visited.
 */
import type { Visit } from '@heapkit/refcount';
import * as layout from './gc-head.js';
import * as lists from './gc-lists.js';
import type { CollectionRun } from './run-state.js';
import * as shapes from './type-table.js';

const { GC_NEXT, GC_PREV, GC_REFS, GC_HEAD_BYTES, GC_HEAD_WORDS, OBJ_REFS, OBJ_TYPE, TYPE, TYPE_ID_MASK } =
  layout;
const { FINALIZED, HAS_WEAKREFS, COLLECTING, UNREACHABLE, REFS_ONE, candidateRefs } = layout;
const { listInit, listMove, listMoveRun } = lists;
const { SHAPE_GENERAL, SHAPE_SINGLE, SHAPE_PAIR, SHAPE_SLOTS } = shapes;

/** A child's gc refs word, in words from its object's first word. */
const CHILD_REFS = GC_REFS - GC_HEAD_WORDS;
/** The gc refs word of a candidate with no gc refs left that the scan has not reached yet. */
const UNSEEN = COLLECTING;
/** The gc refs word of a candidate on the `unreachable` list (tentatively unreachable). */
const TENTATIVE = COLLECTING | UNREACHABLE;
/** The gc refs word of a candidate a reachable object refers to: one gc ref, so it is reachable. */
const REACHED = REFS_ONE | COLLECTING;

/**
 * Step: gc refs = refcount, COLLECTING set, for every node of `head`'s list. An object whose
 * count is 0 is being deallocated by a loop this collection interrupted (a finalizer called
 * `collect`): it counts as referenced from outside, so neither it nor what it holds is touched.
 * Returns the number of nodes.
 */
export function updateRefs(run: CollectionRun, head: number): number {
  const u32 = run.space.memory.u32;
  let n = 0;
  for (let node = u32[(head >>> 2) + GC_NEXT]!; node !== head; n++) {
    const w = node >>> 2;
    node = u32[w + GC_NEXT]!;
    u32[w + GC_REFS] = candidateRefs(u32[w + OBJ_REFS]! | 0);
  }
  return n;
}

/**
 * A candidate of type `parentType` refers to `child`: one gc ref less for it, if it is a
 * candidate (a GC object, flagged COLLECTING).
 */
function subtractOne(u32: Uint32Array, isGc: Uint8Array, child: number, parentType: number): void {
  const c = child >>> 2;
  const t = u32[c + TYPE]! & TYPE_ID_MASK;
  if (t !== parentType && isGc[t] !== 1) return;
  const v = u32[c + CHILD_REFS]!;
  if ((v & COLLECTING) !== 0) u32[c + CHILD_REFS] = v - REFS_ONE;
}

/**
 * Step: one gc ref less for every reference from a candidate on `head`'s list to a candidate.
 * Types registered since the run's table refresh are unknown to it and count as non-GC, which
 * only ever keeps objects alive.
 */
export function subtractRefs(run: CollectionRun, head: number): void {
  const { space, table } = run;
  const { isGc, shape: shapeOf, slotA, slotB, refStart, refWords } = table;
  let u32 = space.memory.u32;
  let type = -1;
  let shape = SHAPE_GENERAL;
  let a = 0;
  let b = 0;
  let node = u32[(head >>> 2) + GC_NEXT]!;
  while (node !== head) {
    const w = node >>> 2;
    let next = u32[w + GC_NEXT]!;
    const t = u32[w + OBJ_TYPE]! & TYPE_ID_MASK;
    if (t !== type) {
      type = t;
      shape = shapeOf[t]!;
      a = slotA[t]!;
      b = slotB[t]!;
    }
    if (shape === SHAPE_PAIR) {
      const left = u32[w + a]!;
      const right = u32[w + b]!;
      if (left !== 0) subtractOne(u32, isGc, left, t);
      if (right !== 0) subtractOne(u32, isGc, right, t);
    } else if (shape === SHAPE_SINGLE) {
      const child = u32[w + a]!;
      if (child !== 0) subtractOne(u32, isGc, child, t);
    } else if (shape === SHAPE_SLOTS) {
      const h = w + GC_HEAD_WORDS;
      const end = refStart[t + 1]!;
      for (let k = refStart[t]!; k < end; k++) {
        const child = u32[h + refWords[k]!]!;
        if (child !== 0) subtractOne(u32, isGc, child, t);
      }
    } else if (shape === SHAPE_GENERAL) {
      run.subtractVisit ??= (child) => subtractOne(space.memory.u32, table.isGc, child, -1);
      walkGeneral(run, node, run.subtractVisit);
      u32 = space.memory.u32; // user code ran: the views, and the list, may have changed
      next = u32[w + GC_NEXT]!;
    }
    node = next;
  }
}

/**
 * A reachable object of type `parentType` refers to `child`: it is reachable too. One that had
 * been moved to `unreachable` comes back to the end of `scan` (and will be scanned in turn):
 * returns 1 then; one not scanned yet gets gc refs 1 so that its scan treats it as reachable.
 */
function reachOne(
  u32: Uint32Array,
  isGc: Uint8Array,
  child: number,
  parentType: number,
  scan: number,
): number {
  const c = child >>> 2;
  const t = u32[c + TYPE]! & TYPE_ID_MASK;
  if (t !== parentType && isGc[t] !== 1) return 0;
  const v = u32[c + CHILD_REFS]!;
  if (v === UNSEEN) {
    u32[c + CHILD_REFS] = REACHED;
    return 0;
  }
  if (v !== TENTATIVE) return 0; // not a candidate, already scanned, or gc refs left
  listMove(u32, child - GC_HEAD_BYTES, scan);
  u32[c + CHILD_REFS] = REACHED;
  return 1;
}

/**
 * Step (CPython's `move_unreachable`): scans `scan`'s list; an object with gc refs left is
 * reachable, and so is everything it refers to (see `reachOne`). An object still at 0 when the
 * scan reaches it moves to `unreachable`, tentatively: something scanned later may bring it
 * back. Consecutive unreachable objects move as one run, spliced to `unreachable` before the next
 * reachable object's children are visited (so a child to bring back is never in a pending run).
 * Reachable objects end with gc refs 0 (no longer candidates). Notes on the run whether
 * the unreachable include weakrefs or objects with weakrefs, finalizers yet to run, or types the
 * bulk path cannot free. Returns
 * the number left in `unreachable`.
 */
export function moveUnreachable(run: CollectionRun, scan: number, unreachable: number): number {
  const { space, table } = run;
  const { isGc, shape: shapeOf, slotA, slotB, refStart, refWords, finalizer, bulk } = table;
  const weakrefType = run.port.weakrefTypeId;
  let u32 = space.memory.u32;
  listInit(u32, unreachable);
  let moved = 0;
  let sawWeakrefs = false;
  let sawFinalizers = false;
  let sawComplex = false;
  let type = -1;
  let shape = SHAPE_GENERAL;
  let a = 0;
  let b = 0;
  /** The first of the unreachable nodes just passed, still on `scan` (0: none). */
  let runStart = 0;
  let node = u32[(scan >>> 2) + GC_NEXT]!;
  while (node !== scan) {
    const w = node >>> 2;
    if (u32[w + GC_REFS]! >= REFS_ONE) {
      if (runStart !== 0) {
        listMoveRun(u32, runStart, u32[w + GC_PREV]!, unreachable);
        runStart = 0;
      }
      const t = u32[w + OBJ_TYPE]! & TYPE_ID_MASK;
      if (t !== type) {
        type = t;
        shape = shapeOf[t]!;
        a = slotA[t]!;
        b = slotB[t]!;
      }
      if (shape === SHAPE_PAIR) {
        const left = u32[w + a]!;
        const right = u32[w + b]!;
        if (left !== 0) moved -= reachOne(u32, isGc, left, t, scan);
        if (right !== 0) moved -= reachOne(u32, isGc, right, t, scan);
      } else if (shape === SHAPE_SINGLE) {
        const child = u32[w + a]!;
        if (child !== 0) moved -= reachOne(u32, isGc, child, t, scan);
      } else if (shape === SHAPE_SLOTS) {
        const h = w + GC_HEAD_WORDS;
        const end = refStart[t + 1]!;
        for (let k = refStart[t]!; k < end; k++) {
          const child = u32[h + refWords[k]!]!;
          if (child !== 0) moved -= reachOne(u32, isGc, child, t, scan);
        }
      } else if (shape === SHAPE_GENERAL) {
        run.scan = scan;
        run.movedBack = 0;
        run.reachVisit ??= (child) => {
          run.movedBack += reachOne(space.memory.u32, table.isGc, child, -1, run.scan);
        };
        walkGeneral(run, node, run.reachVisit);
        moved -= run.movedBack;
        u32 = space.memory.u32; // user code ran
      }
      u32[w + GC_REFS] = 0; // reachable: no longer a candidate
      node = u32[w + GC_NEXT]!; // read after the children: one may have been appended after it
    } else {
      if (runStart === 0) runStart = node;
      u32[w + GC_REFS] = TENTATIVE;
      moved++;
      // Note what later steps will have to do (an object moved back only adds work).
      const word = u32[w + OBJ_TYPE]!;
      const t = word & TYPE_ID_MASK;
      if ((word & HAS_WEAKREFS) !== 0 || t === weakrefType) sawWeakrefs = true;
      if (finalizer[t] === 1 && (word & FINALIZED) === 0) sawFinalizers = true;
      if (bulk[t] !== 1) sawComplex = true;
      node = u32[w + GC_NEXT]!;
    }
  }
  if (runStart !== 0) listMoveRun(u32, runStart, u32[(scan >>> 2) + GC_PREV]!, unreachable);
  run.sawWeakrefs = sawWeakrefs;
  run.sawFinalizers = sawFinalizers;
  run.sawComplex = sawComplex;
  return moved;
}

/**
 * The general walk (items, `traverse`) of one node's object. A `traverse` is user code: one that
 * throws is reported and fails the run (the analysis can no longer tell what is garbage).
 */
export function walkGeneral(run: CollectionRun, node: number, visit: Visit): void {
  const obj = node + (GC_HEAD_WORDS << 2);
  try {
    run.space.forEachReferent(obj, visit);
  } catch (error) {
    run.traverseFailed = true;
    run.port.report(error, `traverse of ${run.space.typeName(obj)}`, obj);
  }
}
