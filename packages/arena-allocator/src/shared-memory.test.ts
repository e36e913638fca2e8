import { ConfigurationError, InvalidPointerError, Memory } from '@heapkit/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import type { ArenaAllocatorOptions } from './config.js';

/**
 * Several allocators in one memory (DESIGN.md, "Regions: who owns which bytes"): each claims its
 * space through the memory's region protocol, so they never share a byte, each validates, each
 * keeps every block's data, and each refuses the others' pointers saying whose they are.
 */

interface Block {
  heap: number;
  ptr: number;
  size: number;
  tag: number;
}

/** Many allocators over one memory, and every live block with the tag written in it. */
class World {
  readonly heaps: ArenaAllocator[];
  readonly blocks: Block[] = [];
  private nextTag = 1;

  constructor(
    readonly memory: Memory,
    count: number,
    options: ArenaAllocatorOptions = {},
  ) {
    this.heaps = Array.from({ length: count }, () => new ArenaAllocator({ ...options, memory }));
  }

  malloc(heap: number, size: number): Block | undefined {
    const ptr = this.heaps[heap]!.malloc(size);
    if (ptr === 0) return undefined;
    const block = { heap, ptr, size, tag: this.nextTag++ & 0xff || 1 };
    this.memory.u8.fill(block.tag, ptr, ptr + size);
    this.blocks.push(block);
    return block;
  }

  free(i: number): void {
    const [block] = this.blocks.splice(i, 1);
    this.check(block!);
    this.heaps[block!.heap]!.free(block!.ptr);
  }

  check(block: Block): void {
    const bytes = this.memory.u8.subarray(block.ptr, block.ptr + block.size);
    const bad = bytes.findIndex((b) => b !== block.tag);
    if (bad >= 0)
      expect.fail(`block ${block.ptr} of heap ${block.heap}: byte ${bad} is ${bytes[bad]}, not ${block.tag}`);
  }

  /** Disjoint blocks, intact data, each heap valid, and the header's accounting exact. */
  verify(): void {
    const sorted = [...this.blocks].sort((a, b) => a.ptr - b.ptr);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const end = a.ptr + this.heaps[a.heap]!.usableSize(a.ptr);
      if (end > sorted[i]!.ptr)
        expect.fail(`block ${a.ptr} of heap ${a.heap} overlaps ${sorted[i]!.ptr} of heap ${sorted[i]!.heap}`);
    }
    for (const b of this.blocks) this.check(b);
    for (const heap of this.heaps) heap.validate();
    const header = this.memory.regionHeader();
    const regions = this.memory.regions();
    const table = regions.filter((r) => r.owner === 1).reduce((n, r) => n + r.end - r.start, 0);
    const held = this.heaps.reduce((n, h) => n + h.stats().heapBytes, 0);
    expect(header.reservedBytes).toBe(held + table);
    expect(header.reservedBytes + header.releasedBytes).toBe(header.break - header.base);
    for (const [i, heap] of this.heaps.entries()) {
      for (const b of this.blocks) {
        if (b.heap === i) expect(this.memory.regionOf(b.ptr)?.owner).toBe(heap.owner);
      }
    }
  }
}

