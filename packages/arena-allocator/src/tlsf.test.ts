import { Memory } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, MAX_BLOCK, MIN_BLOCK, Tlsf } from './tlsf.js';

/**
 * The TLSF large-block allocator on its own, over segments it reserves from a Memory's region
 * protocol (wired as ArenaAllocator wires it): alignment, immediate coalescing, in-place
 * resizing, new segments and their release, and a model test of live intervals.
 */

/** A Tlsf with one segment of 1 MiB (its first request reserved it). */
function setup(maxBytes = 8 << 20): { memory: Memory; tlsf: Tlsf; owner: number } {
  const memory = new Memory({ initialBytes: 1 << 20, maxBytes });
  const owner = memory.registerOwner('tlsf test');
  const tlsf = new Tlsf(memory, owner, 1 << 20, 16);
  tlsf.free(tlsf.malloc(16));
  return { memory, tlsf, owner };
}

/** The first block of the first segment, and that segment's end (its sentinel). */
const first = (tlsf: Tlsf): number => tlsf.segmentStarts[0]! + HEADER_BYTES;
const end = (tlsf: Tlsf): number => tlsf.segmentEnds[0]!;

interface PhysBlock {
  p: number;
  size: number;
  free: boolean;
}

/**
 * Walks the physical chain from the first block to the sentinel and checks it as a test would:
 * every block aligned, back links right, no two free blocks adjacent, the chain ending exactly at
 * the sentinel, and the free lists agreeing with the chain.
 */
function walk(tlsf: Tlsf): PhysBlock[] {
  const blocks: PhysBlock[] = [];
  for (let i = 0; i < tlsf.segmentStarts.length; i++) {
    walkSegment(tlsf, tlsf.segmentStarts[i]! + HEADER_BYTES, tlsf.segmentEnds[i]!, blocks);
  }
  expect(tlsf.checkFreeLists()).toBeUndefined();
  const free = blocks.filter((b) => b.free);
  const totals = tlsf.freeListTotals();
  expect(totals.blocks).toBe(free.length);
  expect(totals.bytes).toBe(free.reduce((n, b) => n + b.size, 0));
  expect(totals.largest).toBe(Math.max(0, ...free.map((b) => b.size)));
  return blocks;
}

function walkSegment(tlsf: Tlsf, p: number, segmentEnd: number, blocks: PhysBlock[]): void {
  let prev = 0;
  let prevFree = false;
  while (p < segmentEnd) {
    expect(p % 16).toBe(0);
    expect(tlsf.prevPhys(p)).toBe(prev);
    const free = tlsf.isFree(p);
    expect(tlsf.sizeOf(p)).toBeGreaterThanOrEqual(MIN_BLOCK);
    if (free && prevFree) expect.fail(`free blocks at ${prev} and ${p} are adjacent`);
    blocks.push({ p, size: tlsf.sizeOf(p), free });
    prev = p;
    prevFree = free;
    p = tlsf.next(p);
  }
  expect(p).toBe(segmentEnd);
  expect(tlsf.prevPhys(segmentEnd)).toBe(prev);
}

/** The payload of a segment that is one free block: everything but two headers. */
function wholeHeap(tlsf: Tlsf): number {
  return end(tlsf) - first(tlsf) - HEADER_BYTES;
}

function fill(memory: Memory, p: number, size: number, byte: number): void {
  memory.u8.fill(byte, p, p + size);
}

/** Asserts that `size` bytes at `p` all hold `byte` (a native compare of the range with itself shifted by one). */
function expectFilled(memory: Memory, p: number, size: number, byte: number): void {
  const bytes = Buffer.from(memory.buffer, p, size);
  if (size > 0 && bytes[0] === byte && bytes.subarray(0, size - 1).equals(bytes.subarray(1))) return;
  const i = bytes.findIndex((b) => b !== byte);
  expect.fail(`byte ${i} of the ${size}-byte block at ${p} is ${bytes[i]}, not ${byte}`);
}

const PERMUTATIONS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

