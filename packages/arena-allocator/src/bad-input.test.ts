import { DoubleFreeError, formatPtr, InvalidPointerError, InvalidSizeError, Memory } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { NONE } from './block-states.js';
import type { ArenaAllocatorOptions } from './config.js';
import { POOL_HEADER_BYTES } from './pool-header.js';
import { LiveBlocks } from './test-support/live-blocks.js';
import { thrownBy } from './test-support/thrown-by.js';

/**
 * Bad input of every kind: pointers that are not live blocks, double frees, bad sizes, frees
 * after the memory grew, and exhaustion in the middle of a sequence. After every error the heap
 * must validate and every live block must still hold exactly what it held (DESIGN.md: "Bad input
 * never corrupts the heap").
 */

const POINTER_OPS = ['free', 'realloc', 'usableSize'] as const;
type PointerOp = (typeof POINTER_OPS)[number];

function callWith(heap: ArenaAllocator, op: PointerOp, ptr: unknown): unknown {
  const p = ptr as number;
  switch (op) {
    case 'free':
      heap.free(p);
      return undefined;
    case 'realloc':
      return heap.realloc(p, 100);
    case 'usableSize':
      return heap.usableSize(p);
  }
}

type Expected = 'invalid' | 'double';

/**
 * Calls `op(ptr)` and checks the error: an InvalidPointerError (a DoubleFreeError exactly when
 * `expected` is 'double') whose message names the operation and the pointer and explains why;
 * then that the heap validates and every live block is intact.
 */
function expectRejected(
  heap: ArenaAllocator,
  live: LiveBlocks,
  op: PointerOp,
  ptr: unknown,
  expected: Expected,
  reason?: string | RegExp,
): void {
  const error = thrownBy(() => callWith(heap, op, ptr));
  expect(error).toBeInstanceOf(InvalidPointerError);
  if (expected === 'double') expect(error).toBeInstanceOf(DoubleFreeError);
  else expect(error).not.toBeInstanceOf(DoubleFreeError);
  expect((error as InvalidPointerError).ptr).toBe(ptr);
  expect(error.message).toContain(`${op}(${formatPtr(ptr)})`);
  if (reason !== undefined) expect(error.message).toMatch(reason);
  live.verify();
}

/** The TLSF blocks of every segment, from each first block to its sentinel. */
function tlsfBlocks(heap: ArenaAllocator): Array<{ p: number; size: number; free: boolean }> {
  const blocks = [];
  const { tlsf } = heap;
  for (let i = 0; i < tlsf.segmentStarts.length; i++) {
    for (let p = tlsf.segmentStarts[i]! + 16; p < tlsf.segmentEnds[i]!; p = tlsf.next(p)) {
      blocks.push({ p, size: tlsf.sizeOf(p), free: tlsf.isFree(p) });
    }
  }
  return blocks;
}

interface Fixture {
  heap: ArenaAllocator;
  live: LiveBlocks;
  debug: boolean;
  /** A live 64-byte block (its user pointer in debug mode). */
  small64: number;
  /** A live 5000-byte (TLSF) block. */
  large: number;
  /** A freed small block and a freed large block, not reused since. */
  freedSmall: number;
  freedLarge: number;
}

/** A heap holding a mix of live small and large blocks, each with its pattern, and two freed blocks. */
function fixture(options: ArenaAllocatorOptions = {}): Fixture {
  const heap = new ArenaAllocator(options);
  const live = new LiveBlocks(heap);
  const alloc = (size: number): number => {
    const p = heap.malloc(size);
    expect(p).not.toBe(0);
    live.add(p, size);
    return p;
  };
  for (const size of [0, 1, 16, 24, 100, 256, 512]) alloc(size);
  const small64 = alloc(64);
  alloc(64);
  const freedSmall = heap.malloc(48);
  const large = alloc(5000);
  const freedLarge = heap.malloc(3000);
  for (const size of [513, 20000, 100000, 7]) alloc(size);
  heap.free(freedSmall);
  heap.free(freedLarge);
  live.verify();
  return { heap, live, debug: options.debug ?? false, small64, large, freedSmall, freedLarge };
}

