/**
 * Free lists of object blocks, by block size (as CPython keeps free lists of tuples, floats,
 * lists and dicts): a freed object's block is kept here instead of going back to the allocator,
 * and the next object of the same block size reuses it. Allocating and freeing a small object is
 * then a pop and a push, which matters when a runtime frees and rebuilds whole structures.
 *
 * The lists are intrusive: a cached block's first word links to the next block of its size.
 * They hold at most `limitBytes` in all; `clear()` gives everything back to the allocator (a full
 * collection does it too, as CPython's `gc.collect()` clears its free lists).
 *
 * An allocator with the optional `noteCached`/`noteReused` hooks is told of every push and pop
 * (`@heapkit/memory`'s `Allocator`): for a tracer, a cached block is free and a reused one is a
 * new allocation made at that moment. `clear()` then frees blocks the tracer already counts
 * as free.
 *
 * ```
 *   heads[c]  c = blockBytes >>> 3 (8-byte steps up to MAX_BLOCK_BYTES)
 *      │
 *      ▼
 *   ┌──────┬────┐   ┌──────┬────┐
 *   │ next ├──… │──►│  0   │ …  │
 *   └──────┴────┘   └──────┴────┘
 * ```
 */
import type { Allocator } from '@heapkit/memory';

/** Blocks up to this size are cached. */
export const MAX_BLOCK_BYTES = 512;
/** Default cap of the bytes held in all free lists. */
export const DEFAULT_FREE_LIST_BYTES = 4 << 20;
/** The number of size classes: a block of `bytes` is in class `bytes >>> 3`, below this. */
export const SIZE_CLASSES = (MAX_BLOCK_BYTES >>> 3) + 1;
// A module-local copy: V8 loads an exported binding (and checks it for the TDZ hole) at every
// use, but folds a module's own constants.
const CLASSES = SIZE_CLASSES;

export class FreeLists {
  /**
   * First cached block of each size class, 0 when none. The deallocation loop pushes onto it
   * inline (see {@link inlineLimit}); everything else goes through {@link push} and {@link pop}.
   */
  readonly heads = new Int32Array(CLASSES);
  /** Bytes held in all lists. */
  bytes = 0;

  /**
   * True when the allocator has `noteCached` and `noteReused` (tested once, here): every push
   * then tells it the block is free for accounting, and every pop that it is allocated again,
   * so an allocator-level tracer (the profiler) sees the truth through the free lists.
   */
  declare private readonly notes: boolean;
  declare private readonly allocator: Allocator;
  /** Cap on {@link bytes}; 0 turns the free lists off. */
  declare readonly limitBytes: number;

  // The fields set here are `declare`d: a class field is first defined as undefined, and a
  // field that held undefined and then a number is no longer known to hold a small integer.
  constructor(allocator: Allocator, limitBytes: number) {
    this.allocator = allocator;
    this.limitBytes = limitBytes;
    this.notes = typeof allocator.noteCached === 'function' && typeof allocator.noteReused === 'function';
  }

  /**
   * The cap up to which a caller may push inline, keeping {@link heads} and {@link bytes} in
   * locals as {@link push} does (link the block's first word to the class's head, make it the
   * head, add its bytes; classes below `SIZE_CLASSES` only) and writing `bytes` back before it
   * runs any other code: `limitBytes`, or 0 when every push must go through {@link push} (the
   * allocator takes notes). The deallocation loop does this, a block per dying object.
   */
  get inlineLimit(): number {
    return this.notes ? 0 : this.limitBytes;
  }

  /**
   * A cached block of exactly `blockBytes` (a multiple of 8), or 0. `i32` is the memory's
   * current view (the caller has it at hand; a link is a pointer stored as a signed word).
   */
  pop(i32: Int32Array, blockBytes: number): number {
    const c = blockBytes >>> 3;
    if (c >= CLASSES) return 0;
    const block = this.heads[c]!;
    if (block !== 0) {
      this.heads[c] = i32[block >>> 2]!;
      this.bytes -= blockBytes;
      if (this.notes) this.allocator.noteReused!(block >>> 0, blockBytes);
    }
    return block >>> 0;
  }

  /** Keeps a freed block of `blockBytes`; false (and nothing kept) when it does not fit. */
  push(i32: Int32Array, block: number, blockBytes: number): boolean {
    const c = blockBytes >>> 3;
    if (c >= CLASSES || this.bytes + blockBytes > this.limitBytes) return false;
    i32[block >>> 2] = this.heads[c]!;
    this.heads[c] = block;
    this.bytes += blockBytes;
    if (this.notes) this.allocator.noteCached!(block);
    return true;
  }

  /** Gives every cached block back to the allocator. Returns the number of blocks freed. */
  clear(): number {
    let freed = 0;
    const heads = this.heads;
    for (let c = 0; c < heads.length; c++) {
      let block = heads[c]! >>> 0;
      heads[c] = 0;
      while (block !== 0) {
        const next = this.allocator.memory.u32[block >>> 2]!;
        this.allocator.free(block);
        freed++;
        block = next;
      }
    }
    this.bytes = 0;
    return freed;
  }
}
