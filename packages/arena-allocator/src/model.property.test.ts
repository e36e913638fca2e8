import { InvalidPointerError, Memory } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import type { ArenaAllocatorOptions } from './config.js';
import { LiveBlocks } from './test-support/live-blocks.js';

/**
 * Random malloc / calloc / realloc / free sequences against a model of the live blocks.
 * Checked after every operation: the pointer is 16-byte aligned, usableSize >= requested,
 * contents survive realloc; every 200 operations and at the end: validate(), no overlap,
 * every block's pattern intact, stats() bytes in use == sum of usable sizes.
 */

type Op =
  | { kind: 'malloc'; size: number }
  | { kind: 'calloc'; count: number; size: number }
  | { kind: 'realloc'; pick: number; size: number }
  | { kind: 'free'; pick: number };

const smallSize = fc.integer({ min: 0, max: 512 });
const mediumSize = fc.integer({ min: 513, max: 16 * 1024 });
const largeSize = fc.integer({ min: 16 * 1024, max: 256 * 1024 });
const size = fc.oneof(
  { weight: 12, arbitrary: smallSize },
  { weight: 3, arbitrary: mediumSize },
  { weight: 1, arbitrary: largeSize },
);
const pick = fc.nat({ max: 1 << 30 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: size.map((s) => ({ kind: 'malloc' as const, size: s })) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('calloc' as const),
      count: fc.integer({ min: 0, max: 16 }),
      size: smallSize,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('realloc' as const), pick, size }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick }) },
);

/** Configurations: CPython's defaults and others that move every boundary. */
const configs: Array<{ name: string; options: () => ArenaAllocatorOptions; mayExhaust?: boolean }> = [
  { name: 'defaults (16 KiB pools, 1 MiB arenas, 512 B threshold)', options: () => ({}) },
  {
    name: 'small pools and arenas, 256 B threshold',
    options: () => ({ poolSize: 4096, arenaSize: 65536, smallThreshold: 256 }),
  },
  {
    name: '64 KiB pools',
    options: () => ({ poolSize: 65536, arenaSize: 1 << 18 }),
  },
  {
    name: 'no block cache (every free goes straight to its pool, as in CPython)',
    options: () => ({ blockCache: 0 }),
  },
  { name: 'debug mode', options: () => ({ debug: true, arenaSize: 1 << 18 }) },
  {
    name: 'a 3 MiB memory that runs out',
    options: () => ({ memory: new Memory({ initialBytes: 1 << 20, maxBytes: 3 << 20 }), arenaSize: 1 << 18 }),
    mayExhaust: true,
  },
];

function run(options: ArenaAllocatorOptions, ops: Op[], mayExhaust: boolean): number {
  const heap = new ArenaAllocator(options);
  const live = new LiveBlocks(heap);
  let exhausted = 0;
  const expectAllocation = (ptr: number, requested: number): boolean => {
    if (ptr === 0) {
      if (!mayExhaust) expect.fail(`allocation of ${requested} bytes failed without a memory limit`);
      exhausted++;
      return false;
    }
    expect(ptr % 16).toBe(0);
    expect(heap.usableSize(ptr)).toBeGreaterThanOrEqual(requested);
    return true;
  };
  ops.forEach((o, i) => {
    switch (o.kind) {
      case 'malloc': {
        const p = heap.malloc(o.size);
        if (expectAllocation(p, o.size)) live.add(p, o.size);
        break;
      }
      case 'calloc': {
        const p = heap.calloc(o.count, o.size);
        const n = o.count * o.size;
        if (expectAllocation(p, n)) {
          const u8 = heap.memory.u8;
          for (let k = 0; k < n; k++) if (u8[p + k] !== 0) expect.fail(`calloc byte ${k} is ${u8[p + k]}`);
          live.add(p, n);
        }
        break;
      }
      case 'realloc': {
        if (live.blocks.length === 0) break;
        const index = o.pick % live.blocks.length;
        const block = live.blocks[index]!;
        live.check(block);
        const q = heap.realloc(block.ptr, o.size);
        if (!expectAllocation(q, o.size)) {
          live.check(block); // a failed realloc leaves the old block as it was
          break;
        }
        live.take(index);
        live.check({ ...block, ptr: q }, Math.min(block.size, o.size));
        live.add(q, o.size);
        // A moved block's old address is no longer a live block.
        if (q !== block.ptr) expect(() => heap.usableSize(block.ptr)).toThrow(InvalidPointerError);
        break;
      }
      case 'free': {
        if (live.blocks.length === 0) break;
        const block = live.take(o.pick % live.blocks.length);
        live.check(block);
        heap.free(block.ptr);
        break;
      }
    }
    if (i % 200 === 199) live.verify();
  });
  live.verify();
  for (const block of live.blocks.splice(0)) heap.free(block.ptr);
  live.verify();
  heap.trim();
  heap.validate();
  expect(heap.stats().bytesInUse).toBe(0);
  return exhausted;
}

describe('ArenaAllocator against a model of live blocks', () => {
  let total = 0;
  // 30 runs per configuration, in two tests of 15 (each a few seconds on a slow 2-core machine).
  for (const config of configs) {
    let exhaustedRuns = 0; // over both halves
    for (const half of ['1 of 2', '2 of 2']) {
      it(`keeps every block intact and the heap valid: ${config.name} (${half})`, () => {
        fc.assert(
          fc.property(fc.array(op, { minLength: 1000, maxLength: 2500, size: 'max' }), (ops) => {
            total += ops.length;
            if (run(config.options(), ops, config.mayExhaust ?? false) > 0) exhaustedRuns++;
          }),
          { numRuns: 15, endOnFailure: true },
        );
        if (config.mayExhaust && half === '2 of 2') expect(exhaustedRuns).toBeGreaterThan(0);
      });
    }
  }
  it('ran at least 200,000 operations in all', () => {
    expect(total).toBeGreaterThanOrEqual(200_000);
  });
});
