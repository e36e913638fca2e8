import { ConfigurationError, InvalidPointerError } from './errors.js';
import type { Memory } from './memory.js';
import { formatPtr } from './ptr.js';
import {
  addTo,
  alignUp,
  BASE,
  BREAK,
  CAPACITY,
  COUNT,
  findEntry,
  INLINE_TABLE,
  insertEntry,
  LOCK,
  MAGIC,
  NEXT_OWNER,
  ownerAt,
  RELEASED_BYTES,
  RESERVED_BYTES,
  ROOT,
  regionAt,
  removeEntry,
  setOwner,
  startAt,
  TABLE,
  VERSION,
} from './region-table.js';

/**
 * The region protocol: who owns which bytes of a {@link Memory}. Every party that allocates in
 * the memory (our allocators, allocators in other workers, WebAssembly modules) reserves the
 * regions it manages here, like `sbrk`, and gives them back here; nobody assumes it owns
 * "everything past some offset".
 *
 * The state lives in the buffer itself, at byte 0, so that other workers and WASM modules see it
 * (all words little-endian u32; the README draws the same layout):
 *
 * ```
 *   0   magic          0x47524b48 ("HKRG")
 *   4   version        1
 *   8   lock           0 free, 1 held (shared backings: taken with Atomics.compareExchange)
 *   12  break          end of the highest region: bytes from here on were never reserved
 *   16  base           start of the first region (the end of this header area, 1024)
 *   20  table          byte offset of the region table (64 at first; it moves when it grows)
 *   24  capacity       entries the table can hold
 *   28  count          entries in use
 *   32  nextOwner      the next owner id to hand out (ids 2 and up; 1 is the table itself)
 *   36  reservedBytes  bytes in reserved regions (the table's own region included)
 *   40  releasedBytes  bytes in released regions below the break
 *   44  root           start of the root region (0: none): the one region every party can
 *                      find without being told, e.g. a shared heap's record (see `reserveRoot`)
 *   48..63             zero (room for later versions)
 *   64..1023           the first region table (120 entries)
 *
 *   region table entry i (8 bytes, sorted by start):
 *   +0  start          first byte of the region
 *   +4  owner          owner id, or 0 for a released region
 * ```
 *
 * The entries tile `[base, break)` exactly: entry i ends where entry i+1 starts, the last one at
 * the break. Two released entries are never adjacent (they merge), and the last entry is never
 * released (the break comes down instead). Regions start at 16-byte multiples and hold
 * multiples of 16 bytes.
 *
 * Every operation takes the lock word first. Over a shared backing that is an atomic
 * compare-and-swap (then `Atomics.wait` while another worker holds it); over an unshared one the
 * operations are plain, since only this thread (and WASM code it calls) can run them.
 */
export const REGION_MAGIC = 0x47524b48;
export const REGION_VERSION = 1;

/** Bytes at the start of the memory that the protocol's header and first table take. */
export const REGION_HEADER_BYTES = 1024;
const ENTRY_BYTES = 8;
/** Owner id of the region table itself once it has moved out of the header. */
export const TABLE_OWNER = 1;
/** No region may end beyond this: every region pointer, end included, stays below 2^32. */
export const REGION_LIMIT = 2 ** 32 - 16;

/** One region of the memory, as the protocol's table records it. */
export interface Region {
  /** First byte of the region. */
  readonly start: number;
  /** One past its last byte. */
  readonly end: number;
  /** The owner id (from `Memory.registerOwner`), or 0 for a released region. */
  readonly owner: number;
}

/** What the protocol's header says, for tests, stats and checks. */
export interface RegionHeader {
  readonly version: number;
  /** End of the highest region. */
  readonly break: number;
  /** Start of the first region. */
  readonly base: number;
  /** Bytes in reserved regions (the table's own, once it moved, included). */
  readonly reservedBytes: number;
  /** Bytes in released regions below the break. */
  readonly releasedBytes: number;
  /** Entries in the region table. */
  readonly regionCount: number;
}

/**
 * Reads the header of a memory that has not been used through the protocol in this thread yet.
 * Returns true when it holds a header, false when it is fresh (all zero); throws a
 * ConfigurationError for anything else, which is never overwritten.
 */
export function checkRegionHeader(u32: Uint32Array): boolean {
  if (u32.length < 2) return false;
  const magic = u32[MAGIC >>> 2]!;
  const version = u32[VERSION >>> 2]!;
  if (magic === 0 && version === 0) return false;
  if (magic !== REGION_MAGIC) {
    throw new ConfigurationError(
      `Memory: the buffer's first bytes hold 0x${magic.toString(16).padStart(8, '0')}, not heapkit's region header (magic 0x${REGION_MAGIC.toString(16)}); ` +
        'pass a zeroed buffer, or one another heapkit Memory set up, and keep bytes 0 to 1023 for the header',
    );
  }
  if (version !== REGION_VERSION) {
    throw new ConfigurationError(
      `Memory: the buffer's region header has layout version ${version}, this @heapkit/memory reads version ${REGION_VERSION}; ` +
        'attach with a matching @heapkit/memory',
    );
  }
  return true;
}