/** A pool block boundary well past the carved blocks of `small64`'s pool (debug: its user pointer). */
function uncarvedPoolBlock(f: Fixture): number {
  const { heap } = f;
  const inner = f.debug ? f.small64 - 16 : f.small64;
  const poolSize = heap.config.poolSize;
  const pool = inner - (inner % poolSize);
  const blockSize = heap.pools.blockSize(inner);
  const candidate = pool + POOL_HEADER_BYTES + 100 * blockSize;
  const nextoffset = heap.memory.u32[(pool >>> 2) + 6]!;
  expect(pool + nextoffset).toBeLessThanOrEqual(candidate); // never carved
  expect(candidate + blockSize).toBeLessThanOrEqual(pool + poolSize);
  return f.debug ? candidate + 16 : candidate;
}

/** An address in the middle of free TLSF space where no block has ever started. */
function freshFreeAddress(f: Fixture): number {
  const { heap } = f;
  const last = tlsfBlocks(heap).at(-1)!;
  expect(last.free).toBe(true);
  expect(last.size).toBeGreaterThan(2 * 65536);
  const ptr = last.p + 65536;
  expect(heap.states.get(ptr)).toBe(NONE);
  expect(heap.states.get(ptr - 16)).toBe(NONE);
  return ptr;
}

interface Case {
  name: string;
  ptr: (f: Fixture) => unknown;
  expected: Expected;
  /** What the message must say (release mode; debug mode may word it differently). */
  reason?: (f: Fixture) => string | RegExp;
  /** What the message must say in debug mode, when it says something specific there. */
  debugReason?: (f: Fixture) => string | RegExp;
}

const NON_INTEGERS: unknown[] = [1.5, -16, Number.NaN, '16', undefined, 2 ** 32, null, Infinity, -0.5, {}];

const cases: Case[] = [
  {
    name: 'the end of the memory',
    ptr: (f) => f.heap.memory.byteLength,
    expected: 'invalid',
    reason: () => /in no region of the memory/,
    debugReason: () => /in no region of the memory/,
  },
  {
    name: 'far beyond the memory',
    ptr: (f) => f.heap.memory.byteLength + 1024 * 1024,
    expected: 'invalid',
    reason: () => /in no region of the memory/,
    debugReason: () => /in no region of the memory/,
  },
  {
    name: 'the last aligned 32-bit address',
    ptr: () => 2 ** 32 - 16,
    expected: 'invalid',
    reason: () => /in no region of the memory/,
  },
  {
    name: 'a small block plus 1 (misaligned)',
    ptr: (f) => f.small64 + 1,
    expected: 'invalid',
    reason: () => /not 16-byte aligned/,
    debugReason: () => /not 16-byte aligned/,
  },
  {
    name: 'a small block plus 8 (misaligned)',
    ptr: (f) => f.small64 + 8,
    expected: 'invalid',
    reason: () => /not 16-byte aligned/,
    debugReason: () => /not 16-byte aligned/,
  },
  {
    name: 'a large block plus 8 (misaligned)',
    ptr: (f) => f.large + 8,
    expected: 'invalid',
    reason: () => /not 16-byte aligned/,
    debugReason: () => /not 16-byte aligned/,
  },
  {
    name: '16 bytes inside a live 64-byte small block',
    ptr: (f) => f.small64 + 16,
    expected: 'invalid',
    reason: (f) => `points 16 bytes inside the live 64-byte block at ${formatPtr(f.small64)}`,
  },
  {
    name: '48 bytes inside a live 64-byte small block',
    ptr: (f) => f.small64 + 48,
    expected: 'invalid',
    reason: (f) => `points 48 bytes inside the live 64-byte block at ${formatPtr(f.small64)}`,
  },
  {
    name: 'inside a live large block',
    ptr: (f) => f.large + 16,
    expected: 'invalid',
    reason: () => /never allocated, or inside one/,
  },
  {
    name: 'deep inside a live large block',
    ptr: (f) => f.large + 4096,
    expected: 'invalid',
    reason: () => /never allocated, or inside one/,
  },
  {
    name: 'a pool block boundary past the carved blocks (never allocated)',
    ptr: uncarvedPoolBlock,
    expected: 'invalid',
    reason: () => /in a pool, never allocated/,
  },
  {
    name: 'a pool header',
    ptr: (f) => {
      const inner = f.debug ? f.small64 - 16 : f.small64;
      return inner - (inner % f.heap.config.poolSize);
    },
    expected: 'invalid',
  },
  {
    name: 'a fresh address in free TLSF space (never allocated)',
    ptr: freshFreeAddress,
    expected: 'invalid',
    reason: () => /never allocated/,
  },
  {
    name: 'a freed small block',
    ptr: (f) => f.freedSmall,
    expected: 'double',
    reason: () => /already freed/,
    debugReason: () => /already freed/,
  },
  {
    name: 'a freed large block',
    ptr: (f) => f.freedLarge,
    expected: 'double',
    reason: () => /already freed/,
    debugReason: () => /already freed/,
  },
  ...NON_INTEGERS.map(
    (value): Case => ({
      name: `the non-pointer ${typeof value === 'string' ? `'${value}'` : String(value)}`,
      ptr: () => value,
      expected: 'invalid',
      reason: () => /not a pointer/,
      debugReason: () => /not a pointer/,
    }),
  ),
];

