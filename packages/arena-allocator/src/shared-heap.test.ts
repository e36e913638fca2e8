import { ConfigurationError, DoubleFreeError, InvalidPointerError, Memory } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import { POOL_HEADER_BYTES, POOL_XFREE } from './pool-header.js';
import { BATCH_BYTES, BATCH_ENTRIES } from './remote-batches.js';
import { remoteBit, remoteWord, stateWord } from './shared-heap.js';
import { inUse, SMALL_MEMORY, settle, sharedHeaps } from './test-support/shared-heaps.js';

/**
 * A shared heap (DESIGN.md, "Workers: one shared heap"), deterministically: several allocators in
 * one thread stand for workers. Each owns the pools it carved; any of them frees any block (a
 * remote free claims the block with one atomic OR and puts it in the freeing allocator's batch
 * for the owner, published with one CAS when full or when the freeing allocator reclaims; a
 * large block goes on its owner's stack with one CAS); the owner takes remote frees back before
 * it carves a new pool, or on `reclaim()`; a detached or dead allocator's part is adopted.
 * The same code runs over real workers in `workers.test.ts`.
 */

describe('attaching', () => {
  it('two allocators attached to one shared memory hand out disjoint blocks (the reproduction)', () => {
    const [a, b] = sharedHeaps(2);
    const mine = new Set<number>();
    for (let i = 0; i < 2000; i++) mine.add(a!.malloc(100));
    for (let i = 0; i < 2000; i++) {
      const p = b!.malloc(100);
      expect(mine.has(p)).toBe(false);
    }
    expect(a!.heapSlot).not.toBe(b!.heapSlot);
    a!.validate();
    b!.validate();
  });

  it('every allocator of the heap finds the same record through the memory root, from another Memory too', () => {
    const memory = new Memory({ ...SMALL_MEMORY, shared: true });
    const a = new ArenaAllocator({ memory, shared: true });
    // A WebAssembly.Memory does not tell its maximum: without maxBytes the Memory assumes 4 GiB,
    // beyond what the heap's maps cover, and is refused rather than let grow past them.
    const unsure = new Memory({ buffer: memory.wasmMemory! });
    expect(() => new ArenaAllocator({ memory: unsure, shared: true })).toThrow(/maxBytes: 67108864/);
    const elsewhere = new Memory({ buffer: memory.wasmMemory!, maxBytes: memory.maxBytes });
    const b = new ArenaAllocator({ memory: elsewhere, shared: true });
    expect(b.sharedHeap!.record).toBe(a.sharedHeap!.record);
    const p = a.malloc(40);
    b.free(p); // a remote free, through the other Memory's views
    b.reclaim(); // publishes b's batch
    expect(a.reclaim()).toBe(1);
    a.validate();
    b.validate();
  });

  it('a free of a block beyond this thread’s views (another thread grew the memory) refreshes them first', () => {
    const memory = new Memory({ ...SMALL_MEMORY, shared: true, initialBytes: 4 << 20 });
    const a = new ArenaAllocator({ memory, shared: true });
    // Another thread's view of the buffer, made before the growth: its views stay short.
    const elsewhere = new Memory({ buffer: memory.wasmMemory!, maxBytes: memory.maxBytes });
    const b = new ArenaAllocator({ memory: elsewhere, shared: true });
    const before = elsewhere.byteLength;
    let p = 0;
    while (p < before + (1 << 20)) p = a.malloc(400);
    expect(elsewhere.byteLength).toBe(before); // b has not seen the growth
    b.free(p);
    expect(elsewhere.byteLength).toBeGreaterThan(p); // refreshed (b's own batch may grow it further)
    b.reclaim();
    expect(a.reclaim()).toBe(1);
    a.validate();
    b.validate();
  });

  it('refuses a second configuration, debug, and a memory without room for the maps', () => {
    const memory = new Memory({ ...SMALL_MEMORY, shared: true });
    new ArenaAllocator({ memory, shared: true });
    expect(() => new ArenaAllocator({ memory, shared: true, poolSize: 4096 })).toThrow(
      /uses poolSize 16384 and arenaSize 1048576; pass the same/,
    );
    expect(() => new ArenaAllocator({ memory, shared: true, debug: true })).toThrow(ConfigurationError);
    expect(() => new ArenaAllocator({ memory, shared: 'yes' as unknown as boolean })).toThrow(
      ConfigurationError,
    );
    const tiny = new Memory({ initialBytes: 65536, maxBytes: 65536 });
    tiny.reserve(60_000, tiny.registerOwner('most of it'));
    expect(() => new ArenaAllocator({ memory: tiny, shared: true })).toThrow(
      /cannot hold the shared heap's maps/,
    );
  });

  it('shared-heap methods on a private allocator say what to do', () => {
    const heap = new ArenaAllocator();
    expect(heap.heapSlot).toBe(0);
    expect(heap.reclaim()).toBe(0);
    expect(() => heap.detach()).toThrow(
      /this allocator is private; create it with \{ memory, shared: true \}/,
    );
    expect(() => heap.adoptAbandoned()).toThrow(ConfigurationError);
    expect(() => heap.recover(1)).toThrow(ConfigurationError);
  });
});

