/**
 * Profiler overhead: the churn of the `churn` suite (10,000 live blocks of 8..512 B; each step
 * frees a random one and allocates one of a random size in its place, then writes a u32 into it)
 * through an ArenaAllocator wrapped by @heapkit/profiler, against the same churn untraced. Each
 * traced case is reported as a slowdown (median time per step ÷ the untraced case's), side by
 * side in one run:
 *
 * - `runtime-exact-1`: frames from a RuntimeFrameStack, every block traced, nframe 1. The loop
 *   also moves the guest's current line every step (`setLine`, 16 lines), as an interpreter
 *   would, so the frame source's "nothing changed" shortcut never applies: each allocation
 *   interns its traceback. Target: at most 2.0×.
 * - `js-sampled-512k`: frames from the JS stack, Poisson sampling with a 512 KiB mean interval.
 *   Target: at most 1.1×.
 * - `js-exact-1`, `js-exact-25`: the JS stack, every block traced, nframe 1 and 25 (reported).
 * - `cpython`, `cpython-tracemalloc`: CPython running the same steps on bytearrays
 *   (`bench/python/churn.py`, the `churn` suite's script), without and with `tracemalloc.start(1)`, so tracemalloc's own
 *   slowdown is in the same table (in their own process; skipped when python3 is absent).
 *
 * The profilers start after the initial 10,000 blocks are allocated, so each traced case starts
 * with an empty trace table that fills as the churn replaces the initial blocks (after the first
 * few calls every live block is traced). Every case has its own loop over the same seeded
 * streams (see churn.ts for why).
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Profiler, RuntimeFrameStack } from '@heapkit/profiler';
import { pythonPeer } from '../peers/python.js';
import { deriveSeed } from '../random.js';
import type { BenchCase, ExternalCase, Suite, SuiteContext } from '../suite.js';
import {
  type ChurnInput,
  churnInput,
  exhausted as exhaustedIn,
  LIVE_BLOCKS,
  STEPS_PER_CALL,
  STREAM_MASK,
} from './churn-input.js';

/** Guest lines the runtime case cycles through. */
const GUEST_LINES_MASK = 15;
const SAMPLING_INTERVAL = 512 * 1024;

const UNTRACED = 'untraced';
const RUNTIME_EXACT = 'runtime-exact-1';
const JS_SAMPLED = 'js-sampled-512k';
const JS_EXACT_1 = 'js-exact-1';
const JS_EXACT_25 = 'js-exact-25';
const CPYTHON = 'cpython';
const CPYTHON_TRACEMALLOC = 'cpython-tracemalloc';

function exhausted(name: string): never {
  return exhaustedIn('profiler', name);
}

/** The live blocks before the first step, allocated through `allocator` (untraced: not started yet). */
function fill(
  allocator: { malloc(size: number): number; memory: { u32: Uint32Array } },
  input: ChurnInput,
  name: string,
): Uint32Array {
  const ptrs = new Uint32Array(LIVE_BLOCKS);
  for (let i = 0; i < LIVE_BLOCKS; i++) {
    const p = allocator.malloc(input.initialSizes[i]!);
    if (p === 0) exhausted(name);
    allocator.memory.u32[p >>> 2] = i;
    ptrs[i] = p;
  }
  return ptrs;
}