for (const debug of [false, true]) {
  describe(`bad pointers to free, realloc and usableSize${debug ? ' (debug mode)' : ''}`, () => {
    for (const c of cases) {
      it(`rejects ${c.name} and leaves the heap intact`, () => {
        const f = fixture({ debug });
        const ptr = c.ptr(f);
        const reason = debug ? c.debugReason?.(f) : c.reason?.(f);
        for (const op of POINTER_OPS) expectRejected(f.heap, f.live, op, ptr, c.expected, reason);
        // Still a working heap: everything frees and the memory is reusable.
        for (const block of f.live.blocks.splice(0)) f.heap.free(block.ptr);
        f.live.verify();
        f.live.add(f.heap.malloc(200), 200);
        f.live.verify();
      });
    }

    it("rejects a pointer in the region header or in another party's region, saying whose", () => {
      const f = fixture({ debug });
      const memory = f.heap.memory;
      const other = memory.registerOwner('a WASM heap');
      const foreign = memory.reserve(4096, other);
      for (const ptr of [16, 512, 1008]) {
        for (const op of POINTER_OPS) expectRejected(f.heap, f.live, op, ptr, 'invalid', /in no region/);
      }
      for (const ptr of [foreign, foreign + 16, foreign + 4080]) {
        for (const op of POINTER_OPS) {
          expectRejected(
            f.heap,
            f.live,
            op,
            ptr,
            'invalid',
            new RegExp(
              `of owner ${other} \\(a WASM heap\\), not a region of this ArenaAllocator \\(owner ${f.heap.owner}\\)`,
            ),
          );
        }
      }
      f.heap.validate();
    });

    it('frees 0 as a no-op and reallocs 0 as malloc', () => {
      const f = fixture({ debug });
      const before = f.heap.stats();
      f.heap.free(0);
      expect(f.heap.stats()).toEqual(before);
      f.live.verify();
      for (const size of [0, 40, 512, 3000]) {
        const p = f.heap.realloc(0, size);
        expect(p).not.toBe(0);
        expect(p % 16).toBe(0);
        expect(f.heap.usableSize(p)).toBeGreaterThanOrEqual(size);
        f.live.add(p, size);
        f.live.verify();
      }
    });

    it('reports every double free of small blocks, cached or back in their pools', () => {
      const f = fixture({ debug });
      const ptrs = Array.from({ length: 150 }, () => f.heap.malloc(32));
      for (const p of ptrs) f.heap.free(p);
      f.live.verify();
      for (const p of ptrs) {
        for (const op of POINTER_OPS) expectRejected(f.heap, f.live, op, p, 'double', /already freed/);
      }
    });
  });
}