/** Takes the lock word and makes sure the header exists and the views cover the break. */
function enter(memory: Memory): Uint32Array {
  memory.refresh(); // another Memory over the same backing, a worker or a WASM module may have grown it
  if (memory.shared) {
    const i32 = memory.i32;
    while (Atomics.compareExchange(i32, LOCK >>> 2, 0, 1) !== 0) waitBriefly(i32);
  } else if (memory.u32[LOCK >>> 2] !== 0 && memory.u32[MAGIC >>> 2] === REGION_MAGIC) {
    throw new ConfigurationError('Memory: the region lock is held: a region operation re-entered itself');
  } else {
    memory.u32[LOCK >>> 2] = 1;
  }
  let u32 = memory.u32;
  if (u32[MAGIC >>> 2] === 0) {
    initialise(memory);
    u32 = memory.u32;
  } else {
    checkRegionHeader(u32);
  }
  if (u32[BREAK >>> 2]! > memory.byteLength || u32[TABLE >>> 2]! >= memory.byteLength) {
    memory.refresh();
    u32 = memory.u32;
  }
  return u32;
}

/** Waits up to 1 ms for the lock word to change; spins where `Atomics.wait` is not allowed. */
function waitBriefly(i32: Int32Array): void {
  if (!canWait) return;
  try {
    Atomics.wait(i32, LOCK >>> 2, 1, 1);
  } catch {
    canWait = false; // a browser's main thread: spin instead
  }
}
let canWait = true;

function leave(memory: Memory): void {
  if (memory.shared) {
    Atomics.store(memory.i32, LOCK >>> 2, 0);
    Atomics.notify(memory.i32, LOCK >>> 2, 1);
  } else {
    memory.u32[LOCK >>> 2] = 0;
  }
}

function initialise(memory: Memory): void {
  if (memory.byteLength < REGION_HEADER_BYTES && !memory.growTo(REGION_HEADER_BYTES)) {
    throw new ConfigurationError(
      `Memory: ${memory.byteLength} bytes cannot hold the ${REGION_HEADER_BYTES}-byte region header; pass a bigger or growable buffer`,
    );
  }
  const u32 = memory.u32;
  u32[VERSION >>> 2] = REGION_VERSION;
  u32[BREAK >>> 2] = REGION_HEADER_BYTES;
  u32[BASE >>> 2] = REGION_HEADER_BYTES;
  u32[TABLE >>> 2] = INLINE_TABLE;
  u32[CAPACITY >>> 2] = (REGION_HEADER_BYTES - INLINE_TABLE) / ENTRY_BYTES;
  u32[COUNT >>> 2] = 0;
  u32[NEXT_OWNER >>> 2] = TABLE_OWNER + 1;
  u32[RESERVED_BYTES >>> 2] = 0;
  u32[RELEASED_BYTES >>> 2] = 0;
  u32[ROOT >>> 2] = 0;
  // The magic last: a header is complete once it is there.
  u32[MAGIC >>> 2] = REGION_MAGIC;
}

/** Hands out a new owner id (2 and up). */
export function newOwner(memory: Memory): number {
  const u32 = enter(memory);
  const id = u32[NEXT_OWNER >>> 2]!;
  u32[NEXT_OWNER >>> 2] = id + 1;
  leave(memory);
  return id;
}

/**
 * Reserves `size` bytes (rounded up to 16) at a multiple of `alignment` for `owner`: the
 * lowest released region that fits, else at the break, growing the memory. Returns the start,
 * or 0 when the memory cannot grow that far.
 */
export function reserveRegion(memory: Memory, size: number, alignment: number, owner: number): number {
  const u32 = enter(memory);
  try {
    if (u32[COUNT >>> 2]! + 4 > u32[CAPACITY >>> 2]! && !growTable(memory, u32)) return 0;
    return place(memory, memory.u32, size, alignment, owner);
  } finally {
    leave(memory);
  }
}

