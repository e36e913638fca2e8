import { formatPtr, HeapCorruptionError } from '@heapkit/memory';

/**
 * Debug-mode block layout, in the spirit of CPython's `PYTHONMALLOC=debug`. Each user block of
 * `n` bytes sits inside an inner block of `n + 32` bytes:
 *
 * ```
 *   inner+0    u32   n, the requested size (becomes the allocator's free-list link once freed)
 *   inner+4    12 B  0xFD  front guard
 *   inner+16   n B   the user's bytes: 0xCD when fresh, 0xDD once freed
 *   inner+16+n 16 B  0xFD  back guard
 * ```
 *
 * The user pointer is `inner + 16`, so it keeps the 16-byte alignment.
 */
export const DEBUG_OVERHEAD = 32;
export const DEBUG_FRONT = 16;
export const FORBIDDEN_BYTE = 0xfd;
export const CLEAN_BYTE = 0xcd;
export const DEAD_BYTE = 0xdd;
const FRONT_GUARD_START = 4;
const BACK_GUARD_BYTES = 16;

/** Lays out a fresh debug block inside `inner` (at least `n + 32` bytes) and returns the user pointer. */
export function writeDebugBlock(u8: Uint8Array, u32: Uint32Array, inner: number, n: number): number {
  u32[inner >>> 2] = n;
  u8.fill(FORBIDDEN_BYTE, inner + FRONT_GUARD_START, inner + DEBUG_FRONT);
  u8.fill(CLEAN_BYTE, inner + DEBUG_FRONT, inner + DEBUG_FRONT + n);
  u8.fill(FORBIDDEN_BYTE, inner + DEBUG_FRONT + n, inner + DEBUG_FRONT + n + BACK_GUARD_BYTES);
  return inner + DEBUG_FRONT;
}

/**
 * Checks a debug block's guards and returns its requested size. Throws HeapCorruptionError
 * naming the block, its size and the guard that was overwritten.
 */
export function checkDebugBlock(u8: Uint8Array, u32: Uint32Array, inner: number, innerSize: number): number {
  const user = inner + DEBUG_FRONT;
  const n = u32[inner >>> 2]!;
  for (let i = inner + FRONT_GUARD_START; i < user; i++) {
    if (u8[i] !== FORBIDDEN_BYTE) {
      throw new HeapCorruptionError(
        user,
        `front guard overwritten: byte ${i - user} (before the block) is 0x${hex(u8[i]!)}, expected 0xfd; ` +
          `the block's recorded size is ${n} bytes`,
      );
    }
  }
  if (n + DEBUG_OVERHEAD > innerSize) {
    throw new HeapCorruptionError(
      user,
      `the block's recorded size ${n} does not fit its ${innerSize}-byte allocation (size field overwritten)`,
    );
  }
  const end = user + n;
  for (let i = end; i < end + BACK_GUARD_BYTES; i++) {
    if (u8[i] !== FORBIDDEN_BYTE) {
      throw new HeapCorruptionError(
        user,
        `back guard overwritten: byte ${i - user} of the ${n}-byte block ${formatPtr(user)} ` +
          `(${i - end} past its end) is 0x${hex(u8[i]!)}, expected 0xfd`,
      );
    }
  }
  return n;
}

/** Fills a freed debug block with 0xDD, leaving the inner block's first word to the allocator. */
export function killDebugBlock(u8: Uint8Array, inner: number, innerSize: number): void {
  u8.fill(DEAD_BYTE, inner + FRONT_GUARD_START, inner + innerSize);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
