import { HeapCorruptionError } from '@heapkit/memory';
import type { ArenaAllocator } from './arena-allocator.js';
import { ALIGNMENT_SHIFT } from './config.js';
import {
  POOL_NEXTPOOL_WORD as NEXTPOOL,
  POOL_HEADER_BYTES,
  POOL_REF_WORD as REF,
  POOL_SZIDX_WORD as SZIDX,
} from './pool-header.js';
import { forEachOwnLive } from './shared-owner.js';
import { FREE_BIT, HEADER_BYTES } from './tlsf.js';

/** One size class's figures (a row of `sys._debugmallocstats()`). */
export interface SizeClassStats {
  /** Class index: blocks of `(sizeClass + 1) * 16` bytes. */
  sizeClass: number;
  blockSize: number;
  /** Pools currently serving this class. */
  pools: number;
  blocksInUse: number;
  /** Free blocks in those pools, never-carved ones included (cached ones not). */
  availableBlocks: number;
  /** Freed blocks held in the block cache, ready for the next malloc of the class. */
  cachedBlocks: number;
}

/** One arena's figures. */
export interface ArenaStats {
  id: number;
  address: number;
  totalPools: number;
  freePools: number;
}

/**
 * Where every byte of the managed memory is. The fields sum exactly to `heapBytes`.
 * Small-block figures are for the blocks the pools hand out (in debug mode, the guarded
 * inner blocks); `bytesInUse` in {@link AllocatorStats} is what callers can use.
 */
export interface ByteBreakdown {
  /** Bytes in live small blocks (block size × blocks). */
  smallInUse: number;
  /** Free bytes in used pools, in blocks ready to be handed out. */
  smallAvailable: number;
  /** Bytes in freed blocks held by the block cache. */
  smallCached: number;
  /** Pool headers of used pools. */
  poolHeaders: number;
  /** Tails of used pools too short for one more block. */
  poolQuantization: number;
  /** Whole pools that are free or never used, inside arenas. */
  freePools: number;
  /** Payloads of live large blocks. */
  largeInUse: number;
  /** Payloads of free TLSF blocks, reusable by large blocks and new arenas. */
  largeFree: number;
  /** TLSF block headers, each segment's sentinel included. */
  blockHeaders: number;
}

/** What `ArenaAllocator.stats()` returns. */
export interface AllocatorStats {
  /** Live blocks, small and large. */
  blocksInUse: number;
  /** Sum of `usableSize` over live blocks. */
  bytesInUse: number;
  /** Bytes of memory the allocator manages: its regions (arenas and TLSF segments). */
  heapBytes: number;
  /** TLSF segments (regions for large blocks) held now, reserved in all, and released in all. */
  segments: number;
  segmentsReservedTotal: number;
  segmentsReleased: number;
  /** Bytes of allocator metadata kept on the JS side (block-state map, arena records, TLSF lists). */
  metadataBytes: number;
  /** heapBytes + metadataBytes: everything the allocator costs. */
  footprintBytes: number;
  smallThreshold: number;
  poolSize: number;
  arenaSize: number;
  sizeClasses: SizeClassStats[];
  arenas: ArenaStats[];
  arenasAllocatedTotal: number;
  arenasReclaimed: number;
  arenasHighWater: number;
  largeBlocksInUse: number;
  freeLargeBlocks: number;
  largestFreeBlock: number;
  breakdown: ByteBreakdown;
}

