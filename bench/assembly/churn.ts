// AssemblyScript peer of the `churn` suite (bench/src/suites/churn.ts), compiled to WebAssembly
// by `asc` at bench build time (`pnpm build` in bench/) with `--runtime incremental`: AS's
// TLSF allocator under its incremental tri-colour mark & sweep GC (ITCMS). Output:
// bench/dist/wasm/churn.wasm; loaded by bench/src/peers/assemblyscript.ts.
//
// The same steps as every other case, in linear memory owned by this module: 10,000 live
// `ArrayBuffer`s of the suite's seeded initial sizes in a `StaticArray`; step k replaces the
// block in slot `slots[k]` by a new `ArrayBuffer` of `sizes[k]` bytes (zero-filled by AS), writes
// one u32 (k) into it and stores it in the slot. The replaced block becomes garbage: there is
// no explicit free in a GC'd runtime, so its cost is the collector's, paid in the incremental
// steps that `new` runs as allocation goes on, plus the write barrier of the store.
//
// Inputs: the harness calls `prepare`, copies the slot/size streams and the initial sizes into
// the arrays at `slotsAddress()`, `sizesAddress()` and `initialSizesAddress()` once (untimed),
// then `fill()`. `run(n)` performs n steps from where the previous call stopped, replaying the
// streams cyclically. Globals hold every array, so the GC keeps them (and the live blocks) alive.

let blocks = new StaticArray<ArrayBuffer | null>(0);
let initialSizes = new StaticArray<u32>(0);
let slots = new StaticArray<u32>(0);
let sizes = new StaticArray<u32>(0);
let mask: u32 = 0;
let cursor: u32 = 0;

/** Allocates the arrays: `liveBlocks` slots and streams of `streamLength` (a power of two) steps. */
export function prepare(liveBlocks: i32, streamLength: i32): void {
  blocks = new StaticArray<ArrayBuffer | null>(liveBlocks);
  initialSizes = new StaticArray<u32>(liveBlocks);
  slots = new StaticArray<u32>(streamLength);
  sizes = new StaticArray<u32>(streamLength);
  mask = <u32>streamLength - 1;
  cursor = 0;
}

/** Where the harness writes the initial sizes (u32 each). */
export function initialSizesAddress(): usize {
  return changetype<usize>(initialSizes);
}

/** Where the harness writes the slot stream (u32 each). */
export function slotsAddress(): usize {
  return changetype<usize>(slots);
}

/** Where the harness writes the size stream (u32 each). */
export function sizesAddress(): usize {
  return changetype<usize>(sizes);
}

/** Allocates the initial live blocks, writing each slot's index into its block. */
export function fill(): void {
  for (let i = 0; i < blocks.length; i++) {
    const block = new ArrayBuffer(<i32>initialSizes[i]);
    store<u32>(changetype<usize>(block), <u32>i);
    blocks[i] = block;
  }
}

/** Performs `steps` churn steps (the hot loop: no bounds checks, as the JS cases' JIT elides them). */
export function run(steps: i32): void {
  let k = cursor;
  for (let n = 0; n < steps; n++) {
    const slot = unchecked(slots[k]);
    const block = new ArrayBuffer(<i32>unchecked(sizes[k]));
    store<u32>(changetype<usize>(block), k);
    // biome-ignore lint/suspicious/noAssignInExpressions: AS's unchecked() wraps the store it applies to
    unchecked((blocks[slot] = block));
    k = (k + 1) & mask;
  }
  cursor = k;
}

/** The size of the block in `slot` (for the tests). */
export function blockSize(slot: i32): i32 {
  const block = blocks[slot];
  return block === null ? -1 : block.byteLength;
}

/** The u32 written into the block in `slot` (for the tests). */
export function blockWord(slot: i32): u32 {
  const block = blocks[slot];
  return block === null ? 0 : load<u32>(changetype<usize>(block));
}
