/**
 * @heapkit/arena-allocator — CPython's pymalloc (arenas, pools, 32 size classes) with a TLSF
 * allocator for large blocks, over a `@heapkit/memory` Memory.
 * @packageDocumentation
 */
export { ArenaAllocator } from './arena-allocator.js';
export { ALIGNMENT, type ArenaAllocatorOptions, type ResolvedConfig } from './config.js';
export type { AllocatorStats, ArenaStats, ByteBreakdown, SizeClassStats } from './stats.js';
