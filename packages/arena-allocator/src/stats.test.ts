import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import type { ArenaAllocatorOptions } from './config.js';
import { POOL_HEADER_BYTES } from './pool-header.js';
import { LiveBlocks } from './test-support/live-blocks.js';

/**
 * stats() and formatStats(): the byte breakdown accounts for every byte of the heap, the
 * figures agree with a model of the live blocks, and the text has CPython's layout.
 */

const DEBUG_OVERHEAD = 32;

const configs: Array<{ name: string; options: ArenaAllocatorOptions }> = [
  { name: 'defaults', options: {} },
  { name: 'no block cache', options: { blockCache: 0 } },
  {
    name: 'small pools',
    options: { poolSize: 4096, arenaSize: 65536 },
  },
  { name: 'debug mode', options: { debug: true, arenaSize: 1 << 18 } },
];

type Op = { kind: 'malloc'; size: number } | { kind: 'free'; pick: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 512 }) },
        { weight: 1, arbitrary: fc.integer({ min: 513, max: 70_000 }) },
      )
      .map((size) => ({ kind: 'malloc' as const, size })),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
);

/** Checks every figure of stats() against the live blocks the test knows about. */
function checkStats(heap: ArenaAllocator, live: LiveBlocks, noCache: boolean): void {
  const s = heap.stats();
  const { config } = heap;
  const debug = config.debug;
  const breakdownTotal = Object.values(s.breakdown).reduce((a, b) => a + b, 0);
  expect(breakdownTotal).toBe(s.heapBytes);
  const held = heap.memory.regions().filter((r) => r.owner === heap.owner);
  expect(s.heapBytes).toBe(held.reduce((n, r) => n + r.end - r.start, 0));
  expect(s.arenas.length + s.segments).toBe(held.length);
  expect(s.footprintBytes).toBe(s.heapBytes + s.metadataBytes);
  expect(s.blocksInUse).toBe(live.blocks.length);
  expect(s.bytesInUse).toBe(live.usableBytes());

  // The model: which blocks are small (and of which class) and which large.
  const perClass = new Array<number>(config.sizeClasses).fill(0);
  const poolsPerClass = Array.from({ length: config.sizeClasses }, () => new Set<number>());
  let large = 0;
  let largeBytes = 0;
  let smallBytes = 0;
  for (const block of live.blocks) {
    const inner = debug ? block.size + DEBUG_OVERHEAD : block.size;
    const ptr = debug ? block.ptr - 16 : block.ptr;
    if (inner <= config.smallThreshold) {
      const c = inner === 0 ? 0 : (inner - 1) >>> 4;
      perClass[c]!++;
      poolsPerClass[c]!.add(ptr - (ptr % config.poolSize));
      smallBytes += (c + 1) * 16;
    } else {
      large++;
      largeBytes += heap.tlsf.sizeOf(ptr);
    }
  }
  expect(s.sizeClasses.map((c) => c.blocksInUse)).toEqual(perClass);
  expect(s.largeBlocksInUse).toBe(large);
  expect(s.breakdown.largeInUse).toBe(largeBytes);
  expect(s.breakdown.smallInUse).toBe(smallBytes);

  const capacity = (blockSize: number) => Math.floor((config.poolSize - POOL_HEADER_BYTES) / blockSize);
  for (const c of s.sizeClasses) {
    expect(c.blockSize).toBe((c.sizeClass + 1) * 16);
    if (noCache) {
      // Every used pool holds a live block; nothing is held back in a cache.
      expect(c.pools).toBe(poolsPerClass[c.sizeClass]!.size);
      expect(c.availableBlocks).toBe(c.pools * capacity(c.blockSize) - c.blocksInUse);
    } else {
      expect(c.pools).toBeGreaterThanOrEqual(poolsPerClass[c.sizeClass]!.size);
      expect(c.availableBlocks).toBeLessThanOrEqual(c.pools * capacity(c.blockSize) - c.blocksInUse);
    }
  }

  // Pools and arenas agree with each other.
  const usedPools = s.sizeClasses.reduce((n, c) => n + c.pools, 0);
  expect(s.arenas.reduce((n, a) => n + a.totalPools - a.freePools, 0)).toBe(usedPools);
  expect(s.breakdown.poolHeaders).toBe(usedPools * POOL_HEADER_BYTES);
  expect(s.breakdown.freePools).toBe(s.arenas.reduce((n, a) => n + a.freePools, 0) * config.poolSize);
  expect(s.arenas).toHaveLength(heap.pools.arenaCount);
  expect(s.arenasAllocatedTotal - s.arenasReclaimed).toBe(s.arenas.length);
  expect(s.arenasHighWater).toBeGreaterThanOrEqual(s.arenas.length);
  for (const a of s.arenas) {
    expect(a.address % config.poolSize).toBe(0);
    expect(a.totalPools).toBe(config.arenaSize / config.poolSize);
  }
  const free = heap.tlsf.freeListTotals();
  expect(s.freeLargeBlocks).toBe(free.blocks);
  expect(s.largestFreeBlock).toBe(free.largest);
  expect(s.breakdown.largeFree).toBe(free.bytes);
}

