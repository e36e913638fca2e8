/**
 * The reachability analysis (CPython's `deduce_unreachable`): which candidates nothing outside
 * the candidates refers to, directly or through other candidates.
 *
 *  - `updateRefs`: each candidate's gc refs = its refcount, flagged COLLECTING;
 *  - `subtractRefs`: one gc ref less for every reference from a candidate to a candidate; what
 *    keeps gc refs > 0 is referenced from outside;
 *  - `moveUnreachable`: everything reachable from those stays; the rest moves to `unreachable`.
 *
 * The walk over an object's references is specialised: types whose references are all in fixed
 * slots (the common case) are walked inline over the type table's `refWords`, each child handled
 * by a small plain function V8 inlines; the others (items, `traverse`) go through the space's
 * `forEachReferent` with a visitor made once per pass. A `traverse` that throws is reported and
 * marks the run failed (see `CollectionRun.traverseFailed`).
 *
 * Cost per candidate on the fixed-slot path: update one load + one store; subtract the type word
 * and, per non-null slot, the child's type word, its GC-ness in the table and one read-modify-
 * write of its gc refs; move the same per slot, plus list relinking for what is unreachable.
 */
import type { Visit } from '@heapkit/refcount';
import * as layout from './gc-head.js';
import * as lists from './gc-lists.js';
import type { CollectionRun } from './run-state.js';
import { WALK_FIXED } from './type-table.js';

const { GC_NEXT, GC_REFS, GC_HEAD_WORDS, OBJ_REFS, OBJ_TYPE, TYPE, TYPE_ID_MASK, FINALIZED, HAS_WEAKREFS } =
  layout;
const { COLLECTING, UNREACHABLE, REFS_ONE, MAX_GC_REFS } = layout;
const { listInit, listMove } = lists;
const FIXED = WALK_FIXED;

/**
 * Step: gc refs = refcount, COLLECTING set, for every node of `head`'s list. An object whose
 * count is 0 is being deallocated by a loop this collection interrupted (a finalizer called
 * `collect`): it counts as referenced from outside, so neither it nor what it holds is touched.
 * Returns the number of nodes.
 */
export function updateRefs(run: CollectionRun, head: number): number {
  const u32 = run.space.memory.u32;
  let n = 0;
  for (let node = u32[(head >>> 2) + GC_NEXT]!; node !== head; node = u32[(node >>> 2) + GC_NEXT]!) {
    const w = node >>> 2;
    const rc = u32[w + OBJ_REFS]! | 0;
    u32[w + GC_REFS] =
      (rc <= 0 ? REFS_ONE : rc >= MAX_GC_REFS ? MAX_GC_REFS * REFS_ONE : rc * REFS_ONE) | COLLECTING;
    n++;
  }
  return n;
}

/** A candidate refers to `child`: one gc ref less for it, if it is a candidate. */
function subtractOne(u32: Uint32Array, isGc: Uint8Array, child: number): void {
  if (isGc[u32[(child >>> 2) + TYPE]! & TYPE_ID_MASK] !== 1) return;
  const r = (child >>> 2) - GC_HEAD_WORDS + GC_REFS;
  const v = u32[r]!;
  if ((v & COLLECTING) !== 0) u32[r] = v - REFS_ONE;
}

/**
 * Step: one gc ref less for every reference from a candidate on `head`'s list to a candidate.
 * Types registered since the run's table refresh are unknown to it and count as non-GC, which
 * only ever keeps objects alive.
 */
export function subtractRefs(run: CollectionRun, head: number): void {
  const { space, table } = run;
  const { walk, refStart, refWords } = table;
  let u32 = space.memory.u32;
  let isGc = table.isGc;
  let visit: Visit | undefined;
  for (let node = u32[(head >>> 2) + GC_NEXT]!; node !== head; node = u32[(node >>> 2) + GC_NEXT]!) {
    const h = (node >>> 2) + GC_HEAD_WORDS;
    const t = u32[h + TYPE]! & TYPE_ID_MASK;
    if (walk[t] === FIXED) {
      const start = refStart[t]!;
      const end = refStart[t + 1]!;
      if (end - start === 2) {
        // Two slots (pairs, tree nodes, cons cells: the common container) unrolled.
        const left = u32[h + refWords[start]!]!;
        const right = u32[h + refWords[start + 1]!]!;
        if (left !== 0) subtractOne(u32, isGc, left);
        if (right !== 0) subtractOne(u32, isGc, right);
      } else {
        for (let k = start; k < end; k++) {
          const child = u32[h + refWords[k]!]!;
          if (child !== 0) subtractOne(u32, isGc, child);
        }
      }
    } else {
      visit ??= (child) => subtractOne(space.memory.u32, table.isGc, child);
      walkGeneral(run, node, visit);
      u32 = space.memory.u32; // user code ran
      isGc = table.isGc;
    }
  }
}

