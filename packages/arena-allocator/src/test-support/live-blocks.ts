import { expect } from 'vitest';
import type { ArenaAllocator } from '../arena-allocator.js';

/** A block the tests believe is live: where it is, what was asked, and the pattern written in it. */
export interface LiveBlock {
  ptr: number;
  size: number;
  id: number;
}

/**
 * The model the allocator tests check against: the live blocks and their contents. Each block
 * holds its id in its first 4 bytes (when it has them) and `id & 255` in every other byte.
 */
export class LiveBlocks {
  readonly blocks: LiveBlock[] = [];
  private nextId = 1;

  constructor(private readonly heap: ArenaAllocator) {}

  /** Records a new block and writes its pattern. */
  add(ptr: number, size: number): LiveBlock {
    const block = { ptr, size, id: this.nextId++ };
    this.fill(block);
    this.blocks.push(block);
    return block;
  }

  fill(block: LiveBlock): void {
    const { u8, view } = this.heap.memory;
    u8.fill(block.id & 255, block.ptr, block.ptr + block.size);
    if (block.size >= 4) view.setUint32(block.ptr, block.id, true);
  }

  /** Asserts the block still holds its pattern over its first `size` bytes. */
  check(block: LiveBlock, size = block.size): void {
    const u8 = this.heap.memory.u8;
    const fill = block.id & 255;
    for (let i = 0; i < size; i++) {
      const expected = block.size >= 4 && i < 4 ? (block.id >>> (8 * i)) & 255 : fill;
      if (u8[block.ptr + i] !== expected) {
        expect.fail(
          `block ${block.id} at ${block.ptr} (${block.size} B): byte ${i} is ${u8[block.ptr + i]}, not ${expected}`,
        );
      }
    }
  }

  checkAll(): void {
    for (const b of this.blocks) this.check(b);
  }

  /** Removes and returns the block at index `i` (swap-remove). */
  take(i: number): LiveBlock {
    const block = this.blocks[i]!;
    const last = this.blocks.pop()!;
    if (i < this.blocks.length) this.blocks[i] = last;
    return block;
  }

  /** Asserts that no two live blocks overlap, using the allocator's usable sizes. */
  checkNoOverlap(): void {
    const sorted = [...this.blocks].sort((a, b) => a.ptr - b.ptr);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (a.ptr + this.heap.usableSize(a.ptr) > b.ptr) {
        expect.fail(`blocks at ${a.ptr} (${this.heap.usableSize(a.ptr)} B) and ${b.ptr} overlap`);
      }
    }
  }

  /** Sum of usable sizes of the live blocks. */
  usableBytes(): number {
    let total = 0;
    for (const b of this.blocks) total += this.heap.usableSize(b.ptr);
    return total;
  }

  /** The whole-heap check: validate(), no overlap, every pattern intact, stats agree. */
  verify(): void {
    this.heap.validate();
    this.checkNoOverlap();
    this.checkAll();
    const stats = this.heap.stats();
    expect(stats.blocksInUse).toBe(this.blocks.length);
    expect(stats.bytesInUse).toBe(this.usableBytes());
    const breakdown = Object.values(stats.breakdown).reduce((a, b) => a + b, 0);
    expect(breakdown).toBe(stats.heapBytes);
  }
}