describe('several allocators in one memory', () => {
  it('the reproduction: two allocators hand out different, disjoint blocks', () => {
    const memory = new Memory({ maxBytes: 8 << 20 });
    const a1 = new ArenaAllocator({ memory });
    const p = a1.malloc(100);
    const a2 = new ArenaAllocator({ memory });
    const q = a2.malloc(100);
    expect(p).not.toBe(q);
    expect(p + a1.usableSize(p) <= q || q + a2.usableSize(q) <= p).toBe(true);
    memory.u8.fill(1, p, p + 100);
    memory.u8.fill(2, q, q + 100);
    expect(memory.u8.subarray(p, p + 100).every((b) => b === 1)).toBe(true);
    a1.validate();
    a2.validate();
    expect(() => a2.free(p)).toThrow(InvalidPointerError);
    expect(() => new ArenaAllocator(memory as never)).toThrow(ConfigurationError);
    expect(() => new ArenaAllocator(memory as never)).toThrow(
      /pass it as \{ memory \}: new ArenaAllocator\(\{ memory \}\)/,
    );
  });

  it("refuses another allocator's pointer in free, realloc and usableSize, saying whose, and changes nothing", () => {
    const world = new World(new Memory({ maxBytes: 16 << 20 }), 2);
    const [a, b] = world.heaps as [ArenaAllocator, ArenaAllocator];
    const small = world.malloc(0, 100)!;
    const large = world.malloc(0, 20_000)!;
    world.malloc(1, 100);
    for (const block of [small, large]) {
      for (const call of [
        () => b.free(block.ptr),
        () => b.realloc(block.ptr, 10),
        () => b.usableSize(block.ptr),
      ]) {
        expect(call).toThrow(InvalidPointerError);
        expect(call).toThrow(
          new RegExp(
            `of owner ${a.owner} \\(ArenaAllocator\\), not a region of this ArenaAllocator \\(owner ${b.owner}\\)`,
          ),
        );
      }
    }
    world.verify();
  });

  it('a three-allocator fuzz keeps every block, never overlaps, and each heap validates', () => {
    const world = new World(new Memory({ initialBytes: 1 << 20, maxBytes: 32 << 20 }), 3, {
      arenaSize: 1 << 18,
      poolSize: 4096,
    });
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let step = 0; step < 12_000; step++) {
      const r = random(100);
      if (r < 55 || world.blocks.length === 0) {
        const size = random(10) === 0 ? 513 + random(40_000) : random(513);
        world.malloc(random(3), size);
      } else if (r < 98) {
        world.free(random(world.blocks.length));
      } else {
        world.heaps[random(3)]!.trim();
      }
      if (step % 3000 === 2999) world.verify();
    }
    world.verify();
    while (world.blocks.length > 0) world.free(world.blocks.length - 1);
    for (const heap of world.heaps) heap.trim();
    world.verify();
    expect(world.memory.regionHeader().reservedBytes).toBe(
      world.memory
        .regions()
        .filter((r) => r.owner === 1)
        .reduce((n, r) => n + r.end - r.start, 0),
    );
  });

  it('space one allocator gives back serves another', () => {
    const world = new World(new Memory({ initialBytes: 1 << 20, maxBytes: 4 << 20 }), 2);
    const blocks: Block[] = [];
    for (let b = world.malloc(0, 200_000); b !== undefined; b = world.malloc(0, 200_000)) blocks.push(b);
    expect(world.malloc(1, 200_000)).toBeUndefined(); // the memory is full
    while (world.blocks.length > 0) world.free(0);
    world.heaps[0]!.trim();
    expect(world.malloc(1, 200_000)).toBeDefined();
    world.verify();
  });

  it('model: random owners, frees, foreign frees refused, trims', () => {
    type Op =
      | { kind: 'malloc'; heap: number; size: number }
      | { kind: 'free'; pick: number }
      | { kind: 'foreign'; pick: number; by: number; op: 0 | 1 | 2 }
      | { kind: 'trim'; heap: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('malloc' as const),
          heap: fc.nat(3),
          size: fc.oneof(
            { weight: 6, arbitrary: fc.nat(512) },
            { weight: 1, arbitrary: fc.integer({ min: 513, max: 80_000 }) },
          ),
        }),
      },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('foreign' as const),
          pick: fc.nat(),
          by: fc.integer({ min: 1, max: 3 }),
          op: fc.constantFrom(0 as const, 1 as const, 2 as const),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), heap: fc.nat(3) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(op, { maxLength: 300 }), (count, ops) => {
        const world = new World(new Memory({ initialBytes: 1 << 20, maxBytes: 32 << 20 }), count, {
          arenaSize: 65536,
          poolSize: 4096,
        });
        for (const o of ops) {
          if (o.kind === 'malloc') world.malloc(o.heap % count, o.size);
          else if (o.kind === 'trim') world.heaps[o.heap % count]!.trim();
          else if (world.blocks.length === 0) continue;
          else if (o.kind === 'free') world.free(o.pick % world.blocks.length);
          else {
            const block = world.blocks[o.pick % world.blocks.length]!;
            const other = world.heaps[(block.heap + o.by) % count]!;
            if (other === world.heaps[block.heap]) continue;
            const call = [
              () => other.free(block.ptr),
              () => other.realloc(block.ptr, 64),
              () => other.usableSize(block.ptr),
            ][o.op]!;
            expect(call).toThrow(/not a region of this ArenaAllocator/);
          }
        }
        world.verify();
      }),
      { numRuns: 40 },
    );
  });
});