function untracedCase(input: ChurnInput): BenchCase {
  const { slots, sizes } = input;
  const allocator = new ArenaAllocator();
  const ptrs = fill(allocator, input, UNTRACED);
  let cursor = 0;
  return {
    name: UNTRACED,
    description: 'ArenaAllocator, not wrapped: free(ptr), malloc(size), write a u32 (the baseline)',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        allocator.free(ptrs[slot]!);
        const p = allocator.malloc(sizes[k]!);
        if (p === 0) exhausted(UNTRACED);
        allocator.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function runtimeExactCase(input: ChurnInput): BenchCase {
  const { slots, sizes } = input;
  const frames = new RuntimeFrameStack();
  const profiler = new Profiler({ frameSource: frames });
  const heap = profiler.wrap(new ArenaAllocator());
  const ptrs = fill(heap, input, RUNTIME_EXACT);
  frames.push(frames.registerFile('guest/main.py'), 1);
  profiler.start(1);
  let cursor = 0;
  return {
    name: RUNTIME_EXACT,
    description:
      'wrapped ArenaAllocator, RuntimeFrameStack frames, every block traced, nframe 1; setLine every step',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        frames.setLine((k & GUEST_LINES_MASK) + 1);
        const slot = slots[k]!;
        heap.free(ptrs[slot]!);
        const p = heap.malloc(sizes[k]!);
        if (p === 0) exhausted(RUNTIME_EXACT);
        heap.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function jsSampledCase(input: ChurnInput, seed: number): BenchCase {
  const { slots, sizes } = input;
  const profiler = new Profiler({ sampling: { meanInterval: SAMPLING_INTERVAL, seed } });
  const heap = profiler.wrap(new ArenaAllocator());
  const ptrs = fill(heap, input, JS_SAMPLED);
  profiler.start(1);
  let cursor = 0;
  return {
    name: JS_SAMPLED,
    description:
      'wrapped ArenaAllocator, JS stack frames, Poisson sampling every 512 KiB on average, nframe 1',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        heap.free(ptrs[slot]!);
        const p = heap.malloc(sizes[k]!);
        if (p === 0) exhausted(JS_SAMPLED);
        heap.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function jsExact1Case(input: ChurnInput): BenchCase {
  const { slots, sizes } = input;
  const profiler = new Profiler();
  const heap = profiler.wrap(new ArenaAllocator());
  const ptrs = fill(heap, input, JS_EXACT_1);
  profiler.start(1);
  let cursor = 0;
  return {
    name: JS_EXACT_1,
    description:
      'wrapped ArenaAllocator, JS stack frames (a V8 stack capture per allocation), every block traced, nframe 1',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        heap.free(ptrs[slot]!);
        const p = heap.malloc(sizes[k]!);
        if (p === 0) exhausted(JS_EXACT_1);
        heap.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function jsExact25Case(input: ChurnInput): BenchCase {
  const { slots, sizes } = input;
  const profiler = new Profiler();
  const heap = profiler.wrap(new ArenaAllocator());
  const ptrs = fill(heap, input, JS_EXACT_25);
  profiler.start(25);
  let cursor = 0;
  return {
    name: JS_EXACT_25,
    description: 'wrapped ArenaAllocator, JS stack frames, every block traced, nframe 25',
    run: () => {
      let k = cursor;
      for (let n = 0; n < STEPS_PER_CALL; n++) {
        const slot = slots[k]!;
        heap.free(ptrs[slot]!);
        const p = heap.malloc(sizes[k]!);
        if (p === 0) exhausted(JS_EXACT_25);
        heap.memory.u32[p >>> 2] = k;
        ptrs[slot] = p;
        k = (k + 1) & STREAM_MASK;
      }
      cursor = k;
    },
  };
}

function cpythonCase(ctx: SuiteContext, input: ChurnInput, name: string, nframe: number): ExternalCase {
  return pythonPeer(ctx, {
    name,
    description:
      nframe === 0
        ? "bytearray churn as in the churn suite's cpython case, tracemalloc off (the CPython baseline)"
        : `the same bytearray churn with tracemalloc.start(${nframe}) (started after the initial fill)`,
    script: 'churn.py',
    inputs: { initial_sizes: input.initialSizes, slots: input.slots, sizes: input.sizes },
    params: { live_blocks: LIVE_BLOCKS, steps_per_call: STEPS_PER_CALL, tracemalloc_nframe: nframe },
  });
}

export const profiler: Suite = {
  name: 'profiler',
  description:
    'Profiler overhead: the churn suite’s steps through an ArenaAllocator wrapped by @heapkit/profiler, ÷ untraced',
  opName: 'step',
  subject: UNTRACED,
  targets: [],
  slowdowns: [
    { case: RUNTIME_EXACT, baseline: UNTRACED, maxRatio: 2.0 },
    { case: JS_SAMPLED, baseline: UNTRACED, maxRatio: 1.1 },
    { case: JS_EXACT_1, baseline: UNTRACED, maxRatio: null },
    { case: JS_EXACT_25, baseline: UNTRACED, maxRatio: null },
    { case: CPYTHON_TRACEMALLOC, baseline: CPYTHON, maxRatio: null },
  ],
  createCases(ctx) {
    const input = churnInput(ctx.seed, 'profiler');
    return {
      opsPerCall: STEPS_PER_CALL,
      cases: [
        untracedCase(input),
        runtimeExactCase(input),
        jsSampledCase(input, deriveSeed(ctx.seed, 'profiler-sampling')),
        jsExact1Case(input),
        jsExact25Case(input),
      ],
      external: [cpythonCase(ctx, input, CPYTHON, 0), cpythonCase(ctx, input, CPYTHON_TRACEMALLOC, 1)],
    };
  },
};
