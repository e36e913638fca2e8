// A WebAssembly module that shares a heapkit Memory as a second owner, in AssemblyScript.
//
// 1. Its own heap: it follows @heapkit/memory's region protocol (the header at byte 0, drawn in
//    that package's README) to register as an owner and reserve the regions it allocates in, so
//    it never touches a byte an ArenaAllocator in the same memory owns, nor the reverse.
// 2. The other direction: it allocates through heapkit's allocator, imported as functions.
//
// No managed objects and no static data: everything lives in regions it reserved. Built with
// `--runtime stub --importMemory`; it grows the memory only through the imported `grow_to`, so
// the JS side's views stay fresh.

// Imported from the JS side as the module "region-heap" (AssemblyScript names an entry file's
// declared functions after the file).
declare function grow_to(bytes: u32): bool;
declare function heapkit_malloc(size: u32): u32;
declare function heapkit_free(ptr: u32): void;

// The protocol header (byte offsets).
const MAGIC: u32 = 0x47524b48;
const VERSION: u32 = 1;
const H_MAGIC: u32 = 0;
const H_VERSION: u32 = 4;
const H_LOCK: u32 = 8;
const H_BREAK: u32 = 12;
const H_BASE: u32 = 16;
const H_TABLE: u32 = 20;
const H_CAPACITY: u32 = 24;
const H_COUNT: u32 = 28;
const H_NEXT_OWNER: u32 = 32;
const H_RESERVED: u32 = 36;
const H_RELEASED: u32 = 40;
const HEADER_BYTES: u32 = 1024;
const INLINE_TABLE: u32 = 64;

// This heap's state, at the start of its first region:
//   +0 owner   +4 chunk bump pointer   +8 chunk end   +12 region count
//   +16 heads[64] (free lists of 16-byte classes, 16..1024 B)   +272 region starts[60]
// Every block has a 16-byte header holding its class; the block pointer follows it.
const S_OWNER: u32 = 0;
const S_TOP: u32 = 4;
const S_END: u32 = 8;
const S_REGIONS: u32 = 12;
const S_HEADS: u32 = 16;
const S_STARTS: u32 = 272;
const MAX_REGIONS: u32 = 60;
const STATE_BYTES: u32 = 512;
const CLASSES: u32 = 64;
const CHUNK_BYTES: u32 = 65536;

let state: u32 = 0;

/** Takes the lock word (an unshared memory: one thread, so it is always free between calls). */
function enter(): bool {
  if (load<u32>(H_LOCK) !== 0) return false;
  store<u32>(H_LOCK, 1);
  if (load<u32>(H_MAGIC) === 0) {
    store<u32>(H_VERSION, VERSION);
    store<u32>(H_BREAK, HEADER_BYTES);
    store<u32>(H_BASE, HEADER_BYTES);
    store<u32>(H_TABLE, INLINE_TABLE);
    store<u32>(H_CAPACITY, (HEADER_BYTES - INLINE_TABLE) / 8);
    store<u32>(H_COUNT, 0);
    store<u32>(H_NEXT_OWNER, 2);
    store<u32>(H_RESERVED, 0);
    store<u32>(H_RELEASED, 0);
    store<u32>(H_MAGIC, MAGIC);
  }
  if (load<u32>(H_MAGIC) !== MAGIC || load<u32>(H_VERSION) !== VERSION) {
    store<u32>(H_LOCK, 0);
    return false;
  }
  return true;
}

function leave(): void {
  store<u32>(H_LOCK, 0);
}

function appendEntry(start: u32, owner: u32): void {
  const count = load<u32>(H_COUNT);
  const entry = load<u32>(H_TABLE) + count * 8;
  store<u32>(entry, start);
  store<u32>(entry + 4, owner);
  store<u32>(H_COUNT, count + 1);
}

/**
 * Reserves `size` bytes at the break (16-byte aligned) for `owner`. This small client only
 * reserves at the break and gives nothing back; it returns 0 when the table is full (it does not
 * move it) or the memory cannot grow.
 */
function reserve(size: u32, owner: u32): u32 {
  if (!enter()) return 0;
  size = (max<u32>(size, 16) + 15) & ~15;
  const count = load<u32>(H_COUNT);
  if (count + 2 > load<u32>(H_CAPACITY)) {
    leave();
    return 0;
  }
  const start = load<u32>(H_BREAK);
  const end = <u64>start + <u64>size;
  if (end > 0xffff_fff0 || !grow_to(<u32>end)) {
    leave();
    return 0;
  }
  appendEntry(start, owner);
  store<u32>(H_BREAK, <u32>end);
  store<u32>(H_RESERVED, load<u32>(H_RESERVED) + size);
  leave();
  return start;
}

