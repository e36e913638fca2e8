/**
 * The pool header of `pools.ts` (pymalloc's `pool_header`, plus the shared heap's fields), at a
 * pool's first byte, blocks following it: the layout and its named offsets, for every file that
 * reads a pool.
 *
 * ```
 *   +0   u32  ref            live blocks in the pool
 *   +4   u32  freeblock      first free block (0: none, the pool is full)
 *   +8   u32  nextpool       next pool in usedpools[class] or in the arena's free pools
 *   +12  u32  prevpool       previous pool in usedpools[class]
 *   +16  u32  arena          id of the owning arena
 *   +20  u32  szidx          size class: blocks are (szidx + 1) * 16 bytes
 *   +24  u32  nextoffset     offset of the next never-used block
 *   +28  u32  maxnextoffset  offset of the last block that fits
 *   +32  u32  ownerSlot      heap slot of the pool's owner (shared heaps, see shared-heap.ts; else 0)
 *   +36  u32  xfree          cross-thread free list: head block | 1 while queued (shared heaps)
 *   +40  u32  nextPending    link in the owner slot's stack of pools with remote frees
 *   +44  u32  (reserved, 0)
 *   +48  blocks...
 * ```
 *
 * The first eight fields are read by word (`u32[(pool >>> 2) + POOL_FREEBLOCK_WORD]`; pools.ts
 * keeps module-local copies named REF, FREEBLOCK, ..., and its `headerBlockSize` reads a foreign
 * pool's size class), the shared heap's three by byte offset (`u32[(pool + POOL_XFREE) >>> 2]`).
 */

/** Bytes of the pool header at the start of every pool. */
export const POOL_HEADER_BYTES = 48;
/** Word offsets of the pymalloc fields, from the pool's first word. */
export const POOL_REF_WORD = 0;
export const POOL_FREEBLOCK_WORD = 1;
export const POOL_NEXTPOOL_WORD = 2;
export const POOL_PREVPOOL_WORD = 3;
export const POOL_ARENA_WORD = 4;
export const POOL_SZIDX_WORD = 5;
export const POOL_NEXTOFFSET_WORD = 6;
export const POOL_MAXNEXTOFFSET_WORD = 7;
/** The heap slot of the pool's owner (shared heaps; 0 otherwise). */
export const POOL_OWNER_SLOT = 32;
/** The cross-thread free list's head, bit 0 set while the pool is queued (see `shared-heap.ts`). */
export const POOL_XFREE = 36;
/** The next pool on the owner's stack of pools with remote frees. */
export const POOL_NEXT_PENDING = 40;
