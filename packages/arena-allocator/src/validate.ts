import { HeapCorruptionError } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { FREED, LIVE_LARGE, LIVE_SMALL } from './block-states.js';
import { ALIGNMENT_SHIFT } from './config.js';
import { checkDebugBlock } from './debug-guards.js';
import {
  POOL_ARENA_WORD as ARENA,
  POOL_FREEBLOCK_WORD as FREEBLOCK,
  POOL_MAXNEXTOFFSET_WORD as MAXNEXTOFFSET,
  POOL_NEXTOFFSET_WORD as NEXTOFFSET,
  POOL_NEXTPOOL_WORD as NEXTPOOL,
  POOL_HEADER_BYTES,
  POOL_PREVPOOL_WORD as PREVPOOL,
  POOL_REF_WORD as REF,
  POOL_SZIDX_WORD as SZIDX,
} from './pool-header.js';
import { forEachOwnLive } from './shared-owner.js';
import { FREE_BIT, HEADER_BYTES } from './tlsf.js';

/**
 * The full consistency check behind `ArenaAllocator.validate()`. It trusts nothing it reads:
 * every link is range-checked before it is followed, and every count is recomputed.
 * O(size of the heap); for tests and debugging, not for hot paths.
 */
export function validateHeap(heap: ArenaAllocator): void {
  const { memory, tlsf, pools, states, config } = heap;
  const u32 = memory.u32;
  const fail = (ptr: number, detail: string): never => {
    throw new HeapCorruptionError(ptr, detail);
  };

  // 1. The allocator's regions: each arena and TLSF segment is a region of this owner in the
  //    memory's table, and the table gives this owner nothing else.
  const arenaIds = new Map<number, number>();
  for (let id = 1; id <= pools.maxArenaId; id++) {
    const address = pools.arenaAddress[id]!;
    if (address !== 0) arenaIds.set(address, id);
  }
  checkRegions(heap, arenaIds, fail);

  // 2. The physical chain of TLSF blocks in each segment, from the first to the sentinel.
  let largeLive = 0;
  let freeBlocks = 0;
  tlsf.segmentStarts.forEach((start, i) => {
    const end = tlsf.segmentEnds[i]!;
    let prev = 0;
    let prevFree = false;
    let p = start + HEADER_BYTES;
    while (p !== end) {
      if (p > end || (p & 15) !== 0) fail(p, `TLSF block chain runs off its segment (block at ${p})`);
      if (u32[(p >>> 2) - 4] !== prev)
        fail(p, `TLSF block's previous-block link is ${u32[(p >>> 2) - 4]}, expected ${prev}`);
      const sizeFlags = u32[(p >>> 2) - 3]!;
      const size = (sizeFlags & ~15) >>> 0;
      if ((sizeFlags & 14) !== 0) fail(p, `TLSF block header has unknown flag bits (${sizeFlags & 15})`);
      const free = (sizeFlags & FREE_BIT) !== 0;
      if (free) {
        if (prevFree) fail(p, 'two adjacent free TLSF blocks (coalescing failed)');
        freeBlocks++;
      } else if (states.get(p) === LIVE_LARGE) {
        largeLive++;
      } else {
        fail(p, `used TLSF block of ${size} bytes is not a live large block`);
      }
      prevFree = free;
      prev = p;
      p = p + size + HEADER_BYTES;
    }
    if (u32[(p >>> 2) - 4] !== prev || u32[(p >>> 2) - 3] !== 0) fail(p, 'a segment-end sentinel is damaged');
  });
  const listProblem = tlsf.checkFreeLists();
  if (listProblem !== undefined) fail(0, `TLSF free lists: ${listProblem}`);
  if (tlsf.freeListTotals().blocks !== freeBlocks) fail(0, 'TLSF free lists do not hold every free block');

  // 3. Arenas: their pools, the free-pool lists, and the sorted list of usable arenas.
  const poolSize = config.poolSize;
  const cached = cachedBlocksByPool(heap, fail);
  const usedPoolClass = new Map<number, number>();
  let smallLive = 0;
  for (const [address, id] of arenaIds) {
    if (address % poolSize !== 0) fail(address, `arena ${id} is not aligned to the pool size`);
    const end = address + config.arenaSize;
    const carvedEnd = pools.arenaPoolAddress[id]!;
    if (carvedEnd < address || carvedEnd > end || (carvedEnd - address) % poolSize !== 0) {
      fail(address, `arena ${id} has a bad never-carved pool address ${carvedEnd}`);
    }
    const freePools = new Set<number>();
    for (let pool = pools.arenaFreePools[id]!; pool !== 0; pool = u32[(pool >>> 2) + NEXTPOOL]!) {
      if (pool < address || pool >= carvedEnd || pool % poolSize !== 0 || freePools.has(pool)) {
        fail(pool, `arena ${id}'s free-pool list holds a bad pool`);
      }
      freePools.add(pool);
    }
    const nfree = freePools.size + (end - carvedEnd) / poolSize;
    if (pools.arenaFreePoolCount[id] !== nfree) {
      fail(address, `arena ${id} counts ${pools.arenaFreePoolCount[id]} free pools, has ${nfree}`);
    }
    for (let pool = address; pool < carvedEnd; pool += poolSize) {
      if (!freePools.has(pool))
        smallLive += checkUsedPool(heap, pool, id, cached.get(pool), usedPoolClass, fail);
    }
  }
  checkUsableArenas(heap, fail);
  for (const pool of cached.keys()) {
    if (!usedPoolClass.has(pool)) fail(pool, 'the block cache holds a block of a pool that is not in use');
  }

  // 4. usedpools: exactly the used pools that have a free block, each in its own class's list.
  let listed = 0;
  for (let c = 0; c < pools.usedpools.length; c++) {
    let back = 0;
    for (let pool = pools.usedpools[c]!; pool !== 0; pool = u32[(pool >>> 2) + NEXTPOOL]!) {
      if (usedPoolClass.get(pool) !== c)
        fail(pool, `usedpools[${c}] links to a pool that is not a used pool of that class`);
      if (u32[(pool >>> 2) + FREEBLOCK] === 0) fail(pool, `usedpools[${c}] holds a full pool`);
      if (u32[(pool >>> 2) + PREVPOOL] !== back) fail(pool, `usedpools[${c}] has a wrong back link`);
      if (++listed > usedPoolClass.size) fail(pool, `usedpools[${c}] has a cycle`);
      back = pool;
    }
  }
  let withFree = 0;
  for (const pool of usedPoolClass.keys()) if (u32[(pool >>> 2) + FREEBLOCK] !== 0) withFree++;
  if (withFree !== listed) fail(0, `${withFree} pools have a free block but ${listed} are in usedpools`);

  // 5. The block-state map agrees with what the structures say is live; debug guards hold.
  let mapSmall = 0;
  let mapLarge = 0;
  forEachOwnLive(heap, (ptr, state) => {
    if (state === LIVE_SMALL) mapSmall++;
    else mapLarge++;
    if (config.debug) checkDebugBlock(memory.u8, memory.u32, ptr, heap.rawUsableSize(ptr, state));
  });
  if (mapSmall !== smallLive)
    fail(0, `the block-state map has ${mapSmall} live small blocks, the pools ${smallLive}`);
  if (mapLarge !== largeLive)
    fail(0, `the block-state map has ${mapLarge} live large blocks, the heap ${largeLive}`);
}

