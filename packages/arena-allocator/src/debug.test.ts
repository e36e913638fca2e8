import { DoubleFreeError, formatPtr, HeapCorruptionError } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { LiveBlocks } from './test-support/live-blocks.js';
import { thrownBy } from './test-support/thrown-by.js';

/**
 * Debug mode (PYTHONMALLOC=debug in spirit): fresh bytes 0xCD, freed bytes 0xDD, 0xFD guards on
 * both sides of every block, checked by free, realloc, usableSize and validate().
 */

const CLEAN = 0xcd;
const DEAD = 0xdd;
const FORBIDDEN = 0xfd;

function expectBytes(heap: ArenaAllocator, p: number, n: number, byte: number): void {
  const u8 = heap.memory.u8;
  for (let i = 0; i < n; i++) {
    if (u8[p + i] !== byte) expect.fail(`byte ${i} at ${formatPtr(p)} is ${u8[p + i]}, not ${byte}`);
  }
}

/** Sizes that land in pools (small) and in TLSF blocks (large), debug overhead included. */
const SIZES = [0, 1, 15, 40, 100, 480, 481, 2000, 70_000];

describe('debug mode', () => {
  it('fills fresh blocks with 0xCD and reports exactly the requested size', () => {
    const heap = new ArenaAllocator({ debug: true });
    for (const size of SIZES) {
      const p = heap.malloc(size);
      expect(p % 16).toBe(0);
      expect(heap.usableSize(p)).toBe(size);
      expectBytes(heap, p, size, CLEAN);
      expectBytes(heap, p - 12, 12, FORBIDDEN);
      expectBytes(heap, p + size, 16, FORBIDDEN);
    }
    heap.validate();
  });

  it('fills reused memory with 0xCD too, and calloc with zeroes', () => {
    const heap = new ArenaAllocator({ debug: true });
    const p = heap.malloc(64);
    heap.memory.u8.fill(0x11, p, p + 64);
    heap.free(p);
    const q = heap.malloc(64);
    expect(q).toBe(p);
    expectBytes(heap, q, 64, CLEAN);
    heap.memory.u8.fill(0x22, q, q + 64);
    heap.free(q);
    const z = heap.calloc(8, 8);
    expect(z).toBe(p);
    expectBytes(heap, z, 64, 0);
    expectBytes(heap, z + 64, 16, FORBIDDEN);
    heap.validate();
  });

  for (const size of [40, 2000]) {
    const kind = size <= 480 ? 'small' : 'large';
    describe(`a ${kind} block of ${size} bytes`, () => {
      for (const guard of ['back', 'front'] as const) {
        const at = (p: number) => (guard === 'back' ? p + size : p - 1);
        const where = guard === 'back' ? '1 byte past its end' : '1 byte before its start';

        it(`reports a write ${where} on free, realloc, usableSize and validate()`, () => {
          const heap = new ArenaAllocator({ debug: true });
          const live = new LiveBlocks(heap);
          live.add(heap.malloc(100), 100);
          const p = heap.malloc(size);
          live.add(heap.malloc(3000), 3000);
          heap.memory.u8[at(p)] = 0x41;
          const checks: Array<[string, () => unknown]> = [
            ['free', () => heap.free(p)],
            ['realloc', () => heap.realloc(p, size * 2)],
            ['usableSize', () => heap.usableSize(p)],
            ['validate', () => heap.validate()],
          ];
          for (const [name, check] of checks) {
            const error = thrownBy(check);
            expect(error, name).toBeInstanceOf(HeapCorruptionError);
            expect((error as HeapCorruptionError).ptr).toBe(p);
            expect(error.message).toContain(formatPtr(p));
            expect(error.message).toContain(`${guard} guard overwritten`);
            expect(error.message).toContain(`${size}`);
            expect(error.message).toContain('0x41');
          }
          // Nothing was freed or moved: repair the guard and the block is as it was.
          heap.memory.u8[at(p)] = FORBIDDEN;
          expect(heap.usableSize(p)).toBe(size);
          expectBytes(heap, p, size, CLEAN);
          heap.validate();
          live.checkAll();
          heap.free(p);
          live.verify();
        });
      }

      it('names the block, its size and the guard in the message', () => {
        const heap = new ArenaAllocator({ debug: true });
        const p = heap.malloc(size);
        heap.memory.u8[p + size] = 0;
        expect(thrownBy(() => heap.free(p)).message).toBe(
          `heap corruption at ${formatPtr(p)}: back guard overwritten: byte ${size} of the ${size}-byte ` +
            `block ${formatPtr(p)} (0 past its end) is 0x00, expected 0xfd`,
        );
        heap.memory.u8[p + size] = FORBIDDEN;
        heap.memory.u8[p - 1] = 0;
        expect(thrownBy(() => heap.free(p)).message).toBe(
          `heap corruption at ${formatPtr(p)}: front guard overwritten: byte -1 (before the block) is 0x00, ` +
            `expected 0xfd; the block's recorded size is ${size} bytes`,
        );
      });

      it('fills the user bytes with 0xDD once freed', () => {
        const heap = new ArenaAllocator({ debug: true });
        const p = heap.malloc(size);
        heap.malloc(16); // a neighbour, so a large block is not merged into the free tail
        heap.memory.u8.fill(0x77, p, p + size);
        heap.free(p);
        expectBytes(heap, p, size, DEAD);
        heap.validate();
      });

      it('reports a double free and a use of the freed block', () => {
        const heap = new ArenaAllocator({ debug: true });
        const live = new LiveBlocks(heap);
        const p = heap.malloc(size);
        live.add(heap.malloc(size), size);
        heap.free(p);
        for (const [name, call] of [
          ['free', () => heap.free(p)],
          ['realloc', () => heap.realloc(p, 10)],
          ['usableSize', () => heap.usableSize(p)],
        ] as const) {
          const error = thrownBy(call);
          expect(error, name).toBeInstanceOf(DoubleFreeError);
          expect(error.message).toContain(`${name}(${formatPtr(p)})`);
          live.verify();
        }
      });
    });
  }

  it('detects a size field overwritten by an underflow into the front of the block', () => {
    const heap = new ArenaAllocator({ debug: true });
    const p = heap.malloc(40);
    heap.memory.u32[(p - 16) >>> 2] = 10_000; // the recorded size, in front of the front guard
    const error = thrownBy(() => heap.free(p));
    expect(error).toBeInstanceOf(HeapCorruptionError);
    expect(error.message).toContain(formatPtr(p));
    expect(error.message).toMatch(/recorded size 10000/);
  });

  it('always moves on realloc, leaving 0xDD behind and keeping the contents', () => {
    const heap = new ArenaAllocator({ debug: true });
    const live = new LiveBlocks(heap);
    const block = live.add(heap.malloc(100), 100);
    live.take(0);
    const q = heap.realloc(block.ptr, 90); // CPython's release mode would keep this in place
    expect(q).not.toBe(block.ptr);
    expect(heap.usableSize(q)).toBe(90);
    live.check({ ...block, ptr: q }, 90);
    expectBytes(heap, block.ptr, 100, DEAD);
    expectBytes(heap, q + 90, 16, FORBIDDEN);
    const r = heap.realloc(q, 5000);
    expect(heap.usableSize(r)).toBe(5000);
    live.check({ ...block, ptr: r }, 90);
    expectBytes(heap, r + 90, 5000 - 90, CLEAN);
    heap.validate();
  });

  it('keeps the stats in user bytes', () => {
    const heap = new ArenaAllocator({ debug: true });
    const live = new LiveBlocks(heap);
    for (const size of SIZES) live.add(heap.malloc(size), size);
    const s = heap.stats();
    expect(s.bytesInUse).toBe(SIZES.reduce((a, b) => a + b, 0));
    expect(s.blocksInUse).toBe(SIZES.length);
    live.verify();
  });
});