describe('stats()', () => {
  for (const { name, options } of configs) {
    it(`accounts for every byte and agrees with a model of the live blocks: ${name}`, () => {
      fc.assert(
        fc.property(fc.array(op, { minLength: 100, maxLength: 400, size: 'max' }), (ops) => {
          const heap = new ArenaAllocator(options);
          const live = new LiveBlocks(heap);
          const noCache = options.blockCache === 0 || options.debug === true;
          checkStats(heap, live, noCache);
          ops.forEach((o, i) => {
            if (o.kind === 'malloc') {
              live.add(heap.malloc(o.size), o.size);
            } else if (live.blocks.length > 0) {
              heap.free(live.take(o.pick % live.blocks.length).ptr);
            }
            if (i % 40 === 39) checkStats(heap, live, noCache);
          });
          checkStats(heap, live, noCache);
          for (const block of live.blocks.splice(0)) heap.free(block.ptr);
          checkStats(heap, live, noCache);
          heap.trim();
          checkStats(heap, live, true);
          expect(heap.stats().bytesInUse).toBe(0);
        }),
        { numRuns: 25 },
      );
    });
  }

  it('counts a fresh heap as holding nothing, and one large block as one segment', () => {
    const heap = new ArenaAllocator();
    const s = heap.stats();
    expect(s.blocksInUse).toBe(0);
    expect(s.bytesInUse).toBe(0);
    expect(s.arenas).toHaveLength(0);
    expect(s.segments).toBe(0);
    expect(s.heapBytes).toBe(0);
    expect(s.metadataBytes).toBeGreaterThan(0);
    heap.free(heap.malloc(1000));
    const t = heap.stats();
    expect(t.segments).toBe(1);
    expect(t.freeLargeBlocks).toBe(1);
    expect(t.breakdown.blockHeaders).toBe(32); // the free block's and the sentinel's
    expect(t.breakdown.largeFree).toBe(t.heapBytes - 32);
    expect(heap.trim()).toBe(0); // no arena; the segment goes back all the same
    expect(heap.stats()).toMatchObject({ segments: 0, segmentsReleased: 1, heapBytes: 0 });
  });
});

describe('formatStats()', () => {
  it("has CPython's headings and a correct row for a class in use", () => {
    const heap = new ArenaAllocator();
    for (let i = 0; i < 10; i++) heap.malloc(64);
    for (let i = 0; i < 3; i++) heap.malloc(500);
    heap.malloc(100_000);
    const text = heap.formatStats();
    const lines = text.split('\n');
    expect(lines[0]).toBe('Small block threshold = 512, in 32 size classes.');
    expect(lines).toContain('class   size   num pools   blocks in use  avail blocks');
    expect(lines).toContain('-----   ----   ---------   -------------  ------------');
    // 16 KiB pools: 255 blocks of 64 bytes (255 * 64 + 32 = 16352), 32 of 500-byte class 31.
    expect(lines).toContain('    3     64           1              10           245');
    expect(lines).toContain('   31    512           1               3            28');
    // Only classes in use are listed.
    const rows = lines.filter((l) => /^\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$/.test(l));
    expect(rows).toHaveLength(2);
    expect(text).toMatch(/^# arenas allocated total\s+=\s+1$/m);
    expect(text).toMatch(/^# arenas reclaimed\s+=\s+0$/m);
    expect(text).toMatch(/^# arenas highwater mark\s+=\s+1$/m);
    expect(text).toMatch(/^# arenas allocated current\s+=\s+1$/m);
    expect(text).toMatch(/^1 arenas \* 1048576 bytes\/arena\s+=\s+1,048,576$/m);
    expect(text).toMatch(/^# bytes in allocated blocks\s+=\s+2,176$/m); // 10 * 64 + 3 * 512
    // Quantization: 16384 - 48 - 255 * 64 = 16, and 16384 - 48 - 31 * 512 = 464.
    expect(text).toMatch(/^# bytes lost to quantization\s+=\s+480$/m);
    expect(text).toMatch(/^# bytes lost to pool headers\s+=\s+96$/m);
    expect(text).toMatch(/^62 unused pools \* 16384 bytes\s+=\s+1,015,808$/m);
    expect(text).toMatch(/^# large blocks in use\s+=\s+1$/m);
    expect(text).toMatch(/^# bytes in large blocks\s+=\s+100,000$/m);
    expect(text).toMatch(/^# bytes in use \(usable sizes\)\s+=\s+102,176$/m);
  });

  it('follows a lower threshold and lists classes as they are used', () => {
    const heap = new ArenaAllocator({ smallThreshold: 256, poolSize: 4096, arenaSize: 65536 });
    expect(heap.formatStats().split('\n')[0]).toBe('Small block threshold = 256, in 16 size classes.');
    heap.malloc(1);
    heap.malloc(256);
    const text = heap.formatStats();
    // 4 KiB pools with 48-byte headers: 253 blocks of 16 bytes, 15 of 256.
    expect(text).toContain('    0     16           1               1           252');
    expect(text).toContain('   15    256           1               1            14');
    expect(text).toMatch(/^1 arenas \* 65536 bytes\/arena\s+=\s+65,536$/m);
  });
});