/** Every arena and segment is a region of this allocator, and it has no other region. */
function checkRegions(
  heap: ArenaAllocator,
  arenaIds: Map<number, number>,
  fail: (ptr: number, detail: string) => never,
): void {
  const { memory, tlsf, config, owner, largeOwner } = heap;
  const expected = new Map<number, number>();
  const expectedOwner = new Map<number, number>();
  for (const address of arenaIds.keys()) {
    expected.set(address, address + config.arenaSize);
    expectedOwner.set(address, owner);
  }
  tlsf.segmentStarts.forEach((start, i) => {
    expected.set(start, tlsf.segmentEnds[i]!);
    expectedOwner.set(start, largeOwner);
  });
  let held = 0;
  for (const region of memory.regions()) {
    if (region.owner !== owner && region.owner !== largeOwner) continue;
    held++;
    if (expected.get(region.start) !== region.end || expectedOwner.get(region.start) !== region.owner) {
      fail(
        region.start,
        `the memory's region table gives this allocator [${region.start}, ${region.end}), which is no arena or segment of it`,
      );
    }
  }
  for (const [start, end] of expected) {
    const region = memory.regionOf(start);
    if (
      region === undefined ||
      region.owner !== expectedOwner.get(start) ||
      region.start !== start ||
      region.end !== end
    ) {
      fail(
        start,
        `arena or segment [${start}, ${end}) is not a region of this allocator in the memory's region table`,
      );
    }
  }
  if (held !== expected.size)
    fail(0, `the region table gives this allocator ${held} regions, it holds ${expected.size}`);
}