describe('stale pointers into reused space', () => {
  it('reports a freed large block merged with its neighbour and reused as the middle of a new block', () => {
    const heap = new ArenaAllocator();
    const live = new LiveBlocks(heap);
    const a = heap.malloc(4096);
    const b = heap.malloc(4096);
    live.add(heap.malloc(4096), 4096); // keeps a+b from merging with the free tail
    expect(b).toBe(heap.tlsf.next(a));
    heap.free(a);
    heap.free(b);
    expect(heap.tlsf.isFree(a)).toBe(true);
    expect(heap.tlsf.sizeOf(a)).toBe(4096 + 16 + 4096); // merged
    const c = heap.malloc(8192);
    expect(c).toBe(a); // the merged space is reused; b now points into its middle
    live.add(c, 8192);
    for (const op of POINTER_OPS) expectRejected(heap, live, op, b, 'double', /already freed/);
    for (const op of POINTER_OPS) expectRejected(heap, live, op, a + 16, 'invalid');
  });

  it('reports a freed small block whose emptied pool now serves another size class', () => {
    const heap = new ArenaAllocator({ blockCache: 0 });
    const live = new LiveBlocks(heap);
    const a = heap.malloc(16);
    const b = heap.malloc(16);
    const c = heap.malloc(16);
    heap.free(a);
    heap.free(b);
    heap.free(c);
    const x = heap.malloc(64); // the emptied pool is reused for 64-byte blocks
    expect(x).toBe(a);
    live.add(x, 64);
    for (const stale of [b, c]) {
      expect(stale).toBeGreaterThan(x);
      expect(stale).toBeLessThan(x + 64);
      for (const op of POINTER_OPS) expectRejected(heap, live, op, stale, 'double');
    }
  });

  it('reports a freed arena block reused by a large block', () => {
    const heap = new ArenaAllocator({ arenaSize: 65536, poolSize: 4096, blockCache: 0 });
    const live = new LiveBlocks(heap);
    const small = heap.malloc(100);
    heap.free(small);
    expect(heap.trim()).toBe(1);
    const big = heap.malloc(60000);
    live.add(big, 60000);
    expect(small).toBeGreaterThanOrEqual(big);
    expect(small).toBeLessThan(big + 60000);
    for (const op of POINTER_OPS) expectRejected(heap, live, op, small, 'double');
  });
});

