/**
 * The live traces of one domain: an open-addressed hash table from block pointer to (size,
 * traceback id, weight), with linear probing and backward-shift deletion (no tombstones, so a
 * long churn never degrades it).
 *
 * ```
 *   slot i:  keys[i]        the block's Ptr; 0 = empty (0 is NULL, never a block)
 *            sizes[i]       requested size in bytes
 *            tracebacks[i]  traceback id in the profiler's TracebackTable
 *            weights[i]     blocks this trace stands for (1 unless sampling)
 * ```
 *
 * Capacity is a power of two, at most half full. A lookup costs one multiply and, at that load,
 * about 1.5 probes on a hit and 2.5 on a miss; nothing allocates except growth.
 */

export class TraceTable {
  keys = new Uint32Array(1024);
  sizes = new Uint32Array(1024);
  tracebacks = new Uint32Array(1024);
  weights = new Float64Array(1024);
  count = 0;
  private mask = 1023;
  private shift = 22; // 32 - log2(capacity): the hash keeps the product's top bits

  /** The slot holding `ptr`, or -1. */
  find(ptr: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let slot = Math.imul(ptr, 0x9e3779b1) >>> this.shift; ; slot = (slot + 1) & mask) {
      const key = keys[slot]!;
      if (key === ptr) return slot;
      if (key === 0) return -1;
    }
  }

  /**
   * Records a trace for `ptr` and returns its slot. When `ptr` already has one (a block freed
   * behind the profiler's back), it is overwritten: the caller checks {@link find} first to
   * account for the old size.
   */
  insert(ptr: number, size: number, traceback: number, weight: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let slot = Math.imul(ptr, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const key = keys[slot]!;
      if (key === 0 || key === ptr) break;
      slot = (slot + 1) & mask;
    }
    if (keys[slot] === 0) {
      keys[slot] = ptr;
      this.count++;
    }
    this.sizes[slot] = size;
    this.tracebacks[slot] = traceback;
    this.weights[slot] = weight;
    if (this.count * 2 > keys.length) {
      this.rehash(keys.length * 2);
      return this.find(ptr);
    }
    return slot;
  }

  /** Removes the trace in `slot`, shifting later entries of its probe run back. */
  removeAt(slot: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; keys[next] !== 0; next = (next + 1) & mask) {
      const home = Math.imul(keys[next]!, 0x9e3779b1) >>> this.shift;
      // Move `next` into the hole unless its home lies cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        keys[hole] = keys[next]!;
        this.sizes[hole] = this.sizes[next]!;
        this.tracebacks[hole] = this.tracebacks[next]!;
        this.weights[hole] = this.weights[next]!;
        hole = next;
      }
    }
    keys[hole] = 0;
    this.count--;
  }

  /** Forgets every trace (keeps the capacity). */
  clear(): void {
    this.keys.fill(0);
    this.count = 0;
  }

  /** Bytes held by the table's arrays. */
  byteSize(): number {
    return (
      this.keys.byteLength + this.sizes.byteLength + this.tracebacks.byteLength + this.weights.byteLength
    );
  }

  private rehash(capacity: number): void {
    const { keys, sizes, tracebacks, weights } = this;
    this.keys = new Uint32Array(capacity);
    this.sizes = new Uint32Array(capacity);
    this.tracebacks = new Uint32Array(capacity);
    this.weights = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== 0) this.insert(keys[i]!, sizes[i]!, tracebacks[i]!, weights[i]!);
    }
  }
}
