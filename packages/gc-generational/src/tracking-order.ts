/**
 * The tracking order: every GC object gets a number when the collector starts tracking it (at
 * its allocation, or `track`), kept in the fourth word of its pre-header (`GC_ORDER`). Newer
 * objects get larger numbers. It lets a collection prove, without writing a word, that its
 * candidates form no cycle, which is what most young generations look like: a tree, a list of
 * cons cells, tuples, each object built after the objects it refers to.
 *
 * ```
 *   node ──► ┌───────────┬───────────┬───────────┬───────────┐
 *            │ GC_NEXT   │ GC_PREV   │ GC_REFS   │ GC_ORDER  │  the number, 1 .. 2^32 - 1
 *            └───────────┴───────────┴───────────┴───────────┘  (0: never numbered)
 * ```
 *
 * The proof ({@link provenAcyclic}): go through the candidates and look at every reference
 * between GC objects. A cycle among the candidates would have to contain a reference from an
 * object to one whose number is at least its own: numbers cannot fall all the way around a
 * cycle. So when every reference from a candidate goes to an object with a smaller number, the
 * candidates form no cycle, and then none of them can be unreachable (an unreachable candidate
 * is referenced only from candidates that are unreachable too, so following its referrers among
 * a finite set must come back to one already seen). The collection is then steps 1 and 5: no gc
 * refs are computed, no flag is set or cleared.
 *
 * The argument holds whatever the numbers are, so nothing about them can make the proof wrong:
 * an object numbered 0, numbers that wrapped around, an object that moved between generations
 * out of order. Such cases only make the proof fail more often, and the collection then takes
 * the full analysis (update-subtract.ts), which is always right. When the counter runs out,
 * {@link renumber} numbers every tracked object again, oldest first, so that the proof keeps
 * working.
 */
import * as layout from './gc-head.js';
import type { CollectionRun } from './run-state.js';
import * as shapes from './type-table.js';

const { GC_NEXT, GC_PREV, GC_ORDER, GC_HEAD_WORDS, OBJ_TYPE, TYPE, TYPE_ID_MASK } = layout;
const { SHAPE_NONE, SHAPE_SINGLE, SHAPE_PAIR, SHAPE_SLOTS } = shapes;

/** A child's order word, in words from its object's first word. */
const CHILD_ORDER = GC_ORDER - GC_HEAD_WORDS;
/** The largest number; the next one starts the numbering again ({@link renumber}). */
export const MAX_ORDER = 0xffff_ffff;

/**
 * True when `child`, referred to by an object of type `parentType` numbered `order`, is a GC
 * object numbered `order` or higher: a reference the proof cannot accept.
 */
function upward(
  u32: Uint32Array,
  isGc: Uint8Array,
  child: number,
  parentType: number,
  order: number,
): boolean {
  const c = child >>> 2;
  const t = u32[c + TYPE]! & TYPE_ID_MASK;
  if (t !== parentType && isGc[t] !== 1) return false; // not a GC object: not part of a cycle
  return u32[c + CHILD_ORDER]! >= order;
}

/**
 * The proof of the file's comment over `head`'s list: the number of candidates when every
 * reference from one of them goes to an object with a smaller number, else -1 (a reference that
 * does not, or an object whose references only `forEachReferent` can give). Reads only: on -1
 * nothing has changed. Cost per candidate: its links, its type and order words, and for each
 * reference the child's type and order words (one cache line).
 */
export function provenAcyclic(run: CollectionRun, head: number): number {
  const { isGc, shape: shapeOf, slotA, slotB, refStart, refWords } = run.table;
  const u32 = run.space.memory.u32;
  let candidates = 0;
  let type = -1;
  let shape = SHAPE_NONE;
  let a = 0;
  let b = 0;
  for (let node = u32[(head >>> 2) + GC_NEXT]!; node !== head; candidates++) {
    const w = node >>> 2;
    node = u32[w + GC_NEXT]!;
    const order = u32[w + GC_ORDER]!;
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
      if (left !== 0 && upward(u32, isGc, left, t, order)) return -1;
      if (right !== 0 && upward(u32, isGc, right, t, order)) return -1;
    } else if (shape === SHAPE_SINGLE) {
      const child = u32[w + a]!;
      if (child !== 0 && upward(u32, isGc, child, t, order)) return -1;
    } else if (shape === SHAPE_SLOTS) {
      const h = w + GC_HEAD_WORDS;
      const end = refStart[t + 1]!;
      for (let k = refStart[t]!; k < end; k++) {
        const child = u32[h + refWords[k]!]!;
        if (child !== 0 && upward(u32, isGc, child, t, order)) return -1;
      }
    } else if (shape !== SHAPE_NONE) {
      return -1; // items, value slots or `traverse` (or a type the table does not know yet)
    }
  }
  return candidates;
}

/**
 * Numbers every node of the lists `heads` (given oldest first) again from 1, oldest first
 * (each list is newest first, so it is read from its end). Returns the next free number.
 */
export function renumber(u32: Uint32Array, heads: readonly number[]): number {
  let order = 1;
  for (const head of heads) {
    for (let node = u32[(head >>> 2) + GC_PREV]!; node !== head; node = u32[(node >>> 2) + GC_PREV]!)
      u32[(node >>> 2) + GC_ORDER] = order++;
  }
  return order;
}
