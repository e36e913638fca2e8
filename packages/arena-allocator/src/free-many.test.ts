import { DoubleFreeError, InvalidPointerError, Memory } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { POOL_HEADER_BYTES } from './pool-header.js';
import { type LiveBlock, LiveBlocks } from './test-support/live-blocks.js';
import { sharedHeaps } from './test-support/shared-heaps.js';
import { thrownBy } from './test-support/thrown-by.js';

/**
 * `freeMany(ptrs, count)`: the outcome of `free` on each block in order, with less work for a
 * batch (a pool whose every block is in the batch goes back whole). Bad entries are skipped and
 * the first error is thrown at the end; bad arguments free nothing.
 */

const POOL = 16 * 1024;
const BLOCK = 32;
/** Blocks of 32 B in one 16 KiB pool. */
const PER_POOL = Math.floor((POOL - POOL_HEADER_BYTES) / BLOCK);

function poolOf(ptr: number): number {
  return ptr - (ptr % POOL);
}

function poolsOfClass(heap: ArenaAllocator, size: number): number {
  return heap.stats().sizeClasses.find((c) => (c.sizeClass + 1) * 16 === size)?.pools ?? 0;
}

/** `n` blocks of `size` in a fresh allocator's model, grouped by pool. */
function filled(
  heap: ArenaAllocator,
  n: number,
  size = BLOCK,
): { live: LiveBlocks; byPool: Map<number, LiveBlock[]> } {
  const live = new LiveBlocks(heap);
  const byPool = new Map<number, LiveBlock[]>();
  for (let i = 0; i < n; i++) {
    const block = live.add(heap.malloc(size), size);
    const pool = poolOf(block.ptr);
    byPool.set(pool, [...(byPool.get(pool) ?? []), block]);
  }
  return { live, byPool };
}

function batch(blocks: readonly LiveBlock[]): Uint32Array {
  return Uint32Array.from(blocks, (b) => b.ptr);
}

function drop(live: LiveBlocks, freed: readonly LiveBlock[]): void {
  const gone = new Set(freed);
  for (let i = live.blocks.length - 1; i >= 0; i--) if (gone.has(live.blocks[i]!)) live.take(i);
}

function expectFreed(heap: ArenaAllocator, blocks: readonly LiveBlock[]): void {
  for (const b of blocks) expect(thrownBy(() => heap.usableSize(b.ptr))).toBeInstanceOf(InvalidPointerError);
}