/** The reservation itself, the lock held and two spare table entries guaranteed. */
function place(memory: Memory, u32: Uint32Array, size: number, alignment: number, owner: number): number {
  size = Math.max(16, Math.ceil(size / 16) * 16);
  const table = u32[TABLE >>> 2]!;
  const count = u32[COUNT >>> 2]!;
  const brk = u32[BREAK >>> 2]!;
  // First fit among the released regions.
  for (let i = 0; i < count; i++) {
    if (ownerAt(u32, table, i) !== 0) continue;
    const s = startAt(u32, table, i);
    const e = i + 1 < count ? startAt(u32, table, i + 1) : brk;
    const a = alignUp(s, alignment);
    if (a + size > e) continue;
    // Split [s, e) into released [s, a), owned [a, a+size), released [a+size, e).
    let at = i;
    if (a > s) at = insertEntry(u32, table, i + 1, a, owner);
    else setOwner(u32, table, i, owner);
    if (a + size < e) insertEntry(u32, table, at + 1, a + size, 0);
    addTo(u32, RELEASED_BYTES, -size);
    addTo(u32, RESERVED_BYTES, size);
    return a;
  }
  // At the break; a gap left by the alignment becomes a released region.
  const a = alignUp(brk, alignment);
  const end = a + size;
  if (end > REGION_LIMIT || end > memory.maxBytes) return 0;
  if (end > memory.byteLength && !memory.growTo(end)) return 0;
  u32 = memory.u32;
  if (a > brk) {
    insertEntry(u32, table, count, brk, 0);
    addTo(u32, RELEASED_BYTES, a - brk);
  }
  insertEntry(u32, table, u32[COUNT >>> 2]!, a, owner);
  u32[BREAK >>> 2] = end;
  addTo(u32, RESERVED_BYTES, size);
  return a;
}

/**
 * Grows region `start` of `owner` in place to end at `newEnd` (a multiple of 16), when the bytes
 * after it are free: it is the highest region (the break moves up, growing the memory) or a
 * released region that reaches `newEnd` follows it. False, changing nothing, otherwise (also when
 * no region of `owner` starts at `start`).
 */
export function extendRegion(memory: Memory, start: number, owner: number, newEnd: number): boolean {
  const u32 = enter(memory);
  try {
    const table = u32[TABLE >>> 2]!;
    const count = u32[COUNT >>> 2]!;
    const i = findEntry(u32, start);
    if (i < 0 || startAt(u32, table, i) !== start || ownerAt(u32, table, i) !== owner) return false;
    const brk = u32[BREAK >>> 2]!;
    const end = i + 1 < count ? startAt(u32, table, i + 1) : brk;
    if (newEnd <= end) return newEnd === end;
    if (i + 1 === count) {
      if (newEnd > REGION_LIMIT || newEnd > memory.maxBytes) return false;
      if (newEnd > memory.byteLength && !memory.growTo(newEnd)) return false;
      memory.u32[BREAK >>> 2] = newEnd;
      addTo(memory.u32, RESERVED_BYTES, newEnd - end);
      return true;
    }
    if (ownerAt(u32, table, i + 1) !== 0) return false;
    const releasedEnd = i + 2 < count ? startAt(u32, table, i + 2) : brk;
    if (newEnd > releasedEnd) return false;
    if (newEnd === releasedEnd) removeEntry(u32, table, i + 1);
    else u32[(table >>> 2) + 2 * (i + 1)] = newEnd;
    addTo(u32, RELEASED_BYTES, -(newEnd - end));
    addTo(u32, RESERVED_BYTES, newEnd - end);
    return true;
  } finally {
    leave(memory);
  }
}

/**
 * Gives region `start` of `owner` back. Throws InvalidPointerError, changing nothing, when no
 * region of that owner starts there.
 */
export function releaseRegion(memory: Memory, start: number, owner: number): void {
  withOwnedEntry(memory, start, owner, 'release', (u32, table, i) => releaseEntry(u32, table, i));
}

/**
 * Runs `change` on the table entry of the region of `owner` that starts at `start`, the lock held.
 * Throws InvalidPointerError for `operation`, changing nothing, when there is no such region.
 */
function withOwnedEntry(
  memory: Memory,
  start: number,
  owner: number,
  operation: string,
  change: (u32: Uint32Array, table: number, i: number) => void,
): void {
  const u32 = enter(memory);
  let found: Region | undefined;
  try {
    const table = u32[TABLE >>> 2]!;
    const i = start < u32[BREAK >>> 2]! ? findEntry(u32, start) : -1;
    if (i >= 0 && startAt(u32, table, i) === start && ownerAt(u32, table, i) === owner) {
      change(u32, table, i);
      return;
    }
    if (i >= 0) found = regionAt(u32, i);
  } finally {
    leave(memory);
  }
  throw new InvalidPointerError(
    start,
    found === undefined
      ? 'no region starts there (it is in the header or beyond the break)'
      : `not the start of a region of owner ${owner} (${memory.ownerName(owner)}): it is in ${describeRegion(memory, found)}`,
    operation,
  );
}

