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
 * Capacity is a power of two, at most a quarter full (20 bytes a slot, so 80 bytes per live
 * trace): short probe runs keep lookups at one or two probes and make deletion's backward shift
 * short. Nothing allocates except growth.
 */

/** The multiplier of the pointer hash (Knuth's multiplicative hashing, 2^32 / φ). */
export const TRACE_HASH = 0x9e3779b1;

export class TraceTable {
  keys = new Uint32Array(1024);
  sizes = new Uint32Array(1024);
  tracebacks = new Uint32Array(1024);
  weights = new Float64Array(1024);
  count = 0;
  private mask = 1023;
  /** 32 - log2(capacity): a pointer's home slot is `Math.imul(ptr, HASH) >>> shift`. */
  shift = 22;

  /**
   * False when `ptr` certainly has no trace: its home slot is empty (with linear probing an entry
   * is never separated from its home slot by an empty one). One multiply and one load: the
   * traced allocators' free fast path, which skips {@link find} for most blocks when sampling.
   */
  mayHold(ptr: number): boolean {
    return this.keys[Math.imul(ptr, TRACE_HASH) >>> this.shift] !== 0;
  }

  /** The slot holding `ptr`, or -1. */
  find(ptr: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let slot = Math.imul(ptr, TRACE_HASH) >>> this.shift; ; slot = (slot + 1) & mask) {
      const key = keys[slot]!;
      if (key === ptr) return slot;
      if (key === 0) return -1;
    }
  }

  /**
   * Records a trace for `ptr`. When `ptr` already has one (a block freed behind the profiler's
   * back), it is overwritten, and its `size * weight` is returned so the caller can account for
   * it; otherwise 0.
   */
  insert(ptr: number, size: number, traceback: number, weight: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let slot = Math.imul(ptr, TRACE_HASH) >>> this.shift;
    for (;;) {
      const key = keys[slot]!;
      if (key === 0 || key === ptr) break;
      slot = (slot + 1) & mask;
    }
    let replaced = 0;
    if (keys[slot] === 0) {
      keys[slot] = ptr;
      this.count++;
    } else {
      replaced = this.sizes[slot]! * this.weights[slot]!;
    }
    this.sizes[slot] = size;
    this.tracebacks[slot] = traceback;
    this.weights[slot] = weight;
    if (this.count * 4 > keys.length) this.rehash(keys.length * 2);
    return replaced;
  }

  /** Removes the trace in `slot`, shifting later entries of its probe run back. */
  removeAt(slot: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; keys[next] !== 0; next = (next + 1) & mask) {
      const home = Math.imul(keys[next]!, TRACE_HASH) >>> this.shift;
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