describe('bad sizes', () => {
  for (const debug of [false, true]) {
    it(`throws InvalidSizeError and changes nothing${debug ? ' (debug mode)' : ''}`, () => {
      const f = fixture({ debug });
      const { heap, live } = f;
      const victim = live.blocks[3]!;
      const bad: Array<[string, () => unknown]> = [
        ['malloc(-1)', () => heap.malloc(-1)],
        ['malloc(1.5)', () => heap.malloc(1.5)],
        ['malloc(NaN)', () => heap.malloc(Number.NaN)],
        ['malloc(Infinity)', () => heap.malloc(Infinity)],
        ["malloc('16')", () => heap.malloc('16' as unknown as number)],
        ['malloc(undefined)', () => heap.malloc(undefined as unknown as number)],
        ['calloc(-1, 4)', () => heap.calloc(-1, 4)],
        ['calloc(2, 1.5)', () => heap.calloc(2, 1.5)],
        ['calloc(NaN, 1)', () => heap.calloc(Number.NaN, 1)],
        ['realloc(p, -1)', () => heap.realloc(victim.ptr, -1)],
        ['realloc(p, 2.5)', () => heap.realloc(victim.ptr, 2.5)],
        ['realloc(p, NaN)', () => heap.realloc(victim.ptr, Number.NaN)],
        ['realloc(0, -1)', () => heap.realloc(0, -1)],
      ];
      const before = heap.stats();
      for (const [name, call] of bad) {
        const error = thrownBy(call);
        expect(error, name).toBeInstanceOf(InvalidSizeError);
        live.verify();
      }
      expect(heap.stats()).toEqual(before);
    });

    it(`returns 0 for sizes too big to allocate, as exhaustion${debug ? ' (debug mode)' : ''}`, () => {
      const f = fixture({ debug, memory: new Memory({ maxBytes: 8 << 20 }) });
      const { heap, live } = f;
      const victim = live.blocks.find((b) => b.size === 5000)!;
      expect(heap.malloc(2 ** 40)).toBe(0);
      expect(heap.malloc(2 ** 32 - 1)).toBe(0);
      expect(heap.malloc(16 << 20)).toBe(0);
      expect(heap.calloc(2 ** 20, 2 ** 20)).toBe(0);
      expect(heap.calloc(1 << 12, 1 << 12)).toBe(0);
      expect(heap.realloc(victim.ptr, 2 ** 40)).toBe(0);
      expect(heap.realloc(victim.ptr, 16 << 20)).toBe(0);
      expect(heap.memory.byteLength).toBeLessThanOrEqual(8 << 20);
      live.verify();
    });
  }
});

describe('frees after the memory grew', () => {
  for (const debug of [false, true]) {
    it(`frees blocks allocated before a growth, and still rejects them twice${debug ? ' (debug mode)' : ''}`, () => {
      // A 1 MiB start (the default is 16 MiB) so that the blocks below make it grow.
      const heap = new ArenaAllocator({ debug, memory: new Memory({ initialBytes: 1 << 20 }) });
      const live = new LiveBlocks(heap);
      const early = [8, 64, 64, 300, 512, 513, 2000, 20000, 70000].map((size) =>
        live.add(heap.malloc(size), size),
      );
      const bytesBefore = heap.memory.byteLength;
      const u32Before = heap.memory.u32;
      // Several MiB of small and large blocks force the memory to grow a few times.
      for (let i = 0; i < 6; i++) live.add(heap.malloc(1 << 20), 1 << 20);
      for (let i = 0; i < 3000; i++) live.add(heap.malloc(16 + (i % 31) * 16), 16 + (i % 31) * 16);
      expect(heap.memory.byteLength).toBeGreaterThanOrEqual(bytesBefore + (6 << 20));
      expect(heap.memory.u32 === u32Before).toBe(false); // the views were re-created
      live.verify();
      for (const block of early) {
        live.take(live.blocks.indexOf(block));
        live.check(block);
        heap.free(block.ptr);
        live.verify();
        for (const op of POINTER_OPS) expectRejected(heap, live, op, block.ptr, 'double');
      }
      // A pointer beyond the old end is now inside the heap, but still not a block.
      for (const op of POINTER_OPS) expectRejected(heap, live, op, bytesBefore + 8, 'invalid');
    });
  }
});