describe('Tlsf', () => {
  it('reserves nothing until asked; the first request reserves one segment of growStep bytes', () => {
    const memory = new Memory({ initialBytes: 1 << 20 });
    const owner = memory.registerOwner('t');
    const tlsf = new Tlsf(memory, owner, 1 << 20, 16);
    expect(tlsf.segmentStarts).toEqual([]);
    expect(memory.regionHeader().reservedBytes).toBe(0);
    tlsf.free(tlsf.malloc(100));
    const start = tlsf.segmentStarts[0]!;
    expect(memory.regionOf(start)).toEqual({ start, end: start + (1 << 20), owner });
    expect(walk(tlsf)).toEqual([{ p: start + 16, size: (1 << 20) - 2 * HEADER_BYTES, free: true }]);
  });

  it('aligns every block to 16 bytes', () => {
    const { tlsf } = setup();
    for (const size of [0, 1, 15, 16, 17, 31, 100, 511, 512, 513, 1000, 4097, 65536, 100_001]) {
      const p = tlsf.malloc(size);
      expect(p % 16).toBe(0);
      const usable = tlsf.sizeOf(p);
      expect(usable % 16).toBe(0);
      expect(usable).toBeGreaterThanOrEqual(Math.max(size, 16));
      // The remainder is split off unless it is too small to be a block of its own.
      expect(usable).toBeLessThan(Math.max(16, Math.ceil(size / 16) * 16) + 2 * HEADER_BYTES);
      expect(tlsf.isFree(p)).toBe(false);
    }
    walk(tlsf);
  });

  for (const order of PERMUTATIONS) {
    it(`coalesces three adjacent blocks freed in the order ${order.join(', ')}`, () => {
      const { tlsf } = setup();
      const abc = [tlsf.malloc(1000), tlsf.malloc(1000), tlsf.malloc(1000)];
      const guard = tlsf.malloc(1000);
      expect(tlsf.next(abc[0]!)).toBe(abc[1]);
      expect(tlsf.next(abc[1]!)).toBe(abc[2]);
      expect(tlsf.next(abc[2]!)).toBe(guard);
      expect(tlsf.freeListTotals().blocks).toBe(1); // the tail
      for (const i of order) {
        tlsf.free(abc[i]!);
        walk(tlsf);
      }
      // One free block where the three were, then the guard, then the free tail.
      expect(tlsf.freeListTotals().blocks).toBe(2);
      expect(tlsf.isFree(abc[0]!)).toBe(true);
      expect(tlsf.sizeOf(abc[0]!)).toBe(3 * 1008 + 2 * HEADER_BYTES);
      expect(tlsf.next(abc[0]!)).toBe(guard);
      // Freeing the guard merges everything back into one block.
      tlsf.free(guard);
      expect(walk(tlsf)).toEqual([{ p: first(tlsf), size: wholeHeap(tlsf), free: true }]);
    });
  }

  it('reuses a coalesced block for a request that spans the old blocks', () => {
    const { tlsf } = setup();
    const a = tlsf.malloc(4096);
    const b = tlsf.malloc(4096);
    tlsf.malloc(64);
    tlsf.free(b);
    tlsf.free(a);
    expect(tlsf.malloc(8192)).toBe(a);
    walk(tlsf);
  });

  describe('resizeInPlace', () => {
    it('shrinks a block, giving the tail back as a free block', () => {
      const { memory, tlsf } = setup();
      const p = tlsf.malloc(10000);
      const guard = tlsf.malloc(100);
      fill(memory, p, 10000, 0xa5);
      expect(tlsf.resizeInPlace(p, 4000)).toBe(true);
      expect(tlsf.sizeOf(p)).toBe(4000);
      const tail = tlsf.next(p);
      expect(tlsf.isFree(tail)).toBe(true);
      expect(tlsf.sizeOf(tail)).toBe(10000 - 4000 - HEADER_BYTES);
      expect(tlsf.next(tail)).toBe(guard);
      expect(tlsf.prevPhys(guard)).toBe(tail);
      expectFilled(memory, p, 4000, 0xa5);
      walk(tlsf);
    });

    it('keeps the size when the tail would be too small to be a block', () => {
      const { tlsf } = setup();
      const p = tlsf.malloc(4000);
      tlsf.malloc(100);
      expect(tlsf.resizeInPlace(p, 3984)).toBe(true);
      expect(tlsf.sizeOf(p)).toBe(4000);
      expect(tlsf.resizeInPlace(p, 4000)).toBe(true);
      expect(tlsf.sizeOf(p)).toBe(4000);
      walk(tlsf);
    });

    it('merges the freed tail with a free next block', () => {
      const { tlsf } = setup();
      const p = tlsf.malloc(10000);
      const q = tlsf.malloc(10000);
      const guard = tlsf.malloc(100);
      tlsf.free(q);
      expect(tlsf.resizeInPlace(p, 4000)).toBe(true);
      const tail = tlsf.next(p);
      expect(tlsf.isFree(tail)).toBe(true);
      expect(tlsf.sizeOf(tail)).toBe(10000 - 4000 + 10000);
      expect(tlsf.next(tail)).toBe(guard);
      walk(tlsf);
    });

    it('grows into a free next neighbour, keeping the contents', () => {
      const { memory, tlsf } = setup();
      const p = tlsf.malloc(10000);
      const q = tlsf.malloc(10000);
      const guard = tlsf.malloc(100);
      fill(memory, p, 10000, 0x5a);
      tlsf.free(q);
      expect(tlsf.resizeInPlace(p, 15000)).toBe(true);
      expect(tlsf.sizeOf(p)).toBe(15008);
      expectFilled(memory, p, 10000, 0x5a);
      const rest = tlsf.next(p);
      expect(tlsf.isFree(rest)).toBe(true);
      expect(tlsf.next(rest)).toBe(guard);
      walk(tlsf);
      // Growing to exactly the merged size swallows the whole neighbour.
      expect(tlsf.resizeInPlace(p, 10000 + HEADER_BYTES + 10000)).toBe(true);
      expect(tlsf.next(p)).toBe(guard);
      walk(tlsf);
    });

    it('refuses, changing nothing, when the neighbour is used, too small, or the sentinel', () => {
      const { memory, tlsf } = setup();
      const p = tlsf.malloc(10000);
      const q = tlsf.malloc(100);
      const r = tlsf.malloc(10000);
      const before = walk(tlsf);
      expect(tlsf.resizeInPlace(p, 10001 + 16)).toBe(false); // q is used
      expect(walk(tlsf)).toEqual(before);
      tlsf.free(q);
      const withHole = walk(tlsf);
      expect(tlsf.resizeInPlace(p, 10000 + HEADER_BYTES + 112 + 16)).toBe(false); // the hole is too small
      expect(walk(tlsf)).toEqual(withHole);
      expect(tlsf.resizeInPlace(p, MAX_BLOCK + 16)).toBe(false);
      expect(walk(tlsf)).toEqual(withHole);
      // The last block before the sentinel cannot grow in place, and the memory stays as it is.
      const tail = tlsf.next(r);
      expect(tlsf.resizeInPlace(r, tlsf.sizeOf(r) + HEADER_BYTES + tlsf.sizeOf(tail))).toBe(true);
      expect(tlsf.next(r)).toBe(end(tlsf));
      const bytes = memory.byteLength;
      const full = walk(tlsf);
      expect(tlsf.resizeInPlace(r, tlsf.sizeOf(r) + 16)).toBe(false);
      expect(memory.byteLength).toBe(bytes);
      expect(walk(tlsf)).toEqual(full);
    });
  });

  describe('growth', () => {
    it('grows its segment in place when the memory after it is free, merging with the free tail', () => {
      const { memory, tlsf, owner } = setup();
      const a = tlsf.malloc(100_000);
      const big = tlsf.malloc(2 << 20);
      expect(tlsf.segmentStarts.length).toBe(1);
      expect(big).toBe(tlsf.next(a));
      expect(memory.regionOf(big)).toEqual({ start: tlsf.segmentStarts[0], end: end(tlsf), owner });
      walk(tlsf);
      tlsf.free(big);
      tlsf.free(a);
      expect(walk(tlsf)).toEqual([{ p: first(tlsf), size: wholeHeap(tlsf), free: true }]);
    });

    it('reserves a new segment when another region is in the way; releaseFreeSegments gives free ones back', () => {
      const { memory, tlsf, owner } = setup();
      const a = tlsf.malloc(100_000);
      memory.reserve(16, memory.registerOwner('in the way'));
      const big = tlsf.malloc(2 << 20);
      expect(big).not.toBe(0);
      expect(tlsf.segmentStarts.length).toBe(2);
      const [start, segmentEnd] = tlsf.segmentOf(big)!;
      expect(memory.regionOf(big)).toEqual({ start, end: segmentEnd, owner });
      expect(tlsf.next(big)).toBeLessThanOrEqual(segmentEnd);
      walk(tlsf);
      tlsf.free(big);
      expect(tlsf.releaseFreeSegments()).toBe(1);
      expect(tlsf.segmentOf(start)).toBeUndefined();
      expect(memory.regionOf(start)?.owner ?? 0).toBe(0);
      expect(tlsf.segmentStarts.length).toBe(1);
      walk(tlsf);
      expect(tlsf.releaseFreeSegments()).toBe(0); // a is still live
      tlsf.free(a);
      expect(tlsf.releaseFreeSegments()).toBe(1);
      expect(memory.regionHeader().reservedBytes).toBe(16); // only the other owner's region is left
      expect(walk(tlsf)).toEqual([]);
    });

    it('fills the memory completely when a request fits only after growing', () => {
      const { memory, tlsf } = setup(2 << 20);
      const blocks: number[] = [];
      for (;;) {
        const p = tlsf.malloc(30_000);
        if (p === 0) break;
        blocks.push(p);
      }
      expect(memory.byteLength).toBe(2 << 20);
      expect(blocks.length).toBeGreaterThanOrEqual(Math.floor((2 << 20) / (30_000 + 16 + 1024)));
      walk(tlsf);
    });

    it('returns 0 and changes nothing when the memory cannot grow enough', () => {
      const { memory, tlsf } = setup();
      tlsf.malloc(1000);
      const before = walk(tlsf);
      const bytes = memory.byteLength;
      expect(tlsf.malloc(16 << 20)).toBe(0);
      expect(tlsf.malloc(MAX_BLOCK + 1)).toBe(0);
      expect(tlsf.malloc(2 ** 32 - 1)).toBe(0);
      expect(memory.byteLength).toBe(bytes);
      expect(walk(tlsf)).toEqual(before);
    });
  });

  // Memory allows 4 GiB (2^32 bytes, its default maxBytes). Then the sentinel's payload pointer,
  // `end`, is 2^32, and `end >>> 2` is 0: the sentinel header must still be written and read.
  // The Memory stand-in gives the u32 view Tlsf uses over a 4 GiB WebAssembly memory (reserved,
  // barely touched).
});

