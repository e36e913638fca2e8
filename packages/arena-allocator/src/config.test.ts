import { ConfigurationError, Memory } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import type { ArenaAllocatorOptions } from './config.js';
import { LiveBlocks } from './test-support/live-blocks.js';

/** Options are checked up front: a bad one throws ConfigurationError naming the value. */

function rejects(options: ArenaAllocatorOptions, message: RegExp): void {
  expect(() => new ArenaAllocator(options)).toThrow(ConfigurationError);
  expect(() => new ArenaAllocator(options)).toThrow(message);
}

/** A heap that works: small and large blocks, validated. */
function works(options: ArenaAllocatorOptions): ArenaAllocator {
  const heap = new ArenaAllocator(options);
  const live = new LiveBlocks(heap);
  for (const size of [0, 16, 100, heap.config.smallThreshold, heap.config.smallThreshold + 1, 20_000]) {
    const p = heap.malloc(size);
    expect(p).not.toBe(0);
    live.add(p, size);
  }
  live.verify();
  return heap;
}

describe('ArenaAllocator options', () => {
  it('defaults to CPython: 16 KiB pools, 1 MiB arenas, 512-byte threshold in 32 classes', () => {
    const heap = new ArenaAllocator();
    expect(heap.config).toMatchObject({
      poolSize: 16384,
      poolShift: 14,
      arenaSize: 1 << 20,
      poolsPerArena: 64,
      smallThreshold: 512,
      sizeClasses: 32,
      debug: false,
    });
  });

  it('rejects a poolSize that is not a power of two from 1 KiB to 16 MiB', () => {
    for (const poolSize of [1000, 3000, 12288, 1.5, Number.NaN, 0, -4096]) {
      rejects({ poolSize }, new RegExp(`poolSize must be a power of two .* got ${poolSize}`));
    }
    for (const poolSize of [512, 256, 16]) rejects({ poolSize }, /poolSize must be a power of two from 1024/);
    rejects({ poolSize: 1 << 25, arenaSize: 1 << 26 }, /poolSize/);
  });

  it('rejects a pool too small for two blocks of the threshold', () => {
    rejects(
      { poolSize: 1024 },
      /poolSize 1024 is too small: a pool must hold two blocks of smallThreshold \(512\)/,
    );
    works({ poolSize: 1024, arenaSize: 65536, smallThreshold: 480 });
    works({ poolSize: 2048, arenaSize: 65536 });
  });

  it('rejects an arenaSize below poolSize, not a power of two, or above 1 GiB', () => {
    rejects(
      { arenaSize: 8192 },
      /arenaSize must be a power of two from poolSize \(16384\) to 1 GiB, got 8192/,
    );
    rejects({ poolSize: 65536, arenaSize: 32768 }, /got 32768/);
    rejects({ arenaSize: 1_000_000 }, /got 1000000/);
    rejects({ arenaSize: 2 ** 31 }, /arenaSize/);
    rejects({ arenaSize: 0 }, /arenaSize/);
    // An arena of a single pool is allowed.
    works({ arenaSize: 16384 });
  });

  it('rejects a smallThreshold that is not a multiple of 16 from 16 to 512', () => {
    for (const smallThreshold of [0, 8, 17, 100, 528, 600, -16, 1.5, Number.NaN]) {
      rejects(
        { smallThreshold },
        new RegExp(`smallThreshold must be a multiple of 16 from 16 to 512, got ${smallThreshold}`),
      );
    }
    const heap = works({ smallThreshold: 16 });
    expect(heap.config.sizeClasses).toBe(1);
    works({ smallThreshold: 48 });
  });

  it('refuses heapStart, saying how to keep bytes for yourself instead', () => {
    rejects(
      { heapStart: 4096 } as ArenaAllocatorOptions,
      /heapStart is gone: .* memory\.reserve\(size, memory\.registerOwner\(name\)\)/,
    );
  });

  it('leaves a region another party reserved alone', () => {
    const memory = new Memory({ initialBytes: 1 << 20 });
    const mine = memory.reserve(4097, memory.registerOwner('user data'));
    memory.u8.fill(0x5c, mine, mine + 4097);
    const heap = works({ memory });
    for (let i = 0; i < 30; i++) heap.malloc(i * 50);
    heap.trim();
    expect(memory.u8.subarray(mine, mine + 4097).every((b) => b === 0x5c)).toBe(true);
    heap.validate();
  });

  it('works in a memory too small for an arena (small blocks then come from TLSF segments)', () => {
    const heap = works({ memory: new Memory({ initialBytes: 65536, maxBytes: 65536 }) });
    expect(heap.pools.arenaCount).toBe(0);
    heap.validate();
    expect(() => new ArenaAllocator({ memory: new Memory({ buffer: new ArrayBuffer(1000) }) })).toThrow(
      /cannot hold the 1024-byte region header; pass a bigger or growable buffer/,
    );
  });

  it('rejects a blockCache that is not 0 or a power of two up to 4096', () => {
    for (const blockCache of [-1, 3, 100, 8192, 1.5]) {
      rejects(
        { blockCache },
        new RegExp(`blockCache must be 0 or a power of two up to 4096, got ${blockCache}`),
      );
    }
    works({ blockCache: 0 });
    works({ blockCache: 4096 });
  });

  // A Memory may wrap any ArrayBuffer the caller has, whatever its length. The heap must still
  // be sound when that length is not a multiple of 16 (or the memory be refused up front).
  it('keeps a valid heap in a fixed buffer whose length is not a multiple of 16', () => {
    for (const bytes of [200_008, 200_004, 262_152]) {
      let heap: ArenaAllocator;
      try {
        heap = new ArenaAllocator({
          memory: new Memory({ buffer: new ArrayBuffer(bytes) }),
          arenaSize: 65536,
        });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError); // refusing is fine too
        continue;
      }
      heap.validate(); // first: stats() (in works) would loop forever on a broken block chain
      works({ memory: new Memory({ buffer: new ArrayBuffer(bytes) }), arenaSize: 65536 });
    }
  });

  it('keeps a valid heap in a growable buffer whose maximum is not a multiple of 16', () => {
    const buffer = new ArrayBuffer(131072, { maxByteLength: 300_008 });
    const memory = new Memory({ buffer });
    const heap = new ArenaAllocator({ memory, arenaSize: 65536 });
    let p = 0;
    for (let i = 0; i < 100; i++) {
      p = heap.malloc(5000);
      if (p === 0) break;
    }
    expect(p).toBe(0); // it ran out
    expect(memory.byteLength).toBe(300_008);
    heap.validate();
  });
});
