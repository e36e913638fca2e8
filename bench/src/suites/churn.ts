/**
 * Small-block churn: 10,000 live blocks of random size 8..512 B; each step frees a random one
 * and allocates a new one of a random size in its place. heapkit's ArenaAllocator against V8
 * allocating a 3-field object per step (as a JS runtime would; it allocates 32 B whatever the
 * size asked, so it is information, not a target), `new Uint8Array(size)` (what a JS program uses
 * for a block of bytes), @thi.ng/malloc's MemPool, a bare segregated free list (the practical
 * limit), the same list with heapkit's API and safety check (`checked-free-list`: the fair limit),
 * two ArenaAllocators sharing one memory (the region protocol must cost nothing on the fast
 * path: they should run at the speed of one), one ArenaAllocator in a shared memory's shared heap
 * (`heapkit-shared`: what sharing costs a worker alone, at most 5%), AssemblyScript's TLSF allocator and
 * incremental GC compiled to WebAssembly (`bench/assembly/churn.ts`) and, in its own process,
 * CPython doing the same with bytearrays (`bench/python/churn.py`). Also: heap bytes used for
 * 1,000,000 live blocks of random 8..512 B divided by the sum of the requested sizes.
 *
 * Every case does the same work per step, from the same pre-generated seeded stream of
 * (slot, size) pairs, so no random numbers are drawn in a timed loop: pick the step's slot,
 * free the block there, allocate one of the step's size, write one 32-bit word into it (the
 * step number: the store keeps the allocation observable), keep it in the slot. Each case has its
 * own loop (no shared factory), so every call site in it stays monomorphic. The allocator cases
 * check `ptr === 0` (a predictable branch) so that exhaustion fails loudly instead of writing
 * through NULL.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Memory } from '@heapkit/memory';
import { MemPool } from '@thi.ng/malloc';
import { byMode } from '../modes.js';
import { loadChurnWasm, wasmUnavailable } from '../peers/assemblyscript.js';
import { BareFreeList } from '../peers/bare-free-list.js';
import { CheckedFreeList } from '../peers/checked-free-list.js';
import { pythonPeer } from '../peers/python.js';
import { deriveSeed, Random } from '../random.js';
import type {
  BenchCase,
  ExternalCase,
  MemoryFigure,
  MemoryReport,
  SkippedCase,
  Suite,
  SuiteContext,
} from '../suite.js';
import {
  type ChurnInput,
  churnInput,
  exhausted as exhaustedIn,
  LIVE_BLOCKS,
  MAX_SIZE,
  MIN_SIZE,
  STEPS_PER_CALL,
  STREAM_MASK,
} from './churn-input.js';

/** Buffer given to the fixed-size peers for churn: ample for 10,000 blocks of at most 512 B. */
const CHURN_CAPACITY_BYTES = 64 << 20;

const HEAPKIT = 'heapkit';
const V8_OBJECT = 'v8-object';
const THING_MALLOC = 'thi.ng/malloc';
const BARE_FREE_LIST = 'bare-free-list';
const CHECKED_FREE_LIST = 'checked-free-list';
const UINT8ARRAY = 'uint8array';
const TWO_ALLOCATORS = 'heapkit-2-in-1-memory';
const ONE_IN_TABLE = 'heapkit-1-in-table';
const SHARED = 'heapkit-shared';
const ASSEMBLYSCRIPT = 'assemblyscript';
const CPYTHON = 'cpython';

function exhausted(name: string): never {
  return exhaustedIn('churn', name);
}

function heapkitCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  const allocator = new ArenaAllocator();
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const p = allocator.malloc(initialSizes[i]!);
    if (p === 0) exhausted(HEAPKIT);
    allocator.memory.u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  let cursor = 0;
  return {
    name: HEAPKIT,
    description: 'ArenaAllocator (defaults): free(ptr), malloc(size), write a u32 through memory.u32',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        allocator.free(ptrs[slot]!);
        const p = allocator.malloc(sizes[k]!);
        if (p === 0) exhausted(HEAPKIT);
        // Views are replaced when the memory grows: read them after malloc, as users must.
        allocator.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

/**
 * Two ArenaAllocators in one Memory, each owning the slots of one parity: the same steps as
 * `heapkit`, split between two owners of the memory's regions.
 */
function twoAllocatorsCase(input: ChurnInput): BenchCase {
  const memory = new Memory();
  // Picked by indexing, not by a branch: a branch on random slots would mispredict half the time.
  const allocators = [new ArenaAllocator({ memory }), new ArenaAllocator({ memory })];
  const { initialSizes, slots, sizes } = input;
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const allocator = allocators[i & 1]!;
    const p = allocator.malloc(initialSizes[i]!);
    if (p === 0) exhausted(TWO_ALLOCATORS);
    memory.u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  let cursor = 0;
  return {
    name: TWO_ALLOCATORS,
    description: 'two ArenaAllocators in one Memory (slots split by parity): free, malloc, write a u32',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        const allocator = allocators[slot & 1]!;
        allocator.free(ptrs[slot]!);
        const p = allocator.malloc(sizes[k]!);
        if (p === 0) exhausted(TWO_ALLOCATORS);
        memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

/**
 * The loop of `heapkit-2-in-1-memory` with one allocator in both entries of its table: the
 * baseline that isolates what a second owner costs. Picking the allocator from a table every step
 * costs about 1.2× by itself (cachegrind, steady state: 217 instructions a step in `heapkit`'s
 * loop, whose allocator is a closure variable, 274 for the same allocator picked from the table,
 * 276 with two allocators), so against `heapkit` the 2-in-1 ratio would measure the loop, not the
 * region protocol.
 * Its own copy of the loop, as every case here has, so that no call site is shared.
 */
function oneInTableCase(input: ChurnInput): BenchCase {
  const allocator = new ArenaAllocator();
  const memory = allocator.memory;
  const allocators = [allocator, allocator];
  const { initialSizes, slots, sizes } = input;
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const allocator = allocators[i & 1]!;
    const p = allocator.malloc(initialSizes[i]!);
    if (p === 0) exhausted(ONE_IN_TABLE);
    memory.u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  let cursor = 0;
  return {
    name: ONE_IN_TABLE,
    description:
      "one ArenaAllocator in both entries of the 2-in-1 case's table (the same loop): free, malloc, write a u32",
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        const allocator = allocators[slot & 1]!;
        allocator.free(ptrs[slot]!);
        const p = allocator.malloc(sizes[k]!);
        if (p === 0) exhausted(ONE_IN_TABLE);
        memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

/**
 * The `heapkit` steps by an ArenaAllocator that joined a shared memory's shared heap
 * (`shared: true`), alone: what one worker of the `workers` suite pays for being able to share.
 */
function sharedCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  const memory = new Memory({ shared: true, maxBytes: 256 << 20 });
  const allocator = new ArenaAllocator({ memory, shared: true });
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const p = allocator.malloc(initialSizes[i]!);
    if (p === 0) exhausted(SHARED);
    memory.u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  let cursor = 0;
  return {
    name: SHARED,
    description:
      'ArenaAllocator({ shared: true }) over a shared memory, one thread: free, malloc, write a u32',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        allocator.free(ptrs[slot]!);
        const p = allocator.malloc(sizes[k]!);
        if (p === 0) exhausted(SHARED);
        allocator.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

/** What a JS program uses for a block of bytes: a new Uint8Array per block. */
function uint8ArrayCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < LIVE_BLOCKS; i++) blocks.push(new Uint8Array(initialSizes[i]!));
  let cursor = 0;
  return {
    name: UINT8ARRAY,
    description:
      "new Uint8Array(size) (zero-filled) replaces the slot's array (garbage for V8's GC), write a byte",
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const block = new Uint8Array(sizes[k]!);
        block[0] = k;
        blocks[slots[k]!] = block;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function checkedFreeListCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  const list = new CheckedFreeList(CHURN_CAPACITY_BYTES);
  const u32 = list.u32;
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const p = list.malloc(initialSizes[i]!);
    if (p === 0) exhausted(CHECKED_FREE_LIST);
    u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  let cursor = 0;
  return {
    name: CHECKED_FREE_LIST,
    description:
      "bare-free-list with heapkit's API: free(ptr) without the size, O(1) invalid/double-free check (a live bit per 16 B)",
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        list.free(ptrs[slot]!);
        const p = list.malloc(sizes[k]!);
        if (p === 0) exhausted(CHECKED_FREE_LIST);
        u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

/** What a JS runtime would allocate per object instead: a small plain object. */
interface V8Object {
  a: number;
  b: number;
  c: number;
}

function v8ObjectCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  const objects: V8Object[] = [];
  for (let i = 0; i < LIVE_BLOCKS; i++) objects.push({ a: initialSizes[i]!, b: i, c: 0 });
  let cursor = 0;
  return {
    name: V8_OBJECT,
    description: 'a new {a, b, c} object stored in the slot array (the old one becomes garbage)',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        objects[slots[k]!] = { a: sizes[k]!, b: k, c: 0 };
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function thingMallocCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  // Defaults otherwise: 8-byte alignment, compaction and splitting on.
  const pool = new MemPool({ size: CHURN_CAPACITY_BYTES });
  const u32 = new Uint32Array(pool.buf);
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const p = pool.malloc(initialSizes[i]!);
    if (p === 0) exhausted(THING_MALLOC);
    u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  let cursor = 0;
  return {
    name: THING_MALLOC,
    description: `MemPool over a fixed ${CHURN_CAPACITY_BYTES >>> 20} MiB ArrayBuffer: free(ptr), malloc(size), write a u32`,
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        pool.free(ptrs[slot]!);
        const p = pool.malloc(sizes[k]!);
        if (p === 0) exhausted(THING_MALLOC);
        u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function bareFreeListCase(input: ChurnInput): BenchCase {
  const { initialSizes, slots, sizes } = input;
  const list = new BareFreeList(CHURN_CAPACITY_BYTES);
  const u32 = list.u32;
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  // The bare list has no headers: the caller remembers each block's size to free it.
  const slotSizes = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const p = list.malloc(initialSizes[i]!);
    if (p === 0) exhausted(BARE_FREE_LIST);
    u32[p >>> 2] = i;
    ptrs[i] = p;
    slotSizes[i] = initialSizes[i]!;
  }
  let cursor = 0;
  return {
    name: BARE_FREE_LIST,
    description:
      '32 classes of 16 B, bump + per-class free lists, no headers or checks (the practical limit)',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        list.free(ptrs[slot]!, slotSizes[slot]!);
        const size = sizes[k]!;
        const p = list.malloc(size);
        if (p === 0) exhausted(BARE_FREE_LIST);
        u32[p >>> 2] = k;
        ptrs[slot] = p;
        slotSizes[slot] = size;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

const ASSEMBLYSCRIPT_DESCRIPTION =
  'AS 0.28 module (bench/assembly/churn.ts), TLSF + incremental GC: new ArrayBuffer(size) (zero-filled) ' +
  "replaces the slot's block (garbage for the GC), store<u32>";

/**
 * AssemblyScript compiled to WebAssembly with its TLSF allocator and incremental GC: the loop
 * is in the module (`bench/assembly/churn.ts`); one call is one call into it.
 */
function assemblyScriptCase(input: ChurnInput): BenchCase | SkippedCase {
  const missing = wasmUnavailable('churn.wasm');
  if (missing !== null) {
    return { name: ASSEMBLYSCRIPT, description: ASSEMBLYSCRIPT_DESCRIPTION, reason: missing };
  }
  const wasm = loadChurnWasm(input.initialSizes, input.slots, input.sizes);
  return {
    name: ASSEMBLYSCRIPT,
    description: ASSEMBLYSCRIPT_DESCRIPTION,
    run: () => {
      wasm.run(STEPS_PER_CALL);
    },
  };
}

/**
 * CPython doing the same steps with its own allocator: `bench/python/churn.py`, in its own
 * process, replaying the same streams (written to a file for it) in the same rounds.
 */
function cpythonCase(ctx: SuiteContext, input: ChurnInput): ExternalCase {
  return pythonPeer(ctx, {
    name: CPYTHON,
    description:
      "bytearray per block in a list of 10,000: drop the slot's block (refcount → pymalloc free), " +
      'bytearray(size) (zero-filled), struct pack_into of a u32',
    script: 'churn.py',
    inputs: { initial_sizes: input.initialSizes, slots: input.slots, sizes: input.sizes },
    params: { live_blocks: LIVE_BLOCKS, steps_per_call: STEPS_PER_CALL },
  });
}

// ---------------------------------------------------------------------------------------------
// Memory: footprint of N live blocks of random 8..512 B over the sum of the requested sizes.

const MEMORY_BLOCKS_FULL = 1_000_000;
const HEAPKIT_MAX_MEMORY_RATIO = 1.1;

function measureMemory(ctx: SuiteContext): MemoryReport {
  const blocks = byMode(ctx.mode, { full: MEMORY_BLOCKS_FULL, quick: 200_000, tiny: 2_000 });
  const sizes = new Random(deriveSeed(ctx.seed, 'churn-memory')).ints(blocks, MIN_SIZE, MAX_SIZE);
  let requested = 0;
  for (let i = 0; i < blocks; i++) requested += sizes[i]!;
  // Fixed-size peers get a generous buffer: 1.5x the request plus 16 B per block for headers.
  const capacity = Math.ceil((requested * 1.5 + blocks * 16 + (1 << 20)) / 65536) * 65536;

  const figures: MemoryFigure[] = [
    // heapkit's own errors propagate: only the peers' (a refused ArrayBuffer, say) become n/a.
    figure(HEAPKIT, requested, HEAPKIT_MAX_MEMORY_RATIO, heapkitFootprint(sizes, capacity)),
    {
      case: V8_OBJECT,
      footprintBytes: null,
      ratio: null,
      maxRatio: null,
      note: 'n/a: a 3-field object has no requested byte size to compare with',
    },
    figure(
      THING_MALLOC,
      requested,
      null,
      orNotAvailable(() => thingFootprint(sizes, capacity)),
    ),
    figure(
      BARE_FREE_LIST,
      requested,
      null,
      orNotAvailable(() => bareFootprint(sizes, capacity)),
    ),
  ];
  const fewer =
    blocks === MEMORY_BLOCKS_FULL
      ? null
      : `${ctx.mode} mode: ${blocks.toLocaleString('en-US')} blocks instead of ${MEMORY_BLOCKS_FULL.toLocaleString('en-US')}`;
  return {
    description: `${blocks.toLocaleString('en-US')} live blocks of random ${MIN_SIZE}..${MAX_SIZE} B; footprint ÷ sum of requested sizes`,
    blocks,
    requestedBytes: requested,
    note: fewer,
    figures,
  };
}

type Footprint =
  | { readonly bytes: number; readonly note: string | null }
  | { readonly bytes: null; readonly note: string };

function orNotAvailable(measure: () => Footprint): Footprint {
  try {
    return measure();
  } catch (error) {
    return { bytes: null, note: `n/a: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function figure(
  name: string,
  requested: number,
  maxRatio: number | null,
  footprint: Footprint,
): MemoryFigure {
  return {
    case: name,
    footprintBytes: footprint.bytes,
    ratio: footprint.bytes === null ? null : footprint.bytes / requested,
    maxRatio,
    note: footprint.note,
  };
}

/**
 * heapkit's footprint (its arenas and metadata, not the memory's size). Its memory starts at the
 * fixed-size peers' `capacity`, so the measurement grows no `WebAssembly.Memory`: a growth would
 * detach a buffer, which slows every typed-array access in this process from then on (see
 * `DEFAULT_INITIAL_BYTES` in @heapkit/memory), and the suites after this one run in it.
 */
function heapkitFootprint(sizes: Uint32Array, capacity: number): Footprint {
  const allocator = new ArenaAllocator({ memory: new Memory({ initialBytes: capacity }) });
  for (let i = 0; i < sizes.length; i++) {
    if (allocator.malloc(sizes[i]!) === 0) {
      return { bytes: null, note: `n/a: memory exhausted after ${i} blocks` };
    }
  }
  return {
    bytes: allocator.stats().footprintBytes,
    note: 'stats().footprintBytes: arenas in use plus metadata',
  };
}

function thingFootprint(sizes: Uint32Array, capacity: number): Footprint {
  const pool = new MemPool({ size: capacity });
  for (let i = 0; i < sizes.length; i++) {
    if (pool.malloc(sizes[i]!) === 0) {
      return { bytes: null, note: `n/a: its ${mib(capacity)} buffer was full after ${i} blocks` };
    }
  }
  return { bytes: pool.stats().top, note: 'top of heap: 8 B header per block, 8 B alignment, pool state' };
}

function bareFootprint(sizes: Uint32Array, capacity: number): Footprint {
  const list = new BareFreeList(capacity);
  for (let i = 0; i < sizes.length; i++) {
    if (list.malloc(sizes[i]!) === 0) {
      return { bytes: null, note: `n/a: its ${mib(capacity)} buffer was full after ${i} blocks` };
    }
  }
  return { bytes: list.footprintBytes(), note: 'bump pointer: only the 16 B class rounding' };
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(0)} MiB`;
}

export const churn: Suite = {
  name: 'churn',
  description:
    'Small-block churn: 10,000 live blocks of 8..512 B; each step frees a random one and allocates a new one',
  opName: 'step',
  subject: HEAPKIT,
  // v8-object allocates 32 B whatever the size asked: information, not a target.
  targets: [
    { peer: CHECKED_FREE_LIST, minRatio: 0.9 },
    { peer: BARE_FREE_LIST, minRatio: 0.6 },
    { peer: THING_MALLOC, minRatio: 100 },
  ],
  // The region protocol costs nothing on the fast path: two allocators in one memory run at the
  // speed of one, in the same loop (see oneInTableCase: against `heapkit` the ratio would measure
  // V8's folding of a constant allocator, shown as its own slowdown below, without a target).
  // And joining a shared heap costs one worker at most 5% (issue: workers).
  slowdowns: [
    { case: TWO_ALLOCATORS, baseline: ONE_IN_TABLE, maxRatio: 1.05 },
    { case: ONE_IN_TABLE, baseline: HEAPKIT, maxRatio: null },
    { case: SHARED, baseline: HEAPKIT, maxRatio: 1.05 },
  ],
  createCases(ctx) {
    const input = churnInput(ctx.seed, 'churn');
    const assemblyScript = assemblyScriptCase(input);
    const inProcess = 'run' in assemblyScript;
    return {
      opsPerCall: STEPS_PER_CALL,
      cases: [
        heapkitCase(input),
        twoAllocatorsCase(input),
        oneInTableCase(input),
        sharedCase(input),
        checkedFreeListCase(input),
        bareFreeListCase(input),
        uint8ArrayCase(input),
        v8ObjectCase(input),
        thingMallocCase(input),
        ...(inProcess ? [assemblyScript] : []),
      ],
      external: [cpythonCase(ctx, input)],
      unavailable: inProcess ? [] : [assemblyScript],
    };
  },
  measureMemory,
};