describe('exhaustion in the middle of a sequence', () => {
  for (const debug of [false, true]) {
    it(`returns 0 when a 2 MiB memory is full, keeps every block, and recovers after frees${debug ? ' (debug mode)' : ''}`, () => {
      const memory = new Memory({ initialBytes: 1 << 20, maxBytes: 2 << 20 });
      const heap = new ArenaAllocator({ memory, debug });
      const live = new LiveBlocks(heap);
      for (let i = 0; i < 20; i++) live.add(heap.malloc(100), 100); // an arena for the small blocks
      let largeCount = 0;
      for (;;) {
        const p = heap.malloc(50_000);
        if (p === 0) break;
        live.add(p, 50_000);
        largeCount++;
      }
      expect(largeCount).toBeGreaterThan(5);
      live.verify();
      let smallCount = 0;
      for (;;) {
        const p = heap.malloc(200);
        if (p === 0) break;
        live.add(p, 200);
        smallCount++;
        expect(smallCount).toBeLessThan(20_000);
      }
      expect(smallCount).toBeGreaterThan(100);
      expect(heap.memory.byteLength).toBe(2 << 20);
      expect(heap.malloc(50_000)).toBe(0);
      expect(heap.malloc(200)).toBe(0);
      expect(heap.calloc(10, 20)).toBe(0);
      live.verify();

      // realloc that cannot grow returns 0 and leaves the old block as it was.
      const large = live.blocks.filter((b) => b.size === 50_000).at(-1)!;
      const small = live.blocks.find((b) => b.size === 200)!;
      const largeUsable = heap.usableSize(large.ptr);
      const smallUsable = heap.usableSize(small.ptr);
      expect(heap.realloc(large.ptr, 1 << 20)).toBe(0);
      expect(heap.realloc(small.ptr, 64 << 10)).toBe(0);
      expect(heap.usableSize(large.ptr)).toBe(largeUsable);
      expect(heap.usableSize(small.ptr)).toBe(smallUsable);
      live.verify();

      // Free some large and small blocks: allocation succeeds again.
      for (let i = 0; i < 3; i++) {
        const index = live.blocks.findIndex((b) => b.size === 50_000);
        heap.free(live.take(index).ptr);
      }
      for (let i = 0; i < 40; i++) {
        const index = live.blocks.findIndex((b) => b.size === 200);
        heap.free(live.take(index).ptr);
      }
      live.verify();
      const again = heap.malloc(50_000);
      expect(again).not.toBe(0);
      live.add(again, 50_000);
      for (let i = 0; i < 40; i++) {
        const p = heap.malloc(200);
        expect(p).not.toBe(0);
        live.add(p, 200);
      }
      const grown = heap.realloc(large.ptr, 60_000);
      expect(grown).not.toBe(0);
      live.take(live.blocks.indexOf(large));
      live.check({ ...large, ptr: grown });
      live.add(grown, 60_000);
      live.verify();
    });
  }

  // A Memory can grow to 4 GiB (its default maxBytes), the limit of 32-bit pointers. The heap
  // below starts near the top so that only a few MiB are used; the 4 GiB WebAssembly memory is
  // reserved, not touched.
  it('keeps a valid heap when the memory grows to exactly 4 GiB', () => {
    const memory = new Memory({ initialBytes: 2 ** 32 - (2 << 20) });
    // Another party holds all but the top 4 MiB (its bytes are never touched).
    memory.reserve(2 ** 32 - (4 << 20), memory.registerOwner('filler'));
    const heap = new ArenaAllocator({ memory, arenaSize: 65536 });
    const live = new LiveBlocks(heap);
    // Big blocks until they no longer fit, then small ones (600 B: TLSF blocks; 300 B: pool
    // blocks) until nothing fits: the last growths take the memory to its very end.
    const ranOut: boolean[] = [];
    for (const size of [200_000, 300, 600]) {
      let n = 0;
      for (; n < 5000; n++) {
        const p = heap.malloc(size);
        if (p === 0) break;
        live.add(p, size);
      }
      ranOut.push(n < 5000);
    }
    expect(memory.byteLength).toBe(2 ** 32);
    // The views must cover the whole memory.
    expect(memory.u8.length).toBe(2 ** 32);
    expect(memory.u32.length).toBe(2 ** 30);
    expect(memory.i32.length).toBe(2 ** 30);
    expect(ranOut).toEqual([true, true, true]);
    heap.validate();
    live.verify();
    for (const block of live.blocks.splice(0)) heap.free(block.ptr);
    live.verify();
  });
});

