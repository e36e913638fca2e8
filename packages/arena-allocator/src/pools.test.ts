import { DoubleFreeError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import type { ArenaAllocatorOptions } from './config.js';
import { POOL_HEADER_BYTES } from './pool-header.js';
import { LiveBlocks } from './test-support/live-blocks.js';

/**
 * pymalloc's behaviour, seen through ArenaAllocator: size classes, LIFO block reuse, empty pools
 * shared between classes, arenas ordered fullest first, arenas released (one kept as a spare),
 * and CPython's realloc rules. Tests of pool and arena policy use `blockCache: 0`, which turns
 * off the block cache in front of the pools and gives CPython's behaviour exactly.
 */

/** pymalloc exactly as CPython has it: every free goes straight back to its pool. */
const CPYTHON: ArenaAllocatorOptions = { blockCache: 0 };
/** Small arenas of 16 pools of 4 KiB, to see arena policy with few blocks. */
const SMALL_ARENAS: ArenaAllocatorOptions = { ...CPYTHON, arenaSize: 65536, poolSize: 4096 };

function poolOf(heap: ArenaAllocator, p: number): number {
  return p - (p % heap.config.poolSize);
}

function arenaOf(heap: ArenaAllocator, p: number): number {
  const arena = heap.stats().arenas.find((a) => p >= a.address && p < a.address + heap.config.arenaSize);
  if (arena === undefined) return expect.fail(`${p} is in no arena`);
  return arena.address;
}

function freePoolsOf(heap: ArenaAllocator, arenaAddress: number): number {
  return heap.stats().arenas.find((a) => a.address === arenaAddress)!.freePools;
}

describe('size classes', () => {
  it('rounds requests up to multiples of 16, up to the threshold', () => {
    const heap = new ArenaAllocator();
    for (let size = 1; size <= 16; size++) expect(heap.usableSize(heap.malloc(size))).toBe(16);
    expect(heap.usableSize(heap.malloc(17))).toBe(32);
    expect(heap.usableSize(heap.malloc(512))).toBe(512);
    for (let size = 1; size <= 512; size++) {
      const p = heap.malloc(size);
      expect(heap.usableSize(p)).toBe(Math.ceil(size / 16) * 16);
      expect(heap.states.get(p)).toBe(LIVE_SMALL);
    }
    heap.validate();
  });

  it('sends requests above the threshold to the large-block allocator', () => {
    const heap = new ArenaAllocator();
    const p = heap.malloc(513);
    expect(heap.states.get(p)).toBe(LIVE_LARGE);
    expect(heap.usableSize(p)).toBe(528);
    expect(heap.pools.arenaOf(p)).toBe(0);
    expect(heap.stats().largeBlocksInUse).toBe(1);
    const q = heap.malloc(512);
    expect(heap.pools.arenaOf(q)).not.toBe(0);
    expect(heap.stats().largeBlocksInUse).toBe(1);
  });

  it('honours a lower smallThreshold', () => {
    const heap = new ArenaAllocator({ smallThreshold: 256 });
    expect(heap.states.get(heap.malloc(256))).toBe(LIVE_SMALL);
    expect(heap.states.get(heap.malloc(257))).toBe(LIVE_LARGE);
    expect(heap.stats().sizeClasses).toHaveLength(16);
  });

  it('gives malloc(0) a unique 16-byte block each time', () => {
    const heap = new ArenaAllocator();
    const ptrs = Array.from({ length: 300 }, () => heap.malloc(0));
    expect(new Set(ptrs).size).toBe(300);
    for (const p of ptrs) {
      expect(p).not.toBe(0);
      expect(p % 16).toBe(0);
      expect(heap.usableSize(p)).toBe(16);
    }
    heap.validate();
  });

  it('carves the blocks of a new pool in address order, after the pool header', () => {
    const heap = new ArenaAllocator(CPYTHON);
    const ptrs = Array.from({ length: 10 }, () => heap.malloc(48));
    const pool = poolOf(heap, ptrs[0]!);
    expect(ptrs).toEqual(ptrs.map((_, i) => pool + POOL_HEADER_BYTES + 48 * i));
  });

  it('fills a pool to its capacity before taking another', () => {
    const heap = new ArenaAllocator(CPYTHON);
    const capacity = Math.floor((16384 - POOL_HEADER_BYTES) / 16); // 1022
    const ptrs = Array.from({ length: capacity + 1 }, () => heap.malloc(16));
    const first = poolOf(heap, ptrs[0]!);
    expect(ptrs.slice(0, capacity).every((p) => poolOf(heap, p) === first)).toBe(true);
    expect(poolOf(heap, ptrs[capacity]!)).not.toBe(first);
    expect(heap.stats().sizeClasses[0]).toMatchObject({ pools: 2, blocksInUse: capacity + 1 });
  });
});

describe('block reuse', () => {
  for (const [name, options] of [
    ['CPython (no block cache)', CPYTHON],
    ['with the default block cache', {}],
  ] as const) {
    it(`reuses freed blocks last-in first-out: ${name}`, () => {
      const heap = new ArenaAllocator(options);
      const [, a, b] = [heap.malloc(64), heap.malloc(64), heap.malloc(64), heap.malloc(64)];
      heap.free(a!);
      heap.free(b!);
      expect(heap.malloc(64)).toBe(b);
      expect(heap.malloc(50)).toBe(a); // same class (64 bytes)
      heap.validate();
    });
  }

  it('gives an emptied pool to another size class', () => {
    const heap = new ArenaAllocator(CPYTHON);
    const capacity = Math.floor((16384 - POOL_HEADER_BYTES) / 16);
    const ptrs = Array.from({ length: capacity }, () => heap.malloc(16));
    const pool = poolOf(heap, ptrs[0]!);
    expect(ptrs.every((p) => poolOf(heap, p) === pool)).toBe(true);
    expect(heap.stats().sizeClasses[0]!.pools).toBe(1);
    for (const p of ptrs) heap.free(p);
    expect(heap.stats().sizeClasses[0]!.pools).toBe(0);
    const q = heap.malloc(176); // size class 10
    expect(q).toBe(pool + POOL_HEADER_BYTES);
    expect(heap.usableSize(q)).toBe(176);
    expect(heap.stats().sizeClasses[10]!.pools).toBe(1);
    heap.validate();
  });

  it('takes a new pool from the emptied ones before carving a fresh one', () => {
    const heap = new ArenaAllocator(CPYTHON);
    const a = heap.malloc(32); // pool 1
    const b = heap.malloc(48); // pool 2
    heap.malloc(64); // pool 3
    heap.free(a);
    heap.free(b); // pools 1 and 2 are empty; 2 was emptied last
    const c = heap.malloc(80);
    expect(poolOf(heap, c)).toBe(poolOf(heap, b));
    const d = heap.malloc(96);
    expect(poolOf(heap, d)).toBe(poolOf(heap, a));
    heap.validate();
  });
});

describe('arenas', () => {
  /** Allocates `pools` pools' worth of 512-byte blocks (7 per 4 KiB pool); returns them by pool. */
  function fillPools(heap: ArenaAllocator, pools: number): Map<number, number[]> {
    const byPool = new Map<number, number[]>();
    for (let i = 0; i < pools * 7; i++) {
      const p = heap.malloc(512);
      const pool = poolOf(heap, p);
      if (!byPool.has(pool)) byPool.set(pool, []);
      byPool.get(pool)!.push(p);
    }
    expect(byPool.size).toBe(pools);
    return byPool;
  }

  function freePool(heap: ArenaAllocator, byPool: Map<number, number[]>, pool: number): void {
    for (const p of byPool.get(pool)!) heap.free(p);
    byPool.delete(pool);
  }

  it('takes new pools from the arena with the fewest free pools', () => {
    const heap = new ArenaAllocator(SMALL_ARENAS);
    const byPool = fillPools(heap, 20); // arena A: 16 pools, arena B: 4
    const pools = [...byPool.keys()];
    const arenaA = arenaOf(heap, pools[0]!);
    const arenaB = arenaOf(heap, pools[19]!);
    expect(arenaB).not.toBe(arenaA);
    expect(pools.slice(0, 16).every((p) => arenaOf(heap, p) === arenaA)).toBe(true);
    expect(freePoolsOf(heap, arenaA)).toBe(0);
    expect(freePoolsOf(heap, arenaB)).toBe(12);

    // A has 2 free pools, B 12: a new pool comes from A.
    freePool(heap, byPool, pools[3]!);
    freePool(heap, byPool, pools[7]!);
    const x = heap.malloc(16);
    expect(arenaOf(heap, x)).toBe(arenaA);
    expect(poolOf(heap, x)).toBe(pools[7]); // the pool emptied last
    expect(freePoolsOf(heap, arenaA)).toBe(1);

    // Now A has 14 free pools and B 12: a new pool comes from B, though A is lower in memory.
    for (const pool of pools.slice(0, 16)) {
      if (byPool.has(pool) && byPool.size > 5) freePool(heap, byPool, pool);
    }
    expect(freePoolsOf(heap, arenaA)).toBe(14);
    expect(freePoolsOf(heap, arenaB)).toBe(12);
    const y = heap.malloc(32);
    expect(arenaOf(heap, y)).toBe(arenaB);
    expect(freePoolsOf(heap, arenaB)).toBe(11);
    heap.validate();
  });

  it('releases wholly free arenas but keeps one spare; trim() releases the spare', () => {
    const heap = new ArenaAllocator(SMALL_ARENAS);
    const byPool = fillPools(heap, 48); // three full arenas
    let s = heap.stats();
    expect(s.arenas).toHaveLength(3);
    expect(s.arenasAllocatedTotal).toBe(3);
    expect(s.arenasReclaimed).toBe(0);
    for (const pool of [...byPool.keys()]) freePool(heap, byPool, pool);
    s = heap.stats();
    expect(s.arenas).toHaveLength(1);
    expect(s.arenas[0]!.freePools).toBe(16);
    expect(s.arenasReclaimed).toBe(2);
    expect(s.arenasHighWater).toBe(3);
    heap.validate();
    // The spare serves the next small request without a new arena.
    const p = heap.malloc(100);
    expect(arenaOf(heap, p)).toBe(s.arenas[0]!.address);
    expect(heap.stats().arenasAllocatedTotal).toBe(3);
    heap.free(p);
    expect(heap.trim()).toBe(1);
    s = heap.stats();
    expect(s.arenas).toHaveLength(0);
    expect(s.arenasReclaimed).toBe(3);
    expect(heap.trim()).toBe(0);
    heap.validate();
  });

  it('with the default block cache, trim() flushes cached blocks so every arena can go', () => {
    const heap = new ArenaAllocator({ arenaSize: 65536, poolSize: 4096 });
    const ptrs = Array.from({ length: 48 * 7 }, () => heap.malloc(512));
    expect(heap.stats().arenas).toHaveLength(3);
    for (const p of ptrs) heap.free(p);
    heap.trim();
    const s = heap.stats();
    expect(s.arenas).toHaveLength(0);
    expect(s.arenasReclaimed).toBe(3);
    expect(s.blocksInUse).toBe(0);
    heap.validate();
    for (const p of ptrs.slice(0, 10)) expect(() => heap.free(p)).toThrow(DoubleFreeError);
  });

  it('counts in trim() the arenas that flushing the block cache released', () => {
    const heap = new ArenaAllocator({ arenaSize: 65536, poolSize: 4096 });
    const ptrs = Array.from({ length: 48 * 7 }, () => heap.malloc(512)); // three full arenas
    for (const p of ptrs) heap.free(p); // the last 64 freed wait in the block cache
    const before = heap.stats();
    expect(before.arenas.length).toBeGreaterThan(1); // the spare, and the arena holding cached blocks
    expect(before.sizeClasses[31]!.cachedBlocks).toBeGreaterThan(0);
    const released = heap.trim();
    const after = heap.stats();
    expect(after.arenas).toHaveLength(0);
    expect(released).toBe(after.arenasReclaimed - before.arenasReclaimed);
    expect(released).toBe(before.arenas.length);
  });

  it("gives a released arena's region back to the memory, where another allocator takes it", () => {
    const heap = new ArenaAllocator(SMALL_ARENAS);
    const small = heap.malloc(16);
    const arena = heap.stats().arenas[0]!.address;
    expect(heap.memory.regionOf(arena)).toEqual({ start: arena, end: arena + 65536, owner: heap.owner });
    heap.free(small);
    expect(heap.stats().arenas).toHaveLength(1); // the spare
    expect(heap.trim()).toBe(1);
    expect(heap.memory.regionOf(arena)?.owner ?? 0).toBe(0);
    const other = new ArenaAllocator({ ...SMALL_ARENAS, memory: heap.memory });
    other.malloc(16);
    expect(other.stats().arenas[0]!.address).toBe(arena);
    expect(() => heap.free(small)).toThrow(/not a region of this ArenaAllocator/);
    heap.validate();
    other.validate();
  });

  it('counts arenas allocated, reclaimed and the high-water mark over a long run', () => {
    const heap = new ArenaAllocator(SMALL_ARENAS);
    for (let round = 0; round < 3; round++) {
      const byPool = fillPools(heap, 40);
      for (const pool of [...byPool.keys()]) freePool(heap, byPool, pool);
      heap.validate();
    }
    const s = heap.stats();
    expect(s.arenasHighWater).toBe(3);
    expect(s.arenas).toHaveLength(1);
    expect(s.arenasAllocatedTotal - s.arenasReclaimed).toBe(1);
    expect(s.arenasAllocatedTotal).toBeGreaterThanOrEqual(3);
  });
});

describe("realloc (CPython's rules)", () => {
  for (const [name, options] of [
    ['CPython (no block cache)', CPYTHON],
    ['with the default block cache', {}],
  ] as const) {
    describe(name, () => {
      it('keeps a small block in place when the new size is its class and at least 75% of it', () => {
        const heap = new ArenaAllocator(options);
        const live = new LiveBlocks(heap);
        const block = live.add(heap.malloc(64), 64);
        for (const size of [64, 63, 49]) {
          expect(heap.realloc(block.ptr, size)).toBe(block.ptr);
          expect(heap.usableSize(block.ptr)).toBe(64);
        }
        live.check(block, 49);
        const grow = live.add(heap.malloc(40), 40); // a 48-byte block
        expect(heap.realloc(grow.ptr, 48)).toBe(grow.ptr);
        live.verify();
      });

      it('moves a small block that shrinks below 75% of its class', () => {
        const heap = new ArenaAllocator(options);
        const live = new LiveBlocks(heap);
        const block = live.take(live.blocks.indexOf(live.add(heap.malloc(64), 64)));
        const q = heap.realloc(block.ptr, 48);
        expect(q).not.toBe(block.ptr);
        expect(heap.usableSize(q)).toBe(48);
        live.check({ ...block, ptr: q }, 48);
        expect(() => heap.free(block.ptr)).toThrow(DoubleFreeError);
        const tiny = live.add(heap.malloc(16), 16);
        live.take(live.blocks.indexOf(tiny));
        const t = heap.realloc(tiny.ptr, 0); // 0 < 75% of 16: a fresh block, like malloc(0)
        expect(t).not.toBe(tiny.ptr);
        expect(heap.usableSize(t)).toBe(16);
        heap.validate();
      });

      it('moves a small block that grows beyond its class, keeping its contents', () => {
        const heap = new ArenaAllocator(options);
        const live = new LiveBlocks(heap);
        const block = live.add(heap.malloc(64), 64);
        live.add(heap.malloc(64), 64);
        live.take(0);
        const q = heap.realloc(block.ptr, 65);
        expect(q).not.toBe(block.ptr);
        expect(heap.usableSize(q)).toBe(80);
        live.check({ ...block, ptr: q });
        live.add(q, 65);
        const big = live.take(live.blocks.indexOf(live.blocks.find((b) => b.ptr === q)!));
        const r = heap.realloc(q, 5000); // to the large-block allocator
        expect(heap.states.get(r)).toBe(LIVE_LARGE);
        live.check({ ...big, ptr: r });
        live.add(r, 5000);
        live.verify();
      });

      it('shrinks a large block in place', () => {
        const heap = new ArenaAllocator(options);
        const live = new LiveBlocks(heap);
        const block = live.add(heap.malloc(10_000), 10_000);
        live.add(heap.malloc(10_000), 10_000);
        expect(heap.realloc(block.ptr, 5000)).toBe(block.ptr);
        expect(heap.usableSize(block.ptr)).toBe(5008);
        expect(heap.tlsf.isFree(heap.tlsf.next(block.ptr))).toBe(true); // the tail was given back
        live.check(block, 5000);
        expect(heap.realloc(block.ptr, 100)).toBe(block.ptr); // stays a large block
        expect(heap.states.get(block.ptr)).toBe(LIVE_LARGE);
        live.check(block, 100);
        block.size = 100;
        live.verify();
      });

      it('grows a large block into a free neighbour in place, else moves it', () => {
        const heap = new ArenaAllocator(options);
        const live = new LiveBlocks(heap);
        const block = live.add(heap.malloc(10_000), 10_000);
        const neighbour = live.add(heap.malloc(10_000), 10_000);
        live.add(heap.malloc(10_000), 10_000);
        expect(heap.tlsf.next(block.ptr)).toBe(neighbour.ptr);
        // The neighbour is used: the block moves.
        live.take(live.blocks.indexOf(neighbour));
        live.take(live.blocks.indexOf(block));
        const moved = heap.realloc(neighbour.ptr, 12_000);
        expect(moved).not.toBe(neighbour.ptr);
        live.check({ ...neighbour, ptr: moved });
        live.add(moved, 12_000);
        // Now the neighbour is free: the block grows into it.
        expect(heap.realloc(block.ptr, 15_000)).toBe(block.ptr);
        expect(heap.usableSize(block.ptr)).toBeGreaterThanOrEqual(15_000);
        live.check(block);
        live.add(block.ptr, 15_000);
        live.verify();
      });
    });
  }

  it('zeroes a reused dirty block in calloc', () => {
    const heap = new ArenaAllocator();
    const u8 = () => heap.memory.u8;
    const zeroes = (p: number, n: number) =>
      u8()
        .subarray(p, p + n)
        .filter((b) => b !== 0).length === 0;
    const small = heap.malloc(64);
    u8().fill(0xab, small, small + 64);
    heap.free(small);
    const c = heap.calloc(4, 16);
    expect(c).toBe(small);
    expect(zeroes(c, 64)).toBe(true);
    const large = heap.malloc(5000);
    u8().fill(0xcd, large, large + 5000);
    heap.free(large);
    const d = heap.calloc(1000, 5);
    expect(d).toBe(large);
    expect(zeroes(d, 5000)).toBe(true);
    heap.validate();
  });
});
