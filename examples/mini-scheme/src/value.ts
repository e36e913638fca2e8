/**
 * The value representation: every Scheme value is one 32-bit word (a `Val`).
 *
 * ```
 *   ...xxxxxxx01   fixnum: a 30-bit signed integer n stored as (n << 2) | 1; no allocation
 *   ...xxxxxxx11   immediate constants: '(), #f, #t, the unspecified value, the unassigned marker
 *   ...xxxxxx000   a pointer to a heapkit object (8-aligned, never 0): pair, closure, environment,
 *                  vector, string, symbol, boxed float, primitive procedure
 * ```
 *
 * Every value that is not a pointer has its low bit set: it is a tagged immediate of refcount's
 * value slots, so heap objects keep values in value slots (`values`/`itemValues` in their type),
 * which count and traverse the pointers and leave the immediates alone.
 */

/** A Scheme value word (see the file comment). */
export type Val = number;

export const NIL: Val = 0x03;
export const FALSE: Val = 0x07;
export const TRUE: Val = 0x0b;
/** What `display`, `set!`, `define` and friends return. */
export const UNSPECIFIED: Val = 0x0f;
/** A letrec/internal-define variable that has not been assigned yet. */
export const UNASSIGNED: Val = 0x13;

/** Largest and smallest fixnums (30-bit). */
export const FIXNUM_MAX = 0x1fff_ffff;
export const FIXNUM_MIN = -0x2000_0000;

/** True when `v` points at a heap object. */
export function isPtr(v: Val): boolean {
  return v !== 0 && (v & 7) === 0;
}

export function isFixnum(v: Val): boolean {
  return (v & 3) === 1;
}

/** The fixnum word of `n` (which must be an integer in [FIXNUM_MIN, FIXNUM_MAX]). */
export function fixnum(n: number): Val {
  return ((n << 2) | 1) >>> 0;
}

export function fixnumValue(v: Val): number {
  return (v | 0) >> 2;
}

export function fitsFixnum(n: number): boolean {
  return Number.isInteger(n) && n >= FIXNUM_MIN && n <= FIXNUM_MAX;
}

export function bool(b: boolean): Val {
  return b ? TRUE : FALSE;
}
