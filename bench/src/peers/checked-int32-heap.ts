/**
 * The practical limit of a *checked* refcounted object heap in JS: binary-trees' nodes written by
 * hand over one `Int32Array`, with an inline reference count and a validity check on every
 * operation (what `@heapkit/refcount` promises in release mode, minus its generality: one node
 * type, no types table, no state map, no weakrefs, finalizers, free-list caps or growth).
 *
 * ```
 *   heap (Int32Array), a node every 4 words (16 B), node 0 unused (0 is NULL):
 *   ┌──────────┬──────────┬──────────┬──────────┐
 *   │ refcount │ left     │ right    │ next free│   refcount 0: not a live node
 *   └──────────┴──────────┴──────────┴──────────┘
 * ```
 *
 * A node is its word index (a multiple of 4). Every operation checks its node: a multiple of 4,
 * inside the carved part of the heap, with a count of at least 1; a failed check throws. A
 * count reaching zero frees the node iteratively (a typed-array stack, no recursion): its
 * children are decremented and the node goes on a free list threaded through its 4th word.
 */

const RC = 0;
const LEFT = 1;
const RIGHT = 2;
const NEXT_FREE = 3;
const NODE_WORDS = 4;

export class CheckedInt32Heap {
  private readonly heap: Int32Array;
  /** First word never handed out (bump pointer). */
  private top = NODE_WORDS;
  /** First node of the free list, 0 when empty. */
  private free = 0;
  private stack = new Int32Array(1024);
  /** Nodes live now. */
  live = 0;

  /** @param capacityNodes the most nodes live at once (the heap does not grow). */
  constructor(capacityNodes: number) {
    this.heap = new Int32Array((capacityNodes + 1) * NODE_WORDS);
  }

  /** A new node with refcount 1 and no children. Cost: a free-list pop (or a bump), 3 stores. */
  alloc(): number {
    const heap = this.heap;
    let node = this.free;
    if (node !== 0) {
      this.free = heap[node + NEXT_FREE]!;
    } else {
      node = this.top;
      if (node + NODE_WORDS > heap.length) throw new Error('CheckedInt32Heap: full');
      this.top = node + NODE_WORDS;
    }
    heap[node + RC] = 1;
    heap[node + LEFT] = 0;
    heap[node + RIGHT] = 0;
    this.live++;
    return node;
  }

  /** Throws unless `node` is a live node. */
  private check(node: number): void {
    if ((node & 3) !== 0 || node <= 0 || node >= this.top || this.heap[node + RC]! < 1) invalid(node);
  }

  /** Stores `child` (a live node, or 0) as `node`'s left child, stealing the reference; drops the old one. */
  setLeft(node: number, child: number): void {
    this.check(node);
    if (child !== 0) this.check(child);
    const heap = this.heap;
    const old = heap[node + LEFT]!;
    heap[node + LEFT] = child;
    if (old !== 0) this.decref(old);
  }

  /** Stores `child` (a live node, or 0) as `node`'s right child, stealing the reference; drops the old one. */
  setRight(node: number, child: number): void {
    this.check(node);
    if (child !== 0) this.check(child);
    const heap = this.heap;
    const old = heap[node + RIGHT]!;
    heap[node + RIGHT] = child;
    if (old !== 0) this.decref(old);
  }

  /** `node`'s left child (borrowed), or 0. */
  left(node: number): number {
    this.check(node);
    return this.heap[node + LEFT]!;
  }

  /** `node`'s right child (borrowed), or 0. */
  right(node: number): number {
    this.check(node);
    return this.heap[node + RIGHT]!;
  }

  /** Drops a reference; at zero the node and whatever it alone held are freed, iteratively. */
  decref(node: number): void {
    this.check(node);
    const heap = this.heap;
    const rc = heap[node + RC]! - 1;
    heap[node + RC] = rc;
    if (rc === 0) this.release(node);
  }

  private release(node: number): void {
    const heap = this.heap;
    let stack = this.stack;
    let top = 0;
    stack[top++] = node;
    while (top > 0) {
      const dead = stack[--top]!;
      for (let slot = LEFT; slot <= RIGHT; slot++) {
        const child = heap[dead + slot]!;
        if (child === 0) continue;
        this.check(child);
        const rc = heap[child + RC]! - 1;
        heap[child + RC] = rc;
        if (rc === 0) {
          if (top === stack.length) {
            const grown = new Int32Array(stack.length * 2);
            grown.set(stack);
            stack = grown;
            this.stack = grown;
          }
          stack[top++] = child;
        }
      }
      heap[dead + RC] = 0;
      heap[dead + NEXT_FREE] = this.free;
      this.free = dead;
      this.live--;
    }
  }
}

function invalid(node: number): never {
  throw new Error(`CheckedInt32Heap: ${node} is not a live node`);
}
