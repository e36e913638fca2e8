/**
 * The GC pre-header as the collector reads it: named word offsets from a *node* (the block's
 * address, `obj - GC_HEAD_BYTES`), the flag bits of the gc refs word, and small accessors. Every
 * other file reads header words through these names; the object header's own fields (refcount,
 * type word) are `@heapkit/refcount`'s, re-based here onto the node.
 *
 * ```
 *   node ──► ┌───────────┬───────────┬──────────────────────┬───────────┐
 *            │ GC_NEXT   │ GC_PREV   │ GC_REFS              │ GC_ORDER  │  GC pre-header (16 B)
 *            ├───────────┼───────────┴──────────────────────┴───────────┘
 *   obj ───► │ OBJ_REFS  │ OBJ_TYPE (type id, FINALIZED, HAS_WEAKREFS)  │  object header
 *            └───────────┴───────────────────────────────────────────────┘
 *   GC_NEXT == 0: not tracked.
 *   GC_REFS during a collection: gc refs in bits 2..31, flags in bits 0-1, so that a visit reads
 *   and writes one word (CPython packs both in _gc_prev):
 *     COLLECTING   in the set being collected (a candidate)
 *     UNREACHABLE  tentatively unreachable (on the unreachable list)
 *   Outside a collection the word is 0.
 *   GC_ORDER: the object's number in the order the collector began tracking objects (newer
 *   objects have larger numbers; 0: never numbered). See tracking-order.ts.
 * ```
 *
 * Hot loops read module-local copies of the constants they need, made once at load. (Under a
 * module runner that turns every read of an imported binding into a getter call on the
 * exporting module's namespace, as Vite's does, V8 does not inline those getters: that once made
 * the passes about 5x slower in the test process than in plain Node. The tests now run as
 * native modules, and the copies keep any such host from mattering.)
 */
import type { Ptr } from '@heapkit/memory';
import {
  FINALIZED as FINALIZED_,
  GC_HEAD_BYTES as GC_HEAD_BYTES_,
  GC_NEXT_WORD,
  GC_PREV_WORD,
  GC_REFS_WORD,
  GC_RESERVED_WORD,
  HAS_WEAKREFS as HAS_WEAKREFS_,
  REFCOUNT_WORD as REFCOUNT_WORD_,
  TYPE_ID_MASK as TYPE_ID_MASK_,
  TYPE_WORD as TYPE_WORD_,
} from '@heapkit/refcount';

/** Word offsets from an object of its refcount and type word (`@heapkit/refcount`'s header.ts). */
const REFCOUNT_WORD = REFCOUNT_WORD_;
const TYPE_WORD = TYPE_WORD_;

/** Bytes of the pre-header, before the object pointer. */
export const GC_HEAD_BYTES = GC_HEAD_BYTES_;
/** Words of the pre-header: a node's word index plus this is the object's first word. */
export const GC_HEAD_WORDS = GC_HEAD_BYTES_ >>> 2;
/** Word offsets from a node: the list links and the gc refs word. */
export const GC_NEXT = GC_NEXT_WORD;
export const GC_PREV = GC_PREV_WORD;
export const GC_REFS = GC_REFS_WORD;
/**
 * Word offset from a node of its tracking order number: the pre-header's fourth word, which
 * `@heapkit/refcount` zeroes and leaves to the collector (tracking-order.ts).
 */
export const GC_ORDER = GC_RESERVED_WORD;
/** Word offsets from a node of the object header's refcount and type word. */
export const OBJ_REFS = GC_HEAD_WORDS + REFCOUNT_WORD;
export const OBJ_TYPE = GC_HEAD_WORDS + TYPE_WORD;
/** Word offset from an *object* of its type word (for a child, known by its object pointer). */
export const TYPE = TYPE_WORD;
/** Bits of the type word: the type id, `finalize` has run, some weakref points here. */
export const TYPE_ID_MASK = TYPE_ID_MASK_;
export const FINALIZED = FINALIZED_;
export const HAS_WEAKREFS = HAS_WEAKREFS_;

/** GC_REFS flag: a candidate of the running collection. */
export const COLLECTING = 1;
/** GC_REFS flag: tentatively unreachable. */
export const UNREACHABLE = 2;
/** One gc ref in the GC_REFS word. */
export const REFS_ONE = 4;
/** Counts are capped here (far above any number of references a collection can subtract). */
export const MAX_GC_REFS = 1 << 28;

// The functions below read unexported copies: V8 keeps an exported binding in a cell, which it
// loads and checks for the hole at every read, even inside its own module.
const HEAD_BYTES = GC_HEAD_BYTES;
const NEXT = GC_NEXT;
const REFS = GC_REFS;
const NODE_TYPE = OBJ_TYPE;
const ID_MASK = TYPE_ID_MASK;
const IS_CANDIDATE = COLLECTING;
const ONE_REF = REFS_ONE;
const MAX_REFS = MAX_GC_REFS;

/**
 * A candidate's gc refs word at the start of a collection: its refcount as gc refs, capped, and
 * COLLECTING. A count of 0 (an object whose deallocation the collection interrupted) counts as
 * 1: referenced from outside, so neither it nor what it holds is touched.
 */
export function candidateRefs(refcount: number): number {
  const refs = refcount <= 0 ? ONE_REF : refcount >= MAX_REFS ? MAX_REFS * ONE_REF : refcount * ONE_REF;
  return refs | IS_CANDIDATE;
}

/** The node (pre-header block) of a GC object. */
export function nodeOf(obj: Ptr): number {
  return obj - HEAD_BYTES;
}

/** The object of a node. */
export function objectOf(node: number): Ptr {
  return node + HEAD_BYTES;
}

/** True when the node is on one of the collector's lists. */
export function isLinked(u32: Uint32Array, node: number): boolean {
  return u32[(node >>> 2) + NEXT] !== 0;
}

/** The node's type id. */
export function typeIdOf(u32: Uint32Array, node: number): number {
  return u32[(node >>> 2) + NODE_TYPE]! & ID_MASK;
}

/** Sets the gc refs word of every node of `head`'s list to 0 (no longer a candidate). */
export function clearCollectionFlags(u32: Uint32Array, head: number): void {
  setEveryRefsWord(u32, head, 0);
}

/** Marks every node of `head`'s list a candidate again, with no gc refs. */
export function markCollecting(u32: Uint32Array, head: number): void {
  setEveryRefsWord(u32, head, IS_CANDIDATE);
}

/**
 * Stores `word` in the gc refs word of every node of `head`'s list. The word offsets are copied
 * into locals first: this loop is compiled on its own, where each read of a module constant is
 * a context load with a hole check and a small-integer check per node (callgrind, quick gc-on:
 * 53.4M instructions in the loop with them, 39.4M without).
 */
function setEveryRefsWord(u32: Uint32Array, head: number, word: number): void {
  const next = NEXT;
  const refs = REFS;
  for (let node = u32[(head >>> 2) + next]!; node !== head; node = u32[(node >>> 2) + next]!)
    u32[(node >>> 2) + refs] = word;
}
