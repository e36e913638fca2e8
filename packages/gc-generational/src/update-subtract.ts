/**
 * Steps 2 and 3 of a collection in one sweep: CPython's `update_refs` and `subtract_refs`
 * fused, so that each candidate's pre-header is read once instead of twice (the passes over a
 * large generation are bound by memory traffic).
 *
 * The sweep goes through the list backwards, oldest first: objects mostly refer to older ones,
 * which it has already reached, flagged COLLECTING and given their refcount as gc refs, so the
 * reference is subtracted at once. A reference to a GC object not flagged (yet) is either to a
 * candidate further on (a newer one: a cycle's back edge, a later `setRef`) or to an object
 * outside the collection; the sweep cannot tell which, so it notes the child in the run's
 * `later` buffer and subtracts after the sweep, when every candidate is flagged. The result is
 * `subtractRefs`' exactly. If a `traverse` ran (user code, which may free objects), a noted
 * child is first checked to be a live object.
 *
 * The noted children also tell whether the candidates can hold a cycle. A cycle needs at least
 * one reference against the sweep's order: to a newer candidate, or from an object to itself
 * (an object is flagged after its fixed slots are read, so such a reference is noted too). When
 * no noted child is a candidate and no `traverse` ran, the references among the candidates all
 * go one way, every candidate is reachable from one that something outside refers to, and the
 * run is marked `acyclic`: step 4 then only clears the flags (collection.ts). A young
 * generation built bottom up (trees, lists of cons cells, tuples) takes that path.
 */
import * as layout from './gc-head.js';
import { walkGeneral } from './reachability.js';
import type { CollectionRun } from './run-state.js';
import * as shapes from './type-table.js';

const { GC_PREV, GC_REFS, GC_HEAD_WORDS, OBJ_REFS, OBJ_TYPE, TYPE, TYPE_ID_MASK } = layout;
const { COLLECTING, REFS_ONE, MAX_GC_REFS } = layout;
const { SHAPE_GENERAL, SHAPE_SINGLE, SHAPE_PAIR, SHAPE_SLOTS } = shapes;

/** A child's gc refs word, in words from its object's first word. */
const CHILD_REFS = GC_REFS - GC_HEAD_WORDS;

/**
 * A candidate of type `parentType` refers to `child`: one gc ref less if it is flagged; returns
 * false when it is a GC object not flagged yet (the caller notes it for later). Its test is
 * `subtractOne`'s in `reachability.ts`, and the gc refs expression below is `candidateRefs` of
 * `gc-head.ts`: this sweep keeps local copies because calling them through imports measured
 * 3-9% slower on a full collection of 262,143 live objects (interleaved A/B in one process).
 */
function subtractNow(u32: Uint32Array, isGc: Uint8Array, child: number, parentType: number): boolean {
  const c = child >>> 2;
  const t = u32[c + TYPE]! & TYPE_ID_MASK;
  if (t !== parentType && isGc[t] !== 1) return true; // not a GC object: nothing to count
  const v = u32[c + CHILD_REFS]!;
  if ((v & COLLECTING) === 0) return false;
  u32[c + CHILD_REFS] = v - REFS_ONE;
  return true;
}

/**
 * Steps 2-3 over `head`'s list: every candidate flagged COLLECTING with gc refs = its refcount
 * (0 counts as 1: see `updateRefs`) minus the references to it from candidates. Returns the
 * number of candidates.
 */
export function updateAndSubtract(run: CollectionRun, head: number): number {
  const { space, table } = run;
  const { isGc, shape: shapeOf, slotA, slotB, refStart, refWords } = table;
  let u32 = space.memory.u32;
  let later = run.later;
  let room = later.length;
  let noted = 0;
  let ranCode = false;
  let candidates = 0;
  let type = -1;
  let shape = SHAPE_GENERAL;
  let a = 0;
  let b = 0;
  let node = u32[(head >>> 2) + GC_PREV]!;
  while (node !== head) {
    const w = node >>> 2;
    let prev = u32[w + GC_PREV]!;
    const rc = u32[w + OBJ_REFS]! | 0;
    const refs =
      (rc <= 0 ? REFS_ONE : rc >= MAX_GC_REFS ? MAX_GC_REFS * REFS_ONE : rc * REFS_ONE) | COLLECTING;
    candidates++;
    const t = u32[w + OBJ_TYPE]! & TYPE_ID_MASK;
    if (t !== type) {
      type = t;
      shape = shapeOf[t]!;
      a = slotA[t]!;
      b = slotB[t]!;
    }
    if (noted + 2 > room) {
      later = run.growLater();
      room = later.length;
    }
    if (shape === SHAPE_PAIR) {
      const left = u32[w + a]!;
      const right = u32[w + b]!;
      if (left !== 0 && !subtractNow(u32, isGc, left, t)) later[noted++] = left;
      if (right !== 0 && !subtractNow(u32, isGc, right, t)) later[noted++] = right;
    } else if (shape === SHAPE_SINGLE) {
      const child = u32[w + a]!;
      if (child !== 0 && !subtractNow(u32, isGc, child, t)) later[noted++] = child;
    } else if (shape === SHAPE_SLOTS) {
      const h = w + GC_HEAD_WORDS;
      const end = refStart[t + 1]!;
      for (let k = refStart[t]!; k < end; k++) {
        const child = u32[h + refWords[k]!]!;
        if (child === 0 || subtractNow(u32, isGc, child, t)) continue;
        if (noted === room) {
          later = run.growLater();
          room = later.length;
        }
        later[noted++] = child;
      }
    } else if (shape === SHAPE_GENERAL) {
      u32[w + GC_REFS] = refs;
      run.noted = noted;
      run.noteVisit ??= (child) => {
        if (subtractNow(space.memory.u32, table.isGc, child, -1)) return;
        if (run.noted === run.later.length) run.growLater();
        run.later[run.noted++] = child;
      };
      walkGeneral(run, node, run.noteVisit);
      ranCode = true;
      noted = run.noted;
      later = run.later;
      room = later.length;
      u32 = space.memory.u32; // user code ran: the views, and the list, may have changed
      prev = u32[w + GC_PREV]!;
      node = prev;
      continue;
    }
    // Flagged after its children: a reference to itself is noted, like any against the order.
    u32[w + GC_REFS] = refs;
    node = prev;
  }
  // A noted child that is a candidate is a reference against the sweep's order.
  let backwards = ranCode;
  for (let i = 0; i < noted; i++) {
    const child = later[i]!;
    if (ranCode && !space.isAlive(child)) continue;
    // Noted children are GC objects: this one is subtracted from if, and only if, it is a candidate.
    if (subtractNow(u32, isGc, child, -1)) backwards = true;
  }
  run.acyclic = !backwards;
  return candidates;
}