describe('ArenaAllocator.freeMany', () => {
  it('releases a pool whole when the batch holds its every block, and the pool is used again', () => {
    const heap = new ArenaAllocator();
    const { live, byPool } = filled(heap, 3 * PER_POOL);
    const pools = [...byPool.keys()];
    expect(pools).toHaveLength(3);
    const whole = byPool.get(pools[1]!)!;
    expect(whole).toHaveLength(PER_POOL);
    expect(poolsOfClass(heap, BLOCK)).toBe(3);

    heap.freeMany(batch(whole), whole.length);
    drop(live, whole);
    expectFreed(heap, whole);
    expect(poolsOfClass(heap, BLOCK)).toBe(2);
    heap.validate();
    live.checkAll();

    // The released pool is carved again from its start for the next blocks.
    const again = filled(heap, PER_POOL);
    expect(again.byPool.has(pools[1]!)).toBe(true);
    heap.validate();
    live.checkAll();
    again.live.checkAll();
  });

  it('frees a run that does not cover its pool block by block: the pool stays, its free list serves the next mallocs', () => {
    const heap = new ArenaAllocator();
    const { live, byPool } = filled(heap, PER_POOL + 10);
    const [first] = byPool.values();
    const some = first!.slice(0, 100);
    heap.freeMany(batch(some), some.length);
    drop(live, some);
    expectFreed(heap, some);
    expect(poolsOfClass(heap, BLOCK)).toBe(2);
    heap.validate();
    live.checkAll();
    const reused = new Set(some.map((b) => b.ptr));
    let hits = 0;
    for (let i = 0; i < 100; i++) if (reused.has(live.add(heap.malloc(BLOCK), BLOCK).ptr)) hits++;
    expect(hits).toBe(100);
    heap.validate();
    live.checkAll();
  });

  it('frees a mix of classes, large blocks and 0 as free would, in any order', () => {
    const heap = new ArenaAllocator();
    const live = new LiveBlocks(heap);
    const sizes = [16, 48, 200, 512, 4000, 100_000, 24, 64];
    for (let i = 0; i < 400; i++) live.add(heap.malloc(sizes[i % sizes.length]!), sizes[i % sizes.length]!);
    const freed = live.blocks.filter((_, i) => i % 3 !== 0);
    const ptrs = new Uint32Array(freed.length + 2);
    ptrs.set(batch(freed), 1); // a 0 at each end
    heap.freeMany(ptrs, ptrs.length);
    drop(live, freed);
    expectFreed(heap, freed);
    heap.validate();
    live.checkAll();
    expect(heap.stats().bytesInUse).toBe(live.blocks.reduce((sum, b) => sum + heap.usableSize(b.ptr), 0));
  });

  it('skips bad entries, frees every other block, then throws the first error', () => {
    const heap = new ArenaAllocator();
    const { live, byPool } = filled(heap, 2 * PER_POOL);
    const [first, second] = byPool.values();
    const good = [...first!, ...second!.slice(0, 5)];
    const ptrs = batch(good);
    const withBad = new Uint32Array(ptrs.length + 3);
    withBad.set(ptrs.subarray(0, 10), 0);
    withBad[10] = ptrs[3]!; // a double free within the batch
    withBad[11] = 12_345; // not a block
    withBad.set(ptrs.subarray(10), 12);
    withBad[withBad.length - 1] = ptrs[0]!; // and another double free, after the first error
    const error = thrownBy(() => heap.freeMany(withBad, withBad.length));
    expect(error).toBeInstanceOf(DoubleFreeError);
    expect(error.message).toContain('free');
    drop(live, good);
    expectFreed(heap, good);
    heap.validate();
    live.checkAll();
  });

  it('rejects bad arguments with a TypeError or RangeError, freeing nothing', () => {
    const heap = new ArenaAllocator();
    const { live } = filled(heap, 20);
    const ptrs = batch(live.blocks);
    const calls: [unknown, unknown, ErrorConstructor, RegExp][] = [
      [[...ptrs], ptrs.length, TypeError, /ptrs must be a Uint32Array, got/],
      [new Int32Array(ptrs), ptrs.length, TypeError, /Uint32Array/],
      [ptrs, ptrs.length + 1, RangeError, /count must be an integer from 0 to ptrs.length \(20\), got 21/],
      [ptrs, -1, RangeError, /got -1/],
      [ptrs, 1.5, RangeError, /got 1.5/],
      [ptrs, '3', RangeError, /count/],
      [ptrs, undefined, RangeError, /count/],
    ];
    for (const [p, n, type, message] of calls) {
      const error = thrownBy(() => heap.freeMany(p as Uint32Array, n as number));
      expect(error).toBeInstanceOf(type);
      expect(error.message).toMatch(message);
    }
    heap.validate();
    live.checkAll();
    for (const b of live.blocks) expect(heap.usableSize(b.ptr)).toBeGreaterThanOrEqual(BLOCK);
  });

  it('frees through free in debug mode and in a shared heap, with the same outcome', () => {
    const debug = new ArenaAllocator({ debug: true });
    const [owner, other] = sharedHeaps(2);
    for (const [heap, freer] of [
      [debug, debug],
      [owner!, owner!],
      [owner!, other!], // another allocator's blocks: remote frees
    ] as const) {
      const { live } = filled(heap, PER_POOL + 7);
      const gone = live.blocks.slice(3);
      const ptrs = batch(gone);
      const error = thrownBy(() => freer.freeMany(Uint32Array.of(...ptrs, ptrs[0]!), ptrs.length + 1));
      expect(error).toBeInstanceOf(DoubleFreeError);
      drop(live, gone);
      other!.reclaim();
      owner!.reclaim();
      heap.validate();
      live.checkAll();
      for (const b of gone) expect(thrownBy(() => heap.free(b.ptr))).toBeInstanceOf(InvalidPointerError);
      for (const b of [...live.blocks]) heap.free(b.ptr);
    }
  });

  it('matches a model under random mallocs, frees and batches (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('malloc' as const),
              size: fc.constantFrom(16, 32, 48, 100, 600),
              n: fc.integer({ min: 1, max: 700 }),
            }),
            fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
            fc.record({
              kind: fc.constant('freeMany' as const),
              share: fc.double({ min: 0, max: 1, noNaN: true }),
              byAddress: fc.boolean(),
              seed: fc.nat(),
            }),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        (ops) => {
          const heap = new ArenaAllocator({ memory: new Memory({ maxBytes: 64 << 20 }) });
          const live = new LiveBlocks(heap);
          for (const op of ops) {
            if (op.kind === 'malloc') {
              for (let i = 0; i < op.n; i++) live.add(heap.malloc(op.size), op.size);
            } else if (op.kind === 'free') {
              if (live.blocks.length > 0) heap.free(live.take(op.pick % live.blocks.length).ptr);
            } else {
              // A share of the live blocks, in address order (as a collector's garbage mostly
              // comes) or shuffled.
              let s = op.seed | 1;
              const chosen = live.blocks.filter(() => {
                s = (s * 1_103_515_245 + 12_345) >>> 0;
                return s / 2 ** 32 < op.share;
              });
              if (op.byAddress) chosen.sort((a, b) => a.ptr - b.ptr);
              heap.freeMany(batch(chosen), chosen.length);
              drop(live, chosen);
            }
          }
          heap.validate();
          live.checkAll();
          const usable = live.blocks.reduce((sum, b) => sum + heap.usableSize(b.ptr), 0);
          expect(heap.stats().bytesInUse).toBe(usable);
        },
      ),
      { numRuns: 60 },
    );
  });
});
