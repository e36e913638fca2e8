/**
 * The live traces of one domain: an open-addressed hash table from block pointer to (size,
 * traceback id, weight), with linear probing and backward-shift deletion (no tombstones, so a
 * long churn never degrades it).
 *
 * ```
 *   slot i, 16 bytes, in one Uint32Array (a Float32Array view reads the weight):
 *     data[4i + 0]  the block's Ptr; 0 = empty (0 is NULL, never a block)
 *     data[4i + 1]  requested size in bytes
 *     data[4i + 2]  traceback id in the profiler's TracebackTable
 *     f32[4i + 3]   blocks this trace stands for (1 unless sampling; a float32)
 * ```
 *
 * The fields of a slot share a cache line, so a lookup, an insert or a delete touches one or
 * two lines (a table of 10,000 traces is far bigger than L1, and the blocks arrive in random
 * order: misses, not instructions, are what a trace costs). Capacity is a power of two, at most
 * a quarter full (64..128 bytes per live trace: short probe runs keep deletion's backward shift
 * short); nothing allocates except growth.
 */

const INITIAL_CAPACITY = 1024;

export class TraceTable {
  /** The slots, 4 words each (see the layout above). */
  data = new Uint32Array(INITIAL_CAPACITY * 4);
  /** The same memory as float32, for the weights. */
  private f32 = new Float32Array(this.data.buffer);
  /** Traces held. */
  count = 0;
  /** Slots. */
  capacity = INITIAL_CAPACITY;
  private mask = INITIAL_CAPACITY - 1;

  /**
   * The home slot of a pointer: its 16-byte granule number, folded with the bits above 256 KiB,
   * modulo the capacity. Unlike a multiplicative hash this keeps neighbouring blocks in
   * neighbouring slots, so the allocator's locality (a freed block is soon reused, blocks of a
   * pool are contiguous) carries over to the table's cache lines; the fold keeps blocks exactly
   * 256 KiB apart (arenas, pools) from piling onto one slot. Measured on the profiler bench: a
   * third less time per traced step than Knuth's multiplicative hash.
   */
  home(ptr: number): number {
    return ((ptr >>> 4) ^ (ptr >>> 18)) & this.mask;
  }

  /**
   * False when `ptr` certainly has no trace: its home slot is empty (with linear probing an entry
   * is never separated from its home slot by an empty one). One multiply and one load: the
   * traced allocators' free fast path, which skips {@link find} for most blocks when sampling.
   */
  mayHold(ptr: number): boolean {
    return this.data[this.home(ptr) << 2] !== 0;
  }

  /** The slot holding `ptr`, or -1. */
  find(ptr: number): number {
    const data = this.data;
    const mask = this.mask;
    for (let slot = this.home(ptr); ; slot = (slot + 1) & mask) {
      const key = data[slot << 2]!;
      if (key === ptr) return slot;
      if (key === 0) return -1;
    }
  }

  /** The block pointer in `slot` (0: empty). */
  keyAt(slot: number): number {
    return this.data[slot << 2]!;
  }

  /** The requested size of the trace in `slot`. */
  sizeAt(slot: number): number {
    return this.data[(slot << 2) + 1]!;
  }

  /** The traceback id of the trace in `slot`. */
  tracebackAt(slot: number): number {
    return this.data[(slot << 2) + 2]!;
  }

  /** The weight of the trace in `slot`. */
  weightAt(slot: number): number {
    return this.f32[(slot << 2) + 3]!;
  }

  /**
   * Records a trace for `ptr` (`weight` must be a float32 value: `Math.fround`). When `ptr`
   * already has one (a block freed behind the profiler's back), it is overwritten, and its
   * `size * weight` is returned so the caller can account for it; otherwise 0.
   */
  insert(ptr: number, size: number, traceback: number, weight: number): number {
    const data = this.data;
    const mask = this.mask;
    let slot = this.home(ptr);
    for (;;) {
      const key = data[slot << 2]!;
      if (key === 0 || key === ptr) break;
      slot = (slot + 1) & mask;
    }
    const at = slot << 2;
    let replaced = 0;
    if (data[at] === 0) {
      data[at] = ptr;
      this.count++;
    } else {
      replaced = data[at + 1]! * this.f32[at + 3]!;
    }
    data[at + 1] = size;
    data[at + 2] = traceback;
    this.f32[at + 3] = weight;
    if (this.count * 4 > this.capacity) this.rehash(this.capacity * 2);
    return replaced;
  }

  /** Removes the trace in `slot`, shifting later entries of its probe run back. */
  removeAt(slot: number): void {
    const data = this.data;
    const mask = this.mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; data[next << 2] !== 0; next = (next + 1) & mask) {
      const home = this.home(data[next << 2]!);
      // Move `next` into the hole unless its home lies cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        const to = hole << 2;
        const from = next << 2;
        data[to] = data[from]!;
        data[to + 1] = data[from + 1]!;
        data[to + 2] = data[from + 2]!;
        data[to + 3] = data[from + 3]!; // the weight's bits, copied as a word
        hole = next;
      }
    }
    data[hole << 2] = 0;
    this.count--;
  }

  /** Forgets every trace (keeps the capacity). */
  clear(): void {
    this.data.fill(0);
    this.count = 0;
  }

  /** Bytes held by the table. */
  byteSize(): number {
    return this.data.byteLength;
  }

  private rehash(capacity: number): void {
    const old = this.data;
    const oldF32 = this.f32;
    this.data = new Uint32Array(capacity * 4);
    this.f32 = new Float32Array(this.data.buffer);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.count = 0;
    for (let at = 0; at < old.length; at += 4) {
      if (old[at] !== 0) this.insert(old[at]!, old[at + 1]!, old[at + 2]!, oldF32[at + 3]!);
    }
  }
}