describe('remote frees', () => {
  it('a free of another allocator’s small block waits in the freeing allocator’s batch, then on the owner’s stack until it reclaims', () => {
    const [a, b] = sharedHeaps(2);
    const p = a!.malloc(64);
    const q = a!.malloc(64);
    expect(inUse(a!)).toBe(128);
    b!.free(p);
    b!.free(q);
    expect(inUse(a!)).toBe(128); // still counted until taken back
    a!.validate(); // validate() finds them in b's open batch
    b!.validate();
    expect(a!.reclaim()).toBe(0); // not published yet
    expect(b!.reclaim()).toBe(0); // publishes its batch (and takes nothing back)
    a!.validate();
    expect(a!.reclaim()).toBe(2);
    expect(inUse(a!)).toBe(0);
    expect(a!.reclaim()).toBe(0);
    // The emptied batch went home on its pool's cross-thread list: b takes it back without
    // counting it (reclaim() counts the program's blocks only) and ends with nothing in use.
    expect(b!.reclaim()).toBe(0);
    expect(inUse(b!)).toBe(0);
    a!.validate();
    b!.validate();
  });

  it('a full batch is published by itself, with one CAS for all its blocks', () => {
    const [a, b] = sharedHeaps(2);
    const blocks = Array.from({ length: 200 }, () => a!.malloc(32));
    for (const p of blocks) b!.free(p);
    // 200 blocks fill three batches of BATCH_ENTRIES (59); the rest wait in the open one.
    expect(a!.reclaim()).toBe(3 * BATCH_ENTRIES);
    a!.validate();
    b!.reclaim();
    expect(a!.reclaim()).toBe(200 - 3 * BATCH_ENTRIES);
    settle(a!, b!);
    expect(inUse(a!)).toBe(0);
    expect(inUse(b!)).toBe(0);
  });

  it('a batch coming home while its class needs a new pool refills that class instead (regression)', () => {
    const [a, b] = sharedHeaps(2);
    const perPool = Math.floor((b!.config.poolSize - POOL_HEADER_BYTES) / BATCH_BYTES);
    // b's pool of the batches' size class is one block short of full; the batch takes that block.
    const mine = Array.from({ length: perPool - 1 }, () => b!.malloc(BATCH_BYTES));
    const p = a!.malloc(32);
    b!.free(p);
    b!.reclaim(); // publishes the batch
    a!.reclaim(); // takes p back and sends the batch home on its pool's list
    // The pool is full, so the class has no pool to allocate from: before carving one, b takes
    // its batch back, which gives the full pool a free block again. That pool must serve.
    const q = b!.malloc(BATCH_BYTES);
    expect(q - (q % b!.config.poolSize)).toBe(mine[0]! - (mine[0]! % b!.config.poolSize));
    b!.validate();
    for (const m of [...mine, q]) b!.free(m);
    expect(inUse(b!)).toBe(0);
    b!.validate();
  });

  it('a block freed when no batch can be allocated goes on its pool’s cross-thread list instead', () => {
    const memory = new Memory({ maxBytes: 8 << 20, initialBytes: 8 << 20, shared: true });
    const [a, b] = sharedHeaps(2, memory);
    const p = a!.malloc(64);
    // b cannot get memory for a batch: the memory is full (the region protocol refuses an arena).
    const filler: number[] = [];
    for (let f = b!.malloc(100_000); f !== 0; f = b!.malloc(100_000)) filler.push(f);
    for (let f = b!.malloc(256); f !== 0; f = b!.malloc(256)) filler.push(f);
    b!.free(p);
    const pool = p - (p % a!.config.poolSize);
    expect(a!.memory.u32[(pool + POOL_XFREE) >>> 2]! & ~1).toBe(p);
    a!.validate();
    expect(a!.reclaim()).toBe(1);
    for (const f of filler) b!.free(f);
    expect(inUse(a!)).toBe(0);
    expect(inUse(b!)).toBe(0);
  });

  it('trim() takes remote frees back first, so an arena whose blocks all went elsewhere is released', () => {
    const [a, b] = sharedHeaps(2);
    a!.malloc(16); // keeps the first arena
    const blocks: number[] = [];
    while (a!.stats().arenas.length < 3) blocks.push(a!.malloc(512));
    const regions = a!.memory.regions().filter((r) => r.owner === a!.owner).length;
    for (const p of blocks) b!.free(p);
    b!.reclaim();
    expect(a!.trim()).toBeGreaterThanOrEqual(1);
    expect(a!.memory.regions().filter((r) => r.owner === a!.owner).length).toBeLessThan(regions);
    a!.validate();
    a!.detach();
    expect(() => a!.trim()).toThrow(/detached/);
  });

  it('tells onReclaim listeners of every block it takes back, until they are removed', () => {
    const [a, b] = sharedHeaps(2);
    const seen: number[] = [];
    const off = a!.onReclaim((ptr) => seen.push(ptr));
    const p = a!.malloc(32);
    const big = a!.malloc(10_000);
    b!.free(p);
    b!.free(big);
    expect(seen).toEqual([]);
    b!.reclaim();
    a!.reclaim();
    expect(seen.sort((x, y) => x - y)).toEqual([p, big].sort((x, y) => x - y));
    off();
    b!.free(a!.malloc(32));
    settle(a!, b!);
    expect(seen).toHaveLength(2);
    expect(() => a!.onReclaim('no' as unknown as () => void)).toThrow(ConfigurationError);
  });

  it('large blocks too, and realloc and usableSize of another allocator’s block', () => {
    const [a, b] = sharedHeaps(2);
    const big = a!.malloc(100_000);
    a!.memory.u8.fill(7, big, big + 100_000);
    expect(b!.usableSize(big)).toBeGreaterThanOrEqual(100_000);
    const small = a!.malloc(48);
    a!.memory.u8.fill(9, small, small + 48);
    expect(b!.usableSize(small)).toBe(48); // read from the owner's pool header
    const moved = b!.realloc(small, 200);
    expect(b!.memory.u8.subarray(moved, moved + 48).every((x) => x === 9)).toBe(true);
    b!.free(big);
    b!.reclaim();
    expect(a!.reclaim()).toBe(2);
    expect(inUse(a!)).toBe(0);
    b!.free(moved);
    settle(a!, b!);
    expect(inUse(b!)).toBe(0);
    a!.validate();
    b!.validate();
  });

  it('double frees are caught whichever allocator makes them, and change nothing', () => {
    const [a, b, c] = sharedHeaps(3);
    const keep = a!.malloc(32);
    a!.memory.u32[keep >>> 2] = 0xfeed;
    const p = a!.malloc(32);
    b!.free(p);
    expect(() => c!.free(p)).toThrow(DoubleFreeError); // two remote frees
    expect(() => b!.free(p)).toThrow(DoubleFreeError);
    expect(() => a!.free(p)).toThrow(DoubleFreeError); // the owner, after a remote free
    expect(() => a!.usableSize(p)).toThrow(DoubleFreeError);
    settle(a!, b!, c!);
    expect(() => b!.free(p)).toThrow(DoubleFreeError); // after the owner took it back
    const q = a!.malloc(32);
    a!.free(q);
    expect(() => b!.free(q)).toThrow(DoubleFreeError); // a remote free after the owner's
    expect(() => b!.free(keep + 16)).toThrow(InvalidPointerError);
    expect(a!.memory.u32[keep >>> 2]).toBe(0xfeed);
    for (const h of [a!, b!, c!]) h.validate();
    a!.free(keep);
    expect(inUse(a!)).toBe(0);
  });

  it('validate() checks the cross-thread lists against the remote-free bits', () => {
    const [a, b] = sharedHeaps(2);
    const p = a!.malloc(32);
    const q = a!.malloc(32);
    const big = a!.malloc(5000);
    b!.free(p);
    b!.free(big);
    a!.validate();
    const bits = a!.sharedHeap!.remoteBits;
    const flip = (ptr: number): void => {
      Atomics.xor(bits, remoteWord(ptr), remoteBit(ptr));
    };
    flip(q); // a bit set with no list holding the block
    expect(() => a!.validate()).toThrow(/freed by another thread is on no cross-thread list and in no batch/);
    flip(q);
    flip(p); // a batched block without its bit
    expect(() => a!.validate()).toThrow(/in a remote-free batch is not a live block freed by another/);
    flip(p);
    flip(big);
    expect(() => a!.validate()).toThrow(
      /remote-free stack is not a live large block freed by another thread/,
    );
    flip(big);
    a!.validate();
    settle(a!, b!);
    a!.free(q);
    expect(inUse(a!)).toBe(0);
  });

  it('a private allocator in the same memory is told apart', () => {
    const memory = new Memory({ ...SMALL_MEMORY, shared: true });
    const [a] = sharedHeaps(1, memory);
    const solo = new ArenaAllocator({ memory });
    const p = solo.malloc(32);
    expect(() => a!.free(p)).toThrow(/not a region of this ArenaAllocator|not a block of/);
    const q = a!.malloc(32);
    expect(() => solo.free(q)).toThrow(InvalidPointerError);
    solo.free(p);
    a!.free(q);
    a!.validate();
    solo.validate();
  });

  it('keeps the pools in use bounded while blocks are in flight: the owner reclaims before it carves a pool', () => {
    const [a, b] = sharedHeaps(2);
    let poolsHigh = 0;
    for (let round = 0; round < 50; round++) {
      const batch: number[] = [];
      for (let i = 0; i < 500; i++) batch.push(a!.malloc(64));
      for (const p of batch) b!.free(p); // every block freed by the other worker
      poolsHigh = Math.max(poolsHigh, a!.stats().sizeClasses.find((c) => c.blockSize === 64)!.pools);
    }
    // 500 blocks of 64 bytes fit in 2 pools; with every free remote, at most one round of them
    // (and one open batch of BATCH_ENTRIES) is in flight while the next is allocated.
    expect(poolsHigh).toBeLessThanOrEqual(5);
    settle(a!, b!);
    expect(inUse(a!)).toBe(0);
    a!.validate();
  });
});