describe('Tlsf against a model of live intervals', () => {
  type Op =
    | { kind: 'malloc'; size: number }
    | { kind: 'free'; pick: number }
    | { kind: 'resize'; pick: number; size: number };
  const size = fc.integer({ min: 1, max: 200 * 1024 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: size.map((s) => ({ kind: 'malloc' as const, size: s })) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('resize' as const), pick: fc.nat(), size }) },
  );

  interface Live {
    p: number;
    size: number;
    byte: number;
  }

  it('never overlaps, stays inside its segments, keeps contents, and coalesces back to free segments', () => {
    const maxBytes = 4 << 20;
    let total = 0;
    let exhausted = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 100, maxLength: 400, size: 'max' }), (ops) => {
        total += ops.length;
        const { memory, tlsf } = setup(maxBytes);
        const live: Live[] = [];
        let nextByte = 1;
        const checkBlock = (b: Live) => {
          expect(b.p % 16).toBe(0);
          const segment = tlsf.segmentOf(b.p);
          expect(segment).toBeDefined();
          expect(tlsf.next(b.p)).toBeLessThanOrEqual(segment![1]);
          expect(tlsf.isFree(b.p)).toBe(false);
          expect(tlsf.sizeOf(b.p)).toBeGreaterThanOrEqual(b.size);
        };
        const checkAll = () => {
          const sorted = [...live].sort((x, y) => x.p - y.p);
          for (let i = 0; i < sorted.length; i++) {
            const b = sorted[i]!;
            checkBlock(b);
            if (i > 0) {
              const a = sorted[i - 1]!;
              // Blocks and their headers never overlap.
              expect(a.p + tlsf.sizeOf(a.p) + HEADER_BYTES).toBeLessThanOrEqual(b.p);
            }
            expectFilled(memory, b.p, b.size, b.byte);
          }
          const used = walk(tlsf).filter((x) => !x.free);
          expect(used.map((x) => x.p)).toEqual(sorted.map((x) => x.p));
        };
        ops.forEach((o, i) => {
          switch (o.kind) {
            case 'malloc': {
              const p = tlsf.malloc(o.size);
              if (p === 0) {
                // Only when the memory could not grow by what the request needs.
                expect(memory.byteLength + o.size + o.size / 32 + 64).toBeGreaterThan(maxBytes);
                exhausted++;
                break;
              }
              const b = { p, size: o.size, byte: nextByte++ & 255 || 1 };
              fill(memory, p, b.size, b.byte);
              live.push(b);
              checkBlock(b);
              break;
            }
            case 'free': {
              if (live.length === 0) break;
              const [b] = live.splice(o.pick % live.length, 1);
              expectFilled(memory, b!.p, b!.size, b!.byte);
              tlsf.free(b!.p);
              break;
            }
            case 'resize': {
              if (live.length === 0) break;
              const b = live[o.pick % live.length]!;
              const before = tlsf.sizeOf(b.p);
              if (tlsf.resizeInPlace(b.p, o.size)) {
                expect(tlsf.sizeOf(b.p)).toBeGreaterThanOrEqual(o.size);
                expectFilled(memory, b.p, Math.min(b.size, o.size), b.byte);
                b.size = o.size;
                fill(memory, b.p, b.size, b.byte);
              } else {
                expect(o.size).toBeGreaterThan(before); // a shrink always succeeds
                expect(tlsf.sizeOf(b.p)).toBe(before);
              }
              checkBlock(b);
              break;
            }
          }
          if (i % 25 === 24) checkAll();
        });
        checkAll();
        for (const b of live.splice(0)) tlsf.free(b.p);
        // Every segment coalesced back to one free block, and all go back to the memory.
        expect(walk(tlsf).length).toBe(tlsf.segmentStarts.length);
        expect(tlsf.releaseFreeSegments()).toBe(tlsf.segmentsReserved);
        expect(memory.regionHeader().reservedBytes).toBe(0);
      }),
      { numRuns: 60 },
    );
    expect(total).toBeGreaterThanOrEqual(60 * 100);
    expect(exhausted).toBeGreaterThan(0); // the 4 MiB limit was reached in some runs
  });
});