/**
 * A reachable object refers to `child`: it is reachable too. One that had been moved to
 * `unreachable` comes back to the end of `scan` (and will be scanned in turn): returns 1 then;
 * one not scanned yet gets gc refs 1 so that its scan treats it as reachable.
 */
function reachOne(u32: Uint32Array, isGc: Uint8Array, child: number, scan: number): number {
  if (isGc[u32[(child >>> 2) + TYPE]! & TYPE_ID_MASK] !== 1) return 0;
  const node = child - (GC_HEAD_WORDS << 2);
  const r = (node >>> 2) + GC_REFS;
  const v = u32[r]!;
  if ((v & COLLECTING) === 0) return 0;
  if ((v & UNREACHABLE) !== 0) {
    listMove(u32, node, scan);
    u32[r] = REFS_ONE | COLLECTING;
    return 1;
  }
  if (v < REFS_ONE) u32[r] = REFS_ONE | COLLECTING;
  return 0;
}

/**
 * Step (CPython's `move_unreachable`): scans `scan`'s list; an object with gc refs left is
 * reachable, and so is everything it refers to (see `reachOne`). An object still at 0 when the
 * scan reaches it moves to `unreachable`, tentatively: something scanned later may bring it
 * back. Reachable objects end with gc refs 0 (no longer candidates). Notes on the run whether
 * the unreachable include weakrefs or objects with weakrefs, or finalizers yet to run. Returns
 * the number left in `unreachable`.
 */
export function moveUnreachable(run: CollectionRun, scan: number, unreachable: number): number {
  const { space, table } = run;
  const { walk, refStart, refWords, finalizer } = table;
  const weakrefType = run.port.weakrefTypeId;
  let u32 = space.memory.u32;
  let isGc = table.isGc;
  listInit(u32, unreachable);
  let moved = 0;
  let sawWeakrefs = false;
  let sawFinalizers = false;
  let visit: Visit | undefined;
  let node = u32[(scan >>> 2) + GC_NEXT]!;
  while (node !== scan) {
    const w = node >>> 2;
    if (u32[w + GC_REFS]! >= REFS_ONE) {
      const h = w + GC_HEAD_WORDS;
      const t = u32[h + TYPE]! & TYPE_ID_MASK;
      if (walk[t] === FIXED) {
        const start = refStart[t]!;
        const end = refStart[t + 1]!;
        if (end - start === 2) {
          const left = u32[h + refWords[start]!]!;
          const right = u32[h + refWords[start + 1]!]!;
          if (left !== 0) moved -= reachOne(u32, isGc, left, scan);
          if (right !== 0) moved -= reachOne(u32, isGc, right, scan);
        } else {
          for (let k = start; k < end; k++) {
            const child = u32[h + refWords[k]!]!;
            if (child !== 0) moved -= reachOne(u32, isGc, child, scan);
          }
        }
      } else {
        visit ??= (child) => {
          moved -= reachOne(space.memory.u32, table.isGc, child, scan);
        };
        walkGeneral(run, node, visit);
        u32 = space.memory.u32; // user code ran
        isGc = table.isGc;
      }
      u32[w + GC_REFS] = 0; // reachable: no longer a candidate
      node = u32[w + GC_NEXT]!;
    } else {
      const next = u32[w + GC_NEXT]!;
      listMove(u32, node, unreachable);
      u32[w + GC_REFS] = COLLECTING | UNREACHABLE;
      moved++;
      // Note what later steps will have to do (an object moved back only adds work).
      const word = u32[w + OBJ_TYPE]!;
      const t = word & TYPE_ID_MASK;
      if ((word & HAS_WEAKREFS) !== 0 || t === weakrefType) sawWeakrefs = true;
      if (finalizer[t] === 1 && (word & FINALIZED) === 0) sawFinalizers = true;
      node = next;
    }
  }
  run.sawWeakrefs = sawWeakrefs;
  run.sawFinalizers = sawFinalizers;
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
