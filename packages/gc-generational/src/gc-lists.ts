/**
 * Doubly linked lists through the GC pre-header (CPython's `gc_list_*`). A node is the address of
 * an object's pre-header (the block: object pointer minus `GC_HEAD_BYTES`); a list head is a
 * 16-byte block of the same shape that belongs to the collector. Every function takes the
 * memory's current `u32` view: read it again after anything that can run user code.
 *
 * ```
 *   node ──► ┌───────────┬───────────┬───────────────────┬───────────┐
 *            │ next      │ prev      │ gc refs │ flags   │ order     │   (the refcount header follows)
 *            └───────────┴───────────┴───────────────────┴───────────┘
 *   Words GC_NEXT_WORD, GC_PREV_WORD, GC_REFS_WORD of @heapkit/refcount's header.ts; the fourth
 *   word is the tracking order number (tracking-order.ts).
 *   next == 0: the object is not tracked.
 *   The gc refs word: gc refs in bits 2..31, flags in bits 0-1 (one read and one write per
 *   visit, as CPython packs both in _gc_prev): COLLECTING (in the set being collected),
 *   UNREACHABLE (tentatively unreachable).
 * ```
 */
import * as header from '@heapkit/refcount';

// Module-local copies: V8 folds a module's own constants into the code of a function it inlines,
// but reads an imported binding through its cell (a load and a hole check) at every use.
const { GC_NEXT_WORD, GC_PREV_WORD } = header;

/** Makes `head` an empty list. */
export function listInit(u32: Uint32Array, head: number): void {
  u32[(head >>> 2) + GC_NEXT_WORD] = head;
  u32[(head >>> 2) + GC_PREV_WORD] = head;
}

export function listIsEmpty(u32: Uint32Array, head: number): boolean {
  return u32[(head >>> 2) + GC_NEXT_WORD] === head;
}

/** The first node of the list (the head itself when empty). */
export function listFirst(u32: Uint32Array, head: number): number {
  return u32[(head >>> 2) + GC_NEXT_WORD]!;
}

export function listNext(u32: Uint32Array, node: number): number {
  return u32[(node >>> 2) + GC_NEXT_WORD]!;
}

/** Appends an unlinked node at the end of the list. */
export function listAppend(u32: Uint32Array, node: number, head: number): void {
  const h = head >>> 2;
  const last = u32[h + GC_PREV_WORD]!;
  const n = node >>> 2;
  u32[n + GC_NEXT_WORD] = head;
  u32[n + GC_PREV_WORD] = last;
  u32[(last >>> 2) + GC_NEXT_WORD] = node;
  u32[h + GC_PREV_WORD] = node;
}

/** Inserts an unlinked node at the front of the list. */
export function listPrepend(u32: Uint32Array, node: number, head: number): void {
  const h = head >>> 2;
  const first = u32[h + GC_NEXT_WORD]!;
  const n = node >>> 2;
  u32[n + GC_NEXT_WORD] = first;
  u32[n + GC_PREV_WORD] = head;
  u32[(first >>> 2) + GC_PREV_WORD] = node;
  u32[h + GC_NEXT_WORD] = node;
}

/** Takes a node off its list and marks it untracked (next = prev = 0). */
export function listRemove(u32: Uint32Array, node: number): void {
  const n = node >>> 2;
  const next = u32[n + GC_NEXT_WORD]!;
  const prev = u32[n + GC_PREV_WORD]!;
  u32[(prev >>> 2) + GC_NEXT_WORD] = next;
  u32[(next >>> 2) + GC_PREV_WORD] = prev;
  u32[n + GC_NEXT_WORD] = 0;
  u32[n + GC_PREV_WORD] = 0;
}

/** Moves a node from whatever list it is on to the end of `head`'s list. */
export function listMove(u32: Uint32Array, node: number, head: number): void {
  const n = node >>> 2;
  const next = u32[n + GC_NEXT_WORD]!;
  const prev = u32[n + GC_PREV_WORD]!;
  u32[(prev >>> 2) + GC_NEXT_WORD] = next;
  u32[(next >>> 2) + GC_PREV_WORD] = prev;
  listAppend(u32, node, head);
}

/**
 * Moves the run of nodes `first` .. `last` (linked in that order in some list) to the end of
 * `head`'s list, in O(1).
 */
export function listMoveRun(u32: Uint32Array, first: number, last: number, head: number): void {
  const before = u32[(first >>> 2) + GC_PREV_WORD]!;
  const after = u32[(last >>> 2) + GC_NEXT_WORD]!;
  u32[(before >>> 2) + GC_NEXT_WORD] = after;
  u32[(after >>> 2) + GC_PREV_WORD] = before;
  const h = head >>> 2;
  const tail = u32[h + GC_PREV_WORD]!;
  u32[(tail >>> 2) + GC_NEXT_WORD] = first;
  u32[(first >>> 2) + GC_PREV_WORD] = tail;
  u32[(last >>> 2) + GC_NEXT_WORD] = head;
  u32[h + GC_PREV_WORD] = last;
}

/** Appends every node of `from` to `to`, leaving `from` empty. */
export function listMerge(u32: Uint32Array, from: number, to: number): void {
  if (listIsEmpty(u32, from)) return;
  const f = from >>> 2;
  const t = to >>> 2;
  const first = u32[f + GC_NEXT_WORD]!;
  const last = u32[f + GC_PREV_WORD]!;
  const tail = u32[t + GC_PREV_WORD]!;
  u32[(tail >>> 2) + GC_NEXT_WORD] = first;
  u32[(first >>> 2) + GC_PREV_WORD] = tail;
  u32[(last >>> 2) + GC_NEXT_WORD] = to;
  u32[t + GC_PREV_WORD] = last;
  listInit(u32, from);
}

/** Puts every node of `from` in front of those of `to`, leaving `from` empty. */
export function listMergeFront(u32: Uint32Array, from: number, to: number): void {
  if (listIsEmpty(u32, from)) return;
  const f = from >>> 2;
  const t = to >>> 2;
  const first = u32[f + GC_NEXT_WORD]!;
  const last = u32[f + GC_PREV_WORD]!;
  const oldFirst = u32[t + GC_NEXT_WORD]!;
  u32[t + GC_NEXT_WORD] = first;
  u32[(first >>> 2) + GC_PREV_WORD] = to;
  u32[(last >>> 2) + GC_NEXT_WORD] = oldFirst;
  u32[(oldFirst >>> 2) + GC_PREV_WORD] = last;
  listInit(u32, from);
}

/** The number of nodes on the list. */
export function listSize(u32: Uint32Array, head: number): number {
  let n = 0;
  for (let node = u32[(head >>> 2) + GC_NEXT_WORD]!; node !== head; node = u32[(node >>> 2) + GC_NEXT_WORD]!)
    n++;
  return n;
}