describe('detach, adopt, recover', () => {
  it('a detached allocator’s pools are adopted, its blocks stay valid, and anyone frees them', () => {
    const [a, b, c] = sharedHeaps(3);
    const blocks = Array.from({ length: 300 }, (_, i) => {
      const p = a!.malloc(16 + (i % 40) * 16);
      a!.memory.u32[p >>> 2] = i;
      return p;
    });
    const large = a!.malloc(50_000);
    for (const p of blocks.slice(0, 50)) a!.free(p); // some into a's cache, flushed on detach
    for (const p of blocks.slice(50, 100)) b!.free(p); // some in flight at detach
    a!.detach();
    expect(() => a!.malloc(16)).toThrow(/detached/);
    expect(() => a!.free(blocks[200]!)).toThrow(/detached/);
    expect(c!.adoptAbandoned()).toBe(1);
    expect(c!.adoptAbandoned()).toBe(0);
    c!.validate();
    expect(blocks.slice(100).map((p) => c!.memory.u32[p >>> 2])).toEqual(
      blocks.slice(100).map((_, i) => 100 + i),
    );
    for (const p of blocks.slice(100, 200)) b!.free(p); // remote frees now reach c
    for (const p of blocks.slice(200)) c!.free(p); // c owns them now
    b!.free(large);
    settle(b!, c!);
    expect(inUse(c!)).toBe(0);
    c!.validate();
    b!.validate();
  });

  it('an allocator adopts abandoned slots by itself before it reserves a new arena', () => {
    const memory = new Memory({ ...SMALL_MEMORY, shared: true });
    const [a] = sharedHeaps(1, memory);
    const p = a!.malloc(32);
    a!.free(a!.malloc(32));
    a!.detach();
    const b = new ArenaAllocator({ memory, shared: true });
    const regionsBefore = memory.regionHeader().regionCount;
    const q = b.malloc(32);
    expect(b.adoptedSlots).toEqual([a!.heapSlot]);
    expect(memory.regionHeader().regionCount).toBe(regionsBefore); // no new arena
    b.free(p);
    b.free(q);
    expect(inUse(b)).toBe(0);
    b.validate();
  });

  it('recover() takes over a worker that ended without detaching, whatever it had cached', () => {
    const [dead, live] = sharedHeaps(2);
    const kept = Array.from({ length: 100 }, (_, i) => {
      const p = dead!.malloc(24);
      dead!.memory.u32[p >>> 2] = 1000 + i;
      return p;
    });
    for (let i = 0; i < 40; i++) dead!.free(dead!.malloc(24)); // cached, never flushed
    const big = dead!.malloc(20_000);
    live!.free(kept[0]!); // in flight when it died
    live!.recover(dead!.heapSlot);
    live!.validate();
    expect(kept.slice(1).map((p) => live!.memory.u32[p >>> 2])).toEqual(
      kept.slice(1).map((_, i) => 1001 + i),
    );
    for (const p of kept.slice(1)) live!.free(p);
    live!.free(big);
    live!.reclaim(); // its batch for the dead slot now comes to itself
    expect(inUse(live!)).toBe(0);
    live!.validate();
  });

  it('recover() hands over the open batch of remote frees a dead worker left', () => {
    const [dead, live, other] = sharedHeaps(3);
    const mine = [live!.malloc(48), live!.malloc(48)];
    const theirs = other!.malloc(48);
    for (const p of mine) dead!.free(p); // in dead's open batch for live, never published
    dead!.free(theirs); // and one for other
    expect(live!.reclaim()).toBe(0);
    live!.recover(dead!.heapSlot);
    live!.validate();
    expect(live!.reclaim()).toBe(2);
    expect(other!.reclaim()).toBe(1);
    settle(live!, other!);
    expect(inUse(live!)).toBe(0);
    expect(inUse(other!)).toBe(0);
    live!.validate();
    other!.validate();
  });

  it('recover() and detach() refuse what they cannot do, changing nothing', () => {
    const [a, b] = sharedHeaps(2);
    expect(() => a!.recover(a!.heapSlot)).toThrow(/another allocator/);
    expect(() => a!.recover(200)).toThrow(/not in use/);
    expect(() => a!.recover(1.5)).toThrow(ConfigurationError);
    expect(() => a!.recover('2' as unknown as number)).toThrow(ConfigurationError);
    b!.detach();
    expect(() => b!.detach()).toThrow(/detached/);
    a!.recover(b!.heapSlot);
    expect(() => a!.recover(b!.heapSlot)).toThrow(/already adopted/);
    a!.validate();
  });

  it('a chain of adoptions forwards every departed slot’s remote frees to the last adopter', () => {
    const [a, b, c, d] = sharedHeaps(4);
    const pa = a!.malloc(32);
    a!.detach();
    b!.adoptAbandoned();
    const pb = b!.malloc(32);
    b!.detach();
    c!.adoptAbandoned();
    d!.free(pa); // the pool still names a's slot: a's stack, forwarded to c
    d!.free(pb);
    d!.reclaim();
    expect(c!.reclaim()).toBe(2);
    expect(inUse(c!)).toBe(0);
    c!.validate();
  });
});

describe('the block map', () => {
  it('gives every granule its own state bits and remote bit, both in the granule’s 64-byte line', () => {
    const seen = new Set<string>();
    for (let ptr = 0; ptr < 1 << 16; ptr += 16) {
      const line = ptr >>> 11; // one line of 16 words per 2 KiB
      const state = stateWord(ptr);
      const remote = remoteWord(ptr);
      expect(state >>> 4).toBe(line);
      expect(remote >>> 4).toBe(line);
      expect(state & 15).toBeLessThan(8); // words 0-7: state
      expect(remote & 15).toBeGreaterThanOrEqual(8); // words 8-11: remote
      expect(remote & 15).toBeLessThan(12);
      for (const key of [`s${state}:${(ptr >>> 3) & 30}`, `r${remote}:${Math.log2(remoteBit(ptr) >>> 0)}`]) {
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
    expect(stateWord(0xffff_fff0)).toBe(((0xffff_fff0 >>> 11) << 4) | 7);
  });
});