/** Registers this module as an owner and reserves its first region. Returns the owner id, or 0. */
export function init(): u32 {
  if (!enter()) return 0;
  const owner = load<u32>(H_NEXT_OWNER);
  store<u32>(H_NEXT_OWNER, owner + 1);
  leave();
  const first = reserve(CHUNK_BYTES, owner);
  if (first === 0) return 0;
  state = first;
  memory.fill(first, 0, STATE_BYTES);
  store<u32>(state + S_OWNER, owner);
  store<u32>(state + S_TOP, first + STATE_BYTES);
  store<u32>(state + S_END, first + CHUNK_BYTES);
  store<u32>(state + S_REGIONS, 1);
  store<u32>(state + S_STARTS, first);
  return owner;
}

/** A block of at least `size` (1..1008) bytes from this module's own regions, or 0. */
export function malloc(size: u32): u32 {
  if (size === 0 || size > 1008) return 0;
  const c = (size + 16 - 1) >> 4; // class c: 16 * (c + 1) bytes with the header
  const head = state + S_HEADS + (c << 2);
  const block = load<u32>(head);
  if (block !== 0) {
    store<u32>(head, load<u32>(block));
    return block;
  }
  const bytes = (c + 1) << 4;
  let top = load<u32>(state + S_TOP);
  if (top + bytes > load<u32>(state + S_END)) {
    const count = load<u32>(state + S_REGIONS);
    if (count === MAX_REGIONS) return 0;
    const chunk = reserve(CHUNK_BYTES, load<u32>(state + S_OWNER));
    if (chunk === 0) return 0;
    store<u32>(state + S_STARTS + (count << 2), chunk);
    store<u32>(state + S_REGIONS, count + 1);
    store<u32>(state + S_END, chunk + CHUNK_BYTES);
    top = chunk;
  }
  store<u32>(state + S_TOP, top + bytes);
  store<u32>(top, c); // the header: the class
  return top + 16;
}

/** Frees a block of this module's heap (no checks: this is the module's own business). */
export function free(ptr: u32): void {
  const c = load<u32>(ptr - 16);
  const head = state + S_HEADS + (c << 2);
  store<u32>(ptr, load<u32>(head));
  store<u32>(head, ptr);
}

/** 1 when `ptr` lies in one of this module's regions (as its own records say). */
function inMyRegions(ptr: u32): bool {
  const count = load<u32>(state + S_REGIONS);
  for (let i: u32 = 0; i < count; i++) {
    const start = load<u32>(state + S_STARTS + (i << 2));
    if (ptr >= start && ptr < start + CHUNK_BYTES) return true;
  }
  return false;
}

/**
 * Checks this heap: every free-list entry lies in one of its regions, and every region is
 * recorded in the memory's table as this owner's. Returns 0, or a code saying what failed.
 */
export function validate(): u32 {
  const owner = load<u32>(state + S_OWNER);
  for (let c: u32 = 0; c < CLASSES; c++) {
    let steps: u32 = 0;
    for (let b = load<u32>(state + S_HEADS + (c << 2)); b !== 0; b = load<u32>(b)) {
      if (!inMyRegions(b) || load<u32>(b - 16) !== c) return 1;
      if (++steps > 1 << 20) return 2;
    }
  }
  const table = load<u32>(H_TABLE);
  const entries = load<u32>(H_COUNT);
  const count = load<u32>(state + S_REGIONS);
  for (let i: u32 = 0; i < count; i++) {
    const start = load<u32>(state + S_STARTS + (i << 2));
    let found = false;
    for (let e: u32 = 0; e < entries; e++) {
      if (load<u32>(table + e * 8) === start && load<u32>(table + e * 8 + 4) === owner) found = true;
    }
    if (!found) return 3;
  }
  return 0;
}

// The other direction: a linked list whose nodes come from heapkit's allocator.
//   node +0 next   +4 tag   +8 index

/** Builds a list of `n` nodes allocated by heapkit (through the imports); returns its head or 0. */
export function build_list(n: u32, tag: u32): u32 {
  let head: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const node = heapkit_malloc(12);
    if (node === 0) return head;
    store<u32>(node, head);
    store<u32>(node + 4, tag);
    store<u32>(node + 8, i);
    head = node;
  }
  return head;
}

/** The number of nodes of a list whose tags are all `tag` and indexes count down; or -1. */
export function check_list(head: u32, tag: u32): i32 {
  let n: i32 = 0;
  let expected: i32 = -1;
  for (let node = head; node !== 0; node = load<u32>(node)) {
    const index = <i32>load<u32>(node + 8);
    if (load<u32>(node + 4) !== tag || (expected >= 0 && index !== expected)) return -1;
    expected = index - 1;
    n++;
  }
  return n;
}

/** Frees every node of a list through heapkit's free. */
export function free_list(head: u32): void {
  let node = head;
  while (node !== 0) {
    const next = load<u32>(node);
    heapkit_free(node);
    node = next;
  }
}
