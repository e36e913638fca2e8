import { describeValue } from './arguments.js';
import { ConfigurationError } from './errors.js';
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

/**
 * Rounds `n` (a non-negative safe integer) up to a multiple of `alignment` (a power of two).
 * Throws ConfigurationError for anything else.
 */
export function alignUp(n: number, alignment: number): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new ConfigurationError(`alignUp: n must be a non-negative integer, got ${describeValue(n)}`);
  }
  const powerOfTwo =
    typeof alignment === 'number' && alignment >= 1 && 2 ** Math.round(Math.log2(alignment)) === alignment;
  if (!powerOfTwo) {
    throw new ConfigurationError(
      `alignUp: alignment must be a power of two, got ${describeValue(alignment)}`,
    );
  }
  return Math.ceil(n / alignment) * alignment;
}
