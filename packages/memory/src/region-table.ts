import type { Region } from './regions.js';

/**
 * The region protocol's header words and table, read through small accessors: the layout is
 * drawn in `regions.ts` (and the README); the operations on it are there too. Every accessor
 * takes the `u32` view the caller holds under the region lock.
 */

// Header words, as byte offsets.
export const MAGIC = 0;
export const VERSION = 4;
export const LOCK = 8;
export const BREAK = 12;
export const BASE = 16;
export const TABLE = 20;
export const CAPACITY = 24;
export const COUNT = 28;
export const NEXT_OWNER = 32;
export const RESERVED_BYTES = 36;
export const RELEASED_BYTES = 40;
export const ROOT = 44;
export const INLINE_TABLE = 64;

// The table, read through small accessors.

export function startAt(u32: Uint32Array, table: number, i: number): number {
  return u32[(table >>> 2) + 2 * i]!;
}

export function ownerAt(u32: Uint32Array, table: number, i: number): number {
  return u32[(table >>> 2) + 2 * i + 1]!;
}

export function setOwner(u32: Uint32Array, table: number, i: number, owner: number): void {
  u32[(table >>> 2) + 2 * i + 1] = owner;
}

export function regionAt(u32: Uint32Array, i: number): Region {
  const table = u32[TABLE >>> 2]!;
  const count = u32[COUNT >>> 2]!;
  const start = startAt(u32, table, i);
  const end = i + 1 < count ? startAt(u32, table, i + 1) : u32[BREAK >>> 2]!;
  return { start, end, owner: ownerAt(u32, table, i) };
}

/** The last entry starting at or below `ptr`, or -1. A binary search. */
export function findEntry(u32: Uint32Array, ptr: number): number {
  const table = u32[TABLE >>> 2]!;
  let lo = 0;
  let hi = u32[COUNT >>> 2]! - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (startAt(u32, table, mid) <= ptr) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Inserts an entry at index `i`, shifting the rest up; returns `i`. */
export function insertEntry(
  u32: Uint32Array,
  table: number,
  i: number,
  start: number,
  owner: number,
): number {
  const count = u32[COUNT >>> 2]!;
  const t = table >>> 2;
  u32.copyWithin(t + 2 * (i + 1), t + 2 * i, t + 2 * count);
  u32[t + 2 * i] = start;
  u32[t + 2 * i + 1] = owner;
  u32[COUNT >>> 2] = count + 1;
  return i;
}

export function removeEntry(u32: Uint32Array, table: number, i: number): void {
  const count = u32[COUNT >>> 2]!;
  const t = table >>> 2;
  u32.copyWithin(t + 2 * i, t + 2 * (i + 1), t + 2 * count);
  u32[COUNT >>> 2] = count - 1;
}

export function addTo(u32: Uint32Array, word: number, delta: number): void {
  u32[word >>> 2] = u32[word >>> 2]! + delta;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
