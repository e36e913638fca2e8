import { ConfigurationError, checkBoolean, checkOptions, describeValue, Memory } from '@heapkit/memory';
import { POOL_HEADER_BYTES } from './pool-header.js';

/** Every block is aligned to this many bytes, and small size classes step by it. */
export const ALIGNMENT = 16;
export const ALIGNMENT_SHIFT = 4;

/** Options of {@link ArenaAllocator}. All sizes are in bytes. */
export interface ArenaAllocatorOptions {
  /**
   * The memory to allocate in. Default: a new `Memory` (1 MiB, growing up to 4 GiB). Other
   * allocators, workers and WASM modules may share it: each reserves its own regions through the
   * memory's region protocol.
   */
  memory?: Memory;
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
  /**
   * Join the memory's *shared heap*: several allocators, one per worker (or several in one
   * thread), allocate in one memory, each owning its arenas and pools, and any of them may free
   * any block (a free of another allocator's block is one compare-and-swap onto its pool's
   * cross-thread list; the owner takes it back later). Works over a shared memory and, for
   * single-thread use and tests, over an unshared one. Every allocator of one shared heap uses
   * the same `poolSize` and `arenaSize`. Not with `debug`. Default false.
   */
  shared?: boolean;
}

/** The options after defaults and checks, with the figures derived from them. */
export interface ResolvedConfig {
  readonly arenaSize: number;
  readonly poolSize: number;
  readonly poolShift: number;
  readonly smallThreshold: number;
  readonly sizeClasses: number;
  readonly poolsPerArena: number;
  readonly debug: boolean;
  readonly blockCache: number;
  readonly shared: boolean;
}

const OPTIONS = [
  'memory',
  'arenaSize',
  'poolSize',
  'smallThreshold',
  'blockCache',
  'debug',
  'shared',
] as const;
const WHERE = 'new ArenaAllocator(options)';

/** Checks the options strictly (see DESIGN.md: nothing ignored) and derives the figures. */
export function resolveConfig(options: ArenaAllocatorOptions): ResolvedConfig {
  if (options instanceof Memory) {
    throw new ConfigurationError(
      `${WHERE}: got a Memory where an options object belongs; pass it as { memory }: new ArenaAllocator({ memory })`,
    );
  }
  if (options !== null && typeof options === 'object' && 'heapStart' in options) {
    throw new ConfigurationError(
      `${WHERE}: heapStart is gone: the allocator reserves its regions through the memory's region protocol; ` +
        'to keep bytes for yourself, reserve them: memory.reserve(size, memory.registerOwner(name))',
    );
  }
  checkOptions(WHERE, options, OPTIONS);
  if (options.memory !== undefined && !(options.memory instanceof Memory)) {
    throw new ConfigurationError(
      `${WHERE}: memory must be a Memory from @heapkit/memory (new Memory({...})), got ${describeValue(options.memory)}`,
    );
  }
  checkBoolean(WHERE, 'debug', options.debug);
  checkBoolean(WHERE, 'shared', options.shared);
  if (options.debug === true && options.shared === true) {
    throw new ConfigurationError(
      `${WHERE}: debug and shared cannot be combined: debug mode's guard bytes are checked by the owner only; use debug: true on a private allocator`,
    );
  }
  const poolSize = options.poolSize ?? 1 << 14;
  const arenaSize = options.arenaSize ?? 1 << 20;
  const smallThreshold = options.smallThreshold ?? 512;
  if (!isPowerOfTwo(poolSize) || poolSize < 1024 || poolSize > 1 << 24) {
    throw new ConfigurationError(
      `poolSize must be a power of two from 1024 to 16 MiB, got ${describeValue(poolSize)}`,
    );
  }
  if (!isPowerOfTwo(arenaSize) || arenaSize < poolSize || arenaSize > 1 << 30) {
    throw new ConfigurationError(
      `arenaSize must be a power of two from poolSize (${poolSize}) to 1 GiB, got ${describeValue(arenaSize)}`,
    );
  }
  if (
    typeof smallThreshold !== 'number' ||
    !Number.isInteger(smallThreshold) ||
    smallThreshold < 16 ||
    smallThreshold > 512 ||
    smallThreshold % 16
  ) {
    throw new ConfigurationError(
      `smallThreshold must be a multiple of 16 from 16 to 512, got ${describeValue(smallThreshold)}`,
    );
  }
  if (poolSize < POOL_HEADER_BYTES + 2 * smallThreshold) {
    throw new ConfigurationError(
      `poolSize ${poolSize} is too small: a pool must hold two blocks of smallThreshold (${smallThreshold})`,
    );
  }
  const blockCache = options.blockCache ?? 64;
  if (
    typeof blockCache !== 'number' ||
    !Number.isInteger(blockCache) ||
    blockCache < 0 ||
    blockCache > 4096 ||
    (blockCache & (blockCache - 1)) !== 0
  ) {
    throw new ConfigurationError(
      `blockCache must be 0 or a power of two up to 4096, got ${describeValue(blockCache)}`,
    );
  }
  return {
    arenaSize,
    poolSize,
    poolShift: Math.log2(poolSize),
    smallThreshold,
    sizeClasses: smallThreshold >>> ALIGNMENT_SHIFT,
    poolsPerArena: arenaSize / poolSize,
    debug: options.debug ?? false,
    blockCache: options.debug ? 0 : blockCache,
    shared: options.shared ?? false,
  };
}

function isPowerOfTwo(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
