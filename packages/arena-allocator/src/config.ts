import { ConfigurationError, type Memory } from '@heapkit/memory';

/** Every block is aligned to this many bytes, and small size classes step by it. */
export const ALIGNMENT = 16;
export const ALIGNMENT_SHIFT = 4;

/** Options of {@link ArenaAllocator}. All sizes are in bytes. */
export interface ArenaAllocatorOptions {
  /** The memory to allocate in. Default: a new `Memory` (1 MiB, growing up to 4 GiB). */
  memory?: Memory;
  /**
   * Bytes below this offset are left alone (a WASM module's data, say). The allocator owns
   * everything from here to the end of the memory. Default 0.
   */
  heapStart?: number;
  /** Arena size, a power of two and a multiple of `poolSize`. Default 1 MiB (CPython's `ARENA_SIZE`). */
  arenaSize?: number;
  /** Pool size, a power of two from 1 KiB. Default 16 KiB (CPython's `POOL_SIZE`). */
  poolSize?: number;
  /**
   * Requests up to this size are served from pools in `smallThreshold / 16` size classes; larger
   * ones from the TLSF large-block allocator. A multiple of 16 from 16 to 512. Default 512
   * (CPython's `SMALL_REQUEST_THRESHOLD`).
   */
  smallThreshold?: number;
  /**
   * Freed small blocks kept per size class, most recent first, and handed back by the next
   * `malloc` of the class before the pools are asked (see `block-cache.ts`). 0 or a power of two
   * up to 4096; 0 gives CPython's behaviour exactly (every free goes straight to its pool).
   * Default 64. Always 0 in debug mode.
   */
  blockCache?: number;
  /**
   * `PYTHONMALLOC=debug` in spirit: guard bytes (0xFD) around every block, fresh memory filled
   * with 0xCD and freed memory with 0xDD, checked on free, realloc and `validate()`. Default false.
   */
  debug?: boolean;
}

/** The options after defaults and checks, with the figures derived from them. */
export interface ResolvedConfig {
  readonly heapStart: number;
  readonly arenaSize: number;
  readonly poolSize: number;
  readonly poolShift: number;
  readonly smallThreshold: number;
  readonly sizeClasses: number;
  readonly poolsPerArena: number;
  readonly debug: boolean;
  readonly blockCache: number;
}

export function resolveConfig(options: ArenaAllocatorOptions): ResolvedConfig {
  const poolSize = options.poolSize ?? 1 << 14;
  const arenaSize = options.arenaSize ?? 1 << 20;
  const smallThreshold = options.smallThreshold ?? 512;
  const heapStart = options.heapStart ?? 0;
  if (!isPowerOfTwo(poolSize) || poolSize < 1024 || poolSize > 1 << 24) {
    throw new ConfigurationError(`poolSize must be a power of two from 1024 to 16 MiB, got ${poolSize}`);
  }
  if (!isPowerOfTwo(arenaSize) || arenaSize < poolSize || arenaSize > 1 << 30) {
    throw new ConfigurationError(
      `arenaSize must be a power of two from poolSize (${poolSize}) to 1 GiB, got ${arenaSize}`,
    );
  }
  if (
    !Number.isInteger(smallThreshold) ||
    smallThreshold < 16 ||
    smallThreshold > 512 ||
    smallThreshold % 16
  ) {
    throw new ConfigurationError(
      `smallThreshold must be a multiple of 16 from 16 to 512, got ${smallThreshold}`,
    );
  }
  if (poolSize < POOL_HEADER_BYTES + 2 * smallThreshold) {
    throw new ConfigurationError(
      `poolSize ${poolSize} is too small: a pool must hold two blocks of smallThreshold (${smallThreshold})`,
    );
  }
  const blockCache = options.blockCache ?? 64;
  if (
    !Number.isInteger(blockCache) ||
    blockCache < 0 ||
    blockCache > 4096 ||
    (blockCache & (blockCache - 1)) !== 0
  ) {
    throw new ConfigurationError(`blockCache must be 0 or a power of two up to 4096, got ${blockCache}`);
  }
  if (!Number.isSafeInteger(heapStart) || heapStart < 0 || heapStart >= 2 ** 32) {
    throw new ConfigurationError(`heapStart must be a byte offset below 4 GiB, got ${heapStart}`);
  }
  return {
    heapStart,
    arenaSize,
    poolSize,
    poolShift: Math.log2(poolSize),
    smallThreshold,
    sizeClasses: smallThreshold >>> ALIGNMENT_SHIFT,
    poolsPerArena: arenaSize / poolSize,
    debug: options.debug ?? false,
    blockCache: options.debug ? 0 : blockCache,
  };
}

/** Bytes of the pool header at the start of every pool (see `pools.ts`). */
export const POOL_HEADER_BYTES = 32;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
