/**
 * The value representation: every Scheme value is one 32-bit word (a `Val`).
 *
 * ```
 *   ...xxxxxxx1   fixnum: a 31-bit signed integer n stored as (n << 1) | 1; no allocation
 *   ...xxxxx010   immediate constants: '(), #f, #t, the unspecified value, the unassigned marker
 *   ...xxxxx000   a pointer to a heapkit object (8-aligned, never 0): pair, closure, environment,
 *                 vector, string, symbol, boxed float, primitive procedure
 * ```
 *
 * Heap objects store values in raw 32-bit fields (not refcount's declared reference slots,
 * which may only hold pointers): the Scheme types report the pointer fields through `traverse`
 * and manage their references with incref/decref themselves.
 */

/** A Scheme value word (see the file comment). */
export type Val = number;

export const NIL: Val = 0x02;
export const FALSE: Val = 0x0a;
export const TRUE: Val = 0x12;
/** What `display`, `set!`, `define` and friends return. */
export const UNSPECIFIED: Val = 0x1a;
/** A letrec/internal-define variable that has not been assigned yet. */
export const UNASSIGNED: Val = 0x22;

/** Largest and smallest fixnums (31-bit). */
export const FIXNUM_MAX = 0x3fff_ffff;
export const FIXNUM_MIN = -0x4000_0000;

/** True when `v` points at a heap object. */
export function isPtr(v: Val): boolean {
  return v !== 0 && (v & 7) === 0;
}

export function isFixnum(v: Val): boolean {
  return (v & 1) === 1;
}

/** The fixnum word of `n` (which must be an integer in [FIXNUM_MIN, FIXNUM_MAX]). */
export function fixnum(n: number): Val {
  return ((n << 1) | 1) >>> 0;
}

export function fixnumValue(v: Val): number {
  return (v | 0) >> 1;
}

export function fitsFixnum(n: number): boolean {
  return Number.isInteger(n) && n >= FIXNUM_MIN && n <= FIXNUM_MAX;
}

export function bool(b: boolean): Val {
  return b ? TRUE : FALSE;
}