/** Gathers {@link AllocatorStats} by walking the heap (O(heap size)). */
export function collectStats(heap: ArenaAllocator): AllocatorStats {
  const { memory, tlsf, pools, config, states } = heap;
  const u32 = memory.u32;
  const poolSize = config.poolSize;
  const sizeClasses: SizeClassStats[] = [];
  for (let c = 0; c < config.sizeClasses; c++) {
    sizeClasses.push({
      sizeClass: c,
      blockSize: (c + 1) << ALIGNMENT_SHIFT,
      pools: 0,
      blocksInUse: 0,
      availableBlocks: 0,
      cachedBlocks: 0,
    });
  }
  const breakdown: ByteBreakdown = {
    smallInUse: 0,
    smallAvailable: 0,
    smallCached: 0,
    poolHeaders: 0,
    poolQuantization: 0,
    freePools: 0,
    largeInUse: 0,
    largeFree: 0,
    blockHeaders: 0,
  };
  const cachedPerPool = new Map<number, number>();
  heap.cache.forEach((ptr) => {
    const pool = ptr - (ptr & (poolSize - 1));
    cachedPerPool.set(pool, (cachedPerPool.get(pool) ?? 0) + 1);
  });
  const arenas: ArenaStats[] = [];
  for (let id = 1; id <= pools.maxArenaId; id++) {
    const address = pools.arenaAddress[id]!;
    if (address === 0) continue;
    const freePools = pools.arenaFreePoolCount[id]!;
    arenas.push({ id, address, totalPools: config.poolsPerArena, freePools });
    breakdown.freePools += freePools * poolSize;
    const free = new Set<number>();
    for (let pool = pools.arenaFreePools[id]!; pool !== 0; pool = u32[(pool >>> 2) + NEXTPOOL]!)
      free.add(pool);
    for (let pool = address; pool < pools.arenaPoolAddress[id]!; pool += poolSize) {
      if (free.has(pool)) continue;
      const h = pool >>> 2;
      const cls = sizeClasses[u32[h + SZIDX]!]!;
      const capacity = Math.floor((poolSize - POOL_HEADER_BYTES) / cls.blockSize);
      const cachedHere = cachedPerPool.get(pool) ?? 0;
      const live = u32[h + REF]! - cachedHere;
      cls.pools++;
      cls.blocksInUse += live;
      cls.cachedBlocks += cachedHere;
      cls.availableBlocks += capacity - u32[h + REF]!;
      breakdown.smallInUse += live * cls.blockSize;
      breakdown.smallCached += cachedHere * cls.blockSize;
      breakdown.smallAvailable += (capacity - u32[h + REF]!) * cls.blockSize;
      breakdown.poolHeaders += POOL_HEADER_BYTES;
      breakdown.poolQuantization += poolSize - POOL_HEADER_BYTES - capacity * cls.blockSize;
    }
  }
  let largeBlocksInUse = 0;
  let segmentBytes = 0;
  tlsf.segmentStarts.forEach((start, i) => {
    const end = tlsf.segmentEnds[i]!;
    segmentBytes += end - start;
    breakdown.blockHeaders += HEADER_BYTES; // the sentinel
    for (let p = start + HEADER_BYTES; p !== end; ) {
      const sizeFlags = u32[(p >>> 2) - 3]!;
      const size = (sizeFlags & ~15) >>> 0;
      if (p + size + HEADER_BYTES > end) {
        throw new HeapCorruptionError(
          p,
          `TLSF block of ${size} bytes runs past its segment's end (run validate())`,
        );
      }
      breakdown.blockHeaders += HEADER_BYTES;
      if ((sizeFlags & FREE_BIT) !== 0) breakdown.largeFree += size;
      else {
        breakdown.largeInUse += size;
        largeBlocksInUse++;
      }
      p += size + HEADER_BYTES;
    }
  });
  const smallBlocks = sizeClasses.reduce((n, c) => n + c.blocksInUse, 0);
  const freeLists = tlsf.freeListTotals();
  const metadataBytes =
    states.byteLength + tlsf.metadataBytes + pools.metadataBytes + heap.cache.metadataBytes;
  const heapBytes = arenas.length * config.arenaSize + segmentBytes;
  return {
    blocksInUse: smallBlocks + largeBlocksInUse,
    bytesInUse: config.debug ? debugBytesInUse(heap) : breakdown.smallInUse + breakdown.largeInUse,
    heapBytes,
    metadataBytes,
    footprintBytes: heapBytes + metadataBytes,
    smallThreshold: config.smallThreshold,
    poolSize,
    arenaSize: config.arenaSize,
    sizeClasses,
    arenas,
    arenasAllocatedTotal: pools.arenasAllocated,
    arenasReclaimed: pools.arenasReleased,
    arenasHighWater: pools.arenasHighWater,
    segments: tlsf.segmentStarts.length,
    segmentsReservedTotal: tlsf.segmentsReserved,
    segmentsReleased: tlsf.segmentsReleased,
    largeBlocksInUse,
    freeLargeBlocks: freeLists.blocks,
    largestFreeBlock: freeLists.largest,
    breakdown,
  };
}

/** In debug mode a block's usable size is what was asked for, kept in its debug header. */
function debugBytesInUse(heap: ArenaAllocator): number {
  const u32 = heap.memory.u32;
  let total = 0;
  forEachOwnLive(heap, (ptr) => {
    total += u32[ptr >>> 2]!;
  });
  return total;
}

/** Formats stats like CPython's `sys._debugmallocstats()`, with the large-block heap after. */
export function formatStats(s: AllocatorStats): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const row = (label: string, value: number) => `${label.padEnd(35)}= ${n(value).padStart(20)}`;
  const b = s.breakdown;
  const lines = [
    `Small block threshold = ${s.smallThreshold}, in ${s.sizeClasses.length} size classes.`,
    '',
    'class   size   num pools   blocks in use  avail blocks',
    '-----   ----   ---------   -------------  ------------',
  ];
  for (const c of s.sizeClasses) {
    if (c.pools === 0) continue;
    lines.push(
      `${String(c.sizeClass).padStart(5)}${String(c.blockSize).padStart(7)}${String(c.pools).padStart(12)}` +
        `${String(c.blocksInUse).padStart(16)}${String(c.availableBlocks).padStart(14)}`,
    );
  }
  const arenaBytes = s.arenas.length * s.arenaSize;
  lines.push(
    '',
    row('# arenas allocated total', s.arenasAllocatedTotal),
    row('# arenas reclaimed', s.arenasReclaimed),
    row('# arenas highwater mark', s.arenasHighWater),
    row('# arenas allocated current', s.arenas.length),
    row(`${s.arenas.length} arenas * ${s.arenaSize} bytes/arena`, arenaBytes),
    '',
    row('# bytes in allocated blocks', b.smallInUse),
    row('# bytes in available blocks', b.smallAvailable),
    row('# bytes in cached freed blocks', b.smallCached),
    row(`${b.freePools / s.poolSize} unused pools * ${s.poolSize} bytes`, b.freePools),
    row('# bytes lost to pool headers', b.poolHeaders),
    row('# bytes lost to quantization', b.poolQuantization),
    row(
      'Total',
      b.smallInUse + b.smallAvailable + b.smallCached + b.freePools + b.poolHeaders + b.poolQuantization,
    ),
    '',
    row('# large blocks in use', s.largeBlocksInUse),
    row('# bytes in large blocks', b.largeInUse),
    row('# free large-heap blocks', s.freeLargeBlocks),
    row('# bytes in free large-heap blocks', b.largeFree),
    row('# largest free block', s.largestFreeBlock),
    row('# bytes in block headers', b.blockHeaders),
    row('# large-block segments current', s.segments),
    row('# large-block segments released', s.segmentsReleased),
    '',
    row('# bytes in use (usable sizes)', s.bytesInUse),
    row('# heap bytes (regions held)', s.heapBytes),
    row('# metadata bytes (JS side)', s.metadataBytes),
  );
  return lines.join('\n');
}
