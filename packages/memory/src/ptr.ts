/**
 * A pointer into a {@link Memory}: a byte offset, a non-negative integer below 2^32.
 * `0` is {@link NULL} and is never a valid allocation.
 */
export type Ptr = number;

/** The null pointer. No allocator ever returns it for a successful allocation. */
export const NULL: Ptr = 0;

/** Largest byte length a {@link Memory} can have: 4 GiB, the limit of 32-bit pointers. */
export const MAX_MEMORY_BYTES = 2 ** 32;

/** True when `value` is an integer that can be a {@link Ptr} (0 included). */
export function isPtr(value: unknown): value is Ptr {
  return typeof value === 'number' && value >>> 0 === value;
}

/** Formats a pointer the way every heapkit error message names it: `0x0001f2a0`. */
export function formatPtr(ptr: unknown): string {
  if (typeof ptr === 'number' && Number.isInteger(ptr) && ptr >= 0) {
    return `0x${ptr.toString(16).padStart(8, '0')}`;
  }
  return String(ptr);
}

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