function releaseEntry(u32: Uint32Array, table: number, i: number): void {
  const count = u32[COUNT >>> 2]!;
  const bytes = (i + 1 < count ? startAt(u32, table, i + 1) : u32[BREAK >>> 2]!) - startAt(u32, table, i);
  addTo(u32, RESERVED_BYTES, -bytes);
  addTo(u32, RELEASED_BYTES, bytes);
  setOwner(u32, table, i, 0);
  if (i + 1 < u32[COUNT >>> 2]! && ownerAt(u32, table, i + 1) === 0) removeEntry(u32, table, i + 1);
  if (i > 0 && ownerAt(u32, table, i - 1) === 0) removeEntry(u32, table, i--);
  if (i === u32[COUNT >>> 2]! - 1) {
    // The highest region: the break comes down to its start.
    const s = startAt(u32, table, i);
    addTo(u32, RELEASED_BYTES, -(u32[BREAK >>> 2]! - s));
    u32[BREAK >>> 2] = s;
    removeEntry(u32, table, i);
  }
}

/** Moves the table to a region twice its size (the lock held). False when there is no room. */
function growTable(memory: Memory, u32: Uint32Array): boolean {
  const oldTable = u32[TABLE >>> 2]!;
  const capacity = u32[CAPACITY >>> 2]! * 2;
  const table = place(memory, u32, capacity * ENTRY_BYTES, 16, TABLE_OWNER);
  if (table === 0) return false;
  u32 = memory.u32;
  const count = u32[COUNT >>> 2]!;
  u32.copyWithin(table >>> 2, oldTable >>> 2, (oldTable >>> 2) + count * 2);
  u32[TABLE >>> 2] = table;
  u32[CAPACITY >>> 2] = capacity;
  if (oldTable !== INLINE_TABLE) releaseEntry(u32, table, findEntry(u32, oldTable));
  return true;
}

/**
 * The root region: reserved once for the whole memory (by whichever party comes first, the lock
 * held so two workers cannot both create it), zero-filled, and named by the header's `root` word.
 * Returns its start and whether this call created it; 0 when the memory cannot hold it.
 */
export function reserveRootRegion(
  memory: Memory,
  size: number,
  alignment: number,
  owner: number,
): { start: number; created: boolean } {
  const u32 = enter(memory);
  try {
    const existing = u32[ROOT >>> 2]!;
    if (existing !== 0) return { start: existing, created: false };
    if (u32[COUNT >>> 2]! + 4 > u32[CAPACITY >>> 2]! && !growTable(memory, u32))
      return { start: 0, created: false };
    const start = place(memory, memory.u32, size, alignment, owner);
    if (start === 0) return { start: 0, created: false };
    memory.u8.fill(0, start, start + Math.ceil(size / 16) * 16);
    memory.u32[ROOT >>> 2] = start;
    return { start, created: true };
  } finally {
    leave(memory);
  }
}

/** The root region's start, or 0 when there is none yet. */
export function readRoot(memory: Memory): number {
  const u32 = enter(memory);
  const root = u32[ROOT >>> 2]!;
  leave(memory);
  return root;
}

/**
 * Hands region `start` from owner `from` to owner `to` (a worker adopting the regions of one
 * that left). Throws InvalidPointerError, changing nothing, when no region of `from` starts there.
 */
export function transferRegion(memory: Memory, start: number, from: number, to: number): void {
  withOwnedEntry(memory, start, from, 'transfer', (u32, table, i) => setOwner(u32, table, i, to));
}

/** The region holding `ptr`, or undefined when `ptr` is in the header or beyond the break. */
export function regionOf(memory: Memory, ptr: number): Region | undefined {
  const u32 = enter(memory);
  const i = ptr < u32[BREAK >>> 2]! ? findEntry(u32, ptr) : -1;
  const region = i < 0 ? undefined : regionAt(u32, i);
  leave(memory);
  return region;
}

/** Every region, lowest first. */
export function listRegions(memory: Memory): Region[] {
  const u32 = enter(memory);
  const regions: Region[] = [];
  for (let i = 0; i < u32[COUNT >>> 2]!; i++) regions.push(regionAt(u32, i));
  leave(memory);
  return regions;
}

/** The header's figures. */
export function readRegionHeader(memory: Memory): RegionHeader {
  const u32 = enter(memory);
  const header: RegionHeader = {
    version: u32[VERSION >>> 2]!,
    break: u32[BREAK >>> 2]!,
    base: u32[BASE >>> 2]!,
    reservedBytes: u32[RESERVED_BYTES >>> 2]!,
    releasedBytes: u32[RELEASED_BYTES >>> 2]!,
    regionCount: u32[COUNT >>> 2]!,
  };
  leave(memory);
  return header;
}

/** "region [0x..., 0x...) of owner 3 (ArenaAllocator #3)", for error messages. */
export function describeRegion(memory: Memory, region: Region): string {
  const span = `[${formatPtr(region.start)}, ${formatPtr(region.end)})`;
  if (region.owner === 0) return `the released region ${span}, which no one owns`;
  return `region ${span} of owner ${region.owner} (${memory.ownerName(region.owner)})`;
}