/** Checks one used pool's header and free list; returns its live-block count. */
function checkUsedPool(
  heap: ArenaAllocator,
  pool: number,
  arena: number,
  cached: CachedInPool | undefined,
  usedPoolClass: Map<number, number>,
  fail: (ptr: number, detail: string) => never,
): number {
  const { memory, states, config } = heap;
  const u32 = memory.u32;
  const h = pool >>> 2;
  const ref = u32[h + REF]!;
  const szidx = u32[h + SZIDX]!;
  if (u32[h + ARENA] !== arena) fail(pool, `pool names arena ${u32[h + ARENA]}, but lies in arena ${arena}`);
  if (szidx >= config.sizeClasses) fail(pool, `pool has size class ${szidx}, beyond the last`);
  const size = (szidx + 1) << ALIGNMENT_SHIFT;
  const nextoffset = u32[h + NEXTOFFSET]!;
  if (u32[h + MAXNEXTOFFSET] !== config.poolSize - size)
    fail(pool, 'pool maxnextoffset is wrong for its size class');
  if (
    nextoffset < POOL_HEADER_BYTES + size ||
    nextoffset > config.poolSize ||
    (nextoffset - POOL_HEADER_BYTES) % size
  ) {
    fail(pool, `pool nextoffset ${nextoffset} is out of range`);
  }
  if (ref === 0) fail(pool, 'a used pool has no live blocks (it should be in its arena free-pool list)');
  const carved = (nextoffset - POOL_HEADER_BYTES) / size;
  let free = 0;
  for (let b = u32[h + FREEBLOCK]!; b !== 0; b = u32[b >>> 2]!) {
    const offset = b - pool - POOL_HEADER_BYTES;
    if (b < pool + POOL_HEADER_BYTES || b >= pool + nextoffset || offset % size !== 0) {
      fail(b, `pool ${pool}'s free list links to a bad block`);
    }
    if (states.get(b) === LIVE_SMALL) fail(b, 'a block in a pool free list is marked live');
    if (cached?.blocks.has(b)) fail(b, 'a block is both in the block cache and in its pool free list');
    if (++free > carved) fail(pool, 'pool free list has a cycle');
  }
  let live = 0;
  for (let b = pool + POOL_HEADER_BYTES; b + size <= pool + config.poolSize; b += size) {
    if (states.get(b) === LIVE_SMALL) {
      if (b >= pool + nextoffset) fail(b, 'a never-carved block is marked live');
      live++;
    }
  }
  const inCache = cached?.blocks.size ?? 0;
  if (cached !== undefined) {
    if (cached.sizeClass !== szidx)
      fail(pool, `the block cache holds blocks of this pool under class ${cached.sizeClass}`);
    for (const b of cached.blocks) {
      if (
        b < pool + POOL_HEADER_BYTES ||
        b >= pool + nextoffset ||
        (b - pool - POOL_HEADER_BYTES) % size !== 0
      ) {
        fail(b, 'the block cache holds a pointer that is not a carved block of its pool');
      }
    }
  }
  if (live + inCache !== ref) {
    fail(
      pool,
      `pool counts ${ref} allocated blocks; the state map has ${live} live and the cache ${inCache}`,
    );
  }
  if (live + free + inCache !== carved) {
    fail(pool, `pool has ${carved} carved blocks but ${live} live + ${free} free + ${inCache} cached`);
  }
  usedPoolClass.set(pool, szidx);
  return live;
}

interface CachedInPool {
  sizeClass: number;
  blocks: Set<number>;
}

/** The block cache's blocks, by pool; each must be FREED in the state map and cached once. */
function cachedBlocksByPool(
  heap: ArenaAllocator,
  fail: (ptr: number, detail: string) => never,
): Map<number, CachedInPool> {
  const byPool = new Map<number, CachedInPool>();
  const { poolSize } = heap.config;
  heap.cache.forEach((ptr, c) => {
    if (heap.states.get(ptr) !== FREED) fail(ptr, 'a block in the block cache is not marked freed');
    const pool = ptr - (ptr & (poolSize - 1));
    let entry = byPool.get(pool);
    if (entry === undefined) {
      entry = { sizeClass: c, blocks: new Set() };
      byPool.set(pool, entry);
    }
    if (entry.sizeClass !== c) fail(ptr, 'the block cache holds blocks of one pool under two classes');
    if (entry.blocks.has(ptr)) fail(ptr, 'a block is in the block cache twice');
    entry.blocks.add(ptr);
  });
  return byPool;
}

/** The usable-arena list is sorted by free pools, fewest first, and nfp2lasta names each run's last. */
function checkUsableArenas(heap: ArenaAllocator, fail: (ptr: number, detail: string) => never): void {
  const { pools } = heap;
  const inList = new Set<number>();
  const lastOf = new Map<number, number>();
  let back = 0;
  let previousCount = 0;
  for (let id = pools.usableArenas; id !== 0; id = pools.arenaNext[id]!) {
    if (inList.has(id) || pools.arenaAddress[id] === 0)
      fail(0, `usable-arena list holds arena ${id} twice or released`);
    if (pools.arenaPrev[id] !== back) fail(0, `usable-arena list has a wrong back link at arena ${id}`);
    const count = pools.arenaFreePoolCount[id]!;
    if (count === 0) fail(0, `arena ${id} has no free pool but is in the usable list`);
    if (count < previousCount) fail(0, `usable-arena list is not sorted at arena ${id}`);
    inList.add(id);
    lastOf.set(count, id);
    previousCount = count;
    back = id;
  }
  for (let id = 1; id <= pools.maxArenaId; id++) {
    if (pools.arenaAddress[id] !== 0 && pools.arenaFreePoolCount[id]! > 0 && !inList.has(id)) {
      fail(pools.arenaAddress[id]!, `arena ${id} has free pools but is not in the usable list`);
    }
  }
  for (let k = 0; k < pools.nfp2lasta.length; k++) {
    if ((pools.nfp2lasta[k] ?? 0) !== (lastOf.get(k) ?? 0)) fail(0, `nfp2lasta[${k}] is wrong`);
  }
}