describe('property: a bad pointer never harms a random heap', () => {
  type BadKind =
    | { kind: 'nonInteger'; value: unknown }
    | { kind: 'beyondEnd'; granules: number }
    | { kind: 'misaligned'; pick: number; offset: number }
    | { kind: 'inside'; pick: number; granule: number }
    | { kind: 'freed'; pick: number }
    | { kind: 'anywhere'; granule: number };

  const badKind: fc.Arbitrary<BadKind> = fc.oneof(
    fc.record({ kind: fc.constant('nonInteger' as const), value: fc.constantFrom(...NON_INTEGERS) }),
    fc.record({ kind: fc.constant('beyondEnd' as const), granules: fc.nat({ max: 1 << 20 }) }),
    fc.record({
      kind: fc.constant('misaligned' as const),
      pick: fc.nat(),
      offset: fc.integer({ min: 1, max: 15 }),
    }),
    fc.record({ kind: fc.constant('inside' as const), pick: fc.nat(), granule: fc.nat() }),
    fc.record({ kind: fc.constant('freed' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('anywhere' as const), granule: fc.nat() }),
  );

  const blockSize = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 512 }) },
    { weight: 2, arbitrary: fc.integer({ min: 513, max: 8192 }) },
    { weight: 1, arbitrary: fc.integer({ min: 8193, max: 120_000 }) },
  );

  const scenario = fc.record({
    debug: fc.boolean(),
    blocks: fc.array(fc.record({ size: blockSize, freeIt: fc.boolean() }), { minLength: 2, maxLength: 60 }),
    bad: fc.array(fc.record({ bad: badKind, op: fc.constantFrom(...POINTER_OPS) }), {
      minLength: 1,
      maxLength: 5,
    }),
  });

  it('throws an InvalidPointerError, the heap validates and all data is intact', () => {
    fc.assert(
      fc.property(scenario, ({ debug, blocks, bad }) => {
        const heap = new ArenaAllocator({ debug, arenaSize: 1 << 18 });
        const live = new LiveBlocks(heap);
        const freed: number[] = [];
        const made = blocks.map(({ size, freeIt }) => ({ block: live.add(heap.malloc(size), size), freeIt }));
        for (const { block, freeIt } of made) {
          if (!freeIt) continue;
          live.take(live.blocks.indexOf(block));
          heap.free(block.ptr);
          freed.push(block.ptr);
        }
        const liveStarts = new Set(live.blocks.map((b) => b.ptr));
        const resolve = (b: BadKind): unknown => {
          const end = heap.memory.byteLength;
          const blocksNow = live.blocks;
          let ptr: number;
          switch (b.kind) {
            case 'nonInteger':
              return b.value;
            case 'beyondEnd':
              return Math.min(end + 16 * b.granules, 2 ** 32 - 16);
            case 'misaligned':
              if (blocksNow.length === 0) return end + b.offset;
              return blocksNow[b.pick % blocksNow.length]!.ptr + b.offset;
            case 'inside': {
              const big = blocksNow.filter((x) => heap.usableSize(x.ptr) > 16);
              if (big.length === 0) return 1.5;
              const x = big[b.pick % big.length]!;
              const granulesInside = Math.floor((heap.usableSize(x.ptr) - 1) / 16);
              return x.ptr + 16 * (1 + (b.granule % granulesInside));
            }
            case 'freed': {
              const stale = freed.filter((p) => !liveStarts.has(p));
              if (stale.length === 0) return -1;
              return stale[b.pick % stale.length]!;
            }
            case 'anywhere':
              ptr = 16 * (b.granule % ((end + (1 << 20)) / 16));
              break;
          }
          return ptr === 0 || liveStarts.has(ptr) ? ptr + 8 : ptr;
        };
        live.verify();
        for (const { bad: b, op } of bad) {
          const ptr = resolve(b);
          const error = thrownBy(() => callWith(heap, op, ptr));
          expect(error).toBeInstanceOf(InvalidPointerError);
          expect(error.message).toContain(formatPtr(ptr));
          live.verify();
        }
        // The heap is still fully usable.
        for (const block of live.blocks.splice(0)) heap.free(block.ptr);
        live.verify();
        heap.trim();
        heap.validate();
        expect(heap.stats().blocksInUse).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
