/**
 * {@link TracedAllocator}: an `Allocator` that forwards every call to the allocator it wraps
 * and tells its profiler about each block, as CPython's tracemalloc hooks `PyMem_*`.
 *
 * The reentrancy guard: while a traced call is inside the wrapped allocator or the profiler
 * (`recorder.busy`), other traced `malloc`/`calloc`/`realloc` calls just forward: a block is
 * recorded once, by the outermost traced allocator, even when one traced allocator wraps
 * another or a frame source allocates. `free` always removes the block's trace (CPython untracks
 * on every free, nested or not).
 *
 * `malloc` and `free` are own properties pointed at the code for the profiler's mode (not
 * tracing, sampling, every block; see `malloc`). Not tracing: one flag test each. Sampling: an
 * allocation the sampler skips costs one subtraction and compare on the profiler's countdown,
 * and a free one directory load (`TraceTable.mayHold`). Every block traced: the reentrancy
 * guard (two stores and a try/finally around the wrapped call), the frame source's capture and
 * the table's insert, and for a free the table's remove. A wrapped call that throws (a bad free,
 * say) records nothing and leaves the profiler usable.
 *
 * A layer above that caches freed blocks (an object space's free lists) reports them through the
 * optional `Allocator` hooks `noteCached` (accounted as a free) and `noteReused` (accounted as a
 * new allocation of the size the layer asks for, here and now), so traces stay exact.
 *
 * When sampling, an allocation the sampler skips does not take the reentrancy guard: it goes
 * straight to the wrapped allocator, or past it when that is a traced allocator of the same
 * profiler (`direct`), so a block is still counted down once. (A traced allocator of the same
 * profiler reached through some other wrapper would count it down again: wrap the allocator
 * itself.)
 *
 * The package compiles with `useDefineForClassFields: false`: a class field declared without a
 * value would otherwise start as `undefined`, which makes V8 forget the field's type (and box
 * every double stored in it: the sampler's countdown allocated a heap number per `malloc`).
 *
 * The observed path: over an allocator that offers `Allocator.observe` (ArenaAllocator), while
 * tracing, every block with a plain RuntimeFrameStack: the wrapped `malloc` then the record, no
 * guard (neither can reenter: `mallocUnguarded`); in the other modes, one-line forwarders to the
 * allocator's observed `malloc` and `free`, which call an observer of the mode right after the
 * allocator's own work (see `observers.ts`).
 *
 * What decides the cost is V8's inlining budget (V8 11.3): a caller inlines callees until 920
 * bytes of their bytecode are used (a callee with optimized code of its own counts with all it
 * inlined, x1.2; functions of at most 27 bytes always go in). The ArenaAllocator's fast paths
 * take ~860, so the allocator and the trace record do not all fit in a caller's loop, and slow
 * paths a function called often while it warmed up (a table filling) stay in its optimized code
 * and count against every caller: the fast paths here answer the common cases themselves.
 * `--trace-turbo-inlining` shows what went where. Figures: the commits of the observed path.
 */
import {
  type Allocator,
  ConfigurationError,
  type Memory,
  type ObservedAllocator,
  type Ptr,
} from '@heapkit/memory';
import type { FrameSource, StackCutoff } from './frame-source.js';
import { ExactObserver } from './observers.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import type { PoissonSampler } from './sampler.js';
import type { TraceTable } from './trace-table.js';

/**
 * The byte countdown every traced allocator's `malloc` decrements (one per profiler): +Infinity
 * when nothing is to be traced (not tracing, or inside a traced call), -Infinity when every block
 * is traced, else the bytes left to the sampler's next sample point. A `malloc` that leaves it
 * above 0 is not traced: one subtraction and compare decide every case.
 */
export class Countdown {
  /** See the class comment. Initialised where declared: an unboxed double from the start. */
  remaining = Number.POSITIVE_INFINITY;
}

/** What a traced allocator calls; the `Profiler` implements it. */
export interface TraceRecorder {
  /** True between `start()` and `stop()`. */
  readonly tracing: boolean;
  /** True while a traced call is in progress (the reentrancy guard). */
  readonly busy: boolean;
  /** The sampler when sampling, else null. */
  readonly sampler: PoissonSampler | null;
  /** Where tracebacks come from. */
  readonly frameSource: FrameSource;
  /** The countdown of `malloc`'s fast path (see {@link Countdown}). */
  readonly countdown: Countdown;
  /**
   * Enters a traced call: `busy`, and the countdown parked at +Infinity (nested traced calls
   * forward). While busy the sampler's countdown is {@link pending}.
   */
  enter(): void;
  /** Leaves a traced call: the countdown back from {@link pending}. */
  leave(): void;
  /** Starts the countdown again (not busy): +Infinity, -Infinity or a new sampler gap. */
  resetCountdown(): void;
  /** While busy: the countdown as it will be after {@link leave}. */
  pending: number;
  /** Records a new block (when sampling: one the sampler picked). */
  recordAlloc(table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff): void;
  /** {@link recordAlloc} when every block is traced (not sampling), with less code to inline. */
  recordExact(table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff): void;
  /** Forgets a block's trace, if it has one. */
  recordFree(table: TraceTable, ptr: Ptr): void;
  /** {@link recordFree} when every block is traced (not sampling), with less code to inline. */
  recordFreeExact(table: TraceTable, ptr: Ptr): void;
}

/**
 * An `Allocator` that traces the blocks of the allocator it wraps, in one domain. Make one with
 * `Profiler.wrap(allocator)`; allocate through it instead of the wrapped allocator.
 */
export class TracedAllocator implements Allocator {
  /** The wrapped allocator. */
  readonly inner: Allocator;
  /** The wrapped allocator's memory (a field, not a getter: callers read it on hot paths). */
  readonly memory: Memory;
  /** This allocator's domain: the `domain` of its traces. */
  readonly domain: number;
  /** @internal The live traces of this domain. */
  readonly table: TraceTable;
  private readonly recorder: TraceRecorder;
  /** The recorder's countdown (see {@link malloc}). */
  private readonly countdown: Countdown;
  /**
   * Where an allocation the sampler skips goes: the wrapped allocator, or, when that is a traced
   * allocator of the same profiler, the allocator under it (which would only forward it).
   */
  private readonly direct: Allocator;
  /** The block resolvers registered by layers above (see {@link addBlockResolver}). */
  private readonly resolvers: ((ptr: Ptr) => Ptr)[] = [];
  /**
   * Whether this traced allocator allocates through the wrapped allocator's observed `malloc`
   * and `free` when tracing (`Allocator.observe`: ArenaAllocator offers it): then the wrapped
   * allocator calls an observer of the profiler's mode from inside them (see `observers.ts`),
   * with no wrapper code between. False for an allocator without `observe`, and once a traced
   * allocator of the same profiler wraps this one (see {@link stopObserving}).
   */
  private observing: boolean;
  /**
   * With {@link observing}, since the first `start()`: the wrapped allocator's observed `malloc`
   * and `free` (kept after `stop()`: its observer then records nothing). Once a traced
   * allocator of the same profiler wraps this one, the wrapped allocator itself.
   */
  private observed: ObservedAllocator;

  /**
   * The wrapped allocator's `malloc`; the block is traced (or, when sampling, maybe traced).
   * An own property that {@link retune} points at the code for the profiler's mode (not
   * tracing, sampling, every block), so that each mode's code has its own V8 type feedback and
   * a caller's loop inlines only what its mode runs (one method serving every mode inlined the
   * other modes' paths too, and V8's inlining budget, about 900 bytes of bytecode a function,
   * then left the wrapped allocator's own code out). Each variant is right in any mode, so a
   * reference kept across `start()`/`stop()` still works, only slower.
   */
  malloc: (size: number) => Ptr;
  /** The wrapped allocator's `free`; the block's trace is forgotten (after the free succeeds). */
  free: (ptr: Ptr) => void;

  /** @internal Use `Profiler.wrap`. */
  constructor(inner: Allocator, domain: number, table: TraceTable, recorder: TraceRecorder) {
    this.inner = inner;
    this.memory = inner.memory;
    this.domain = domain;
    this.table = table;
    this.recorder = recorder;
    this.countdown = recorder.countdown;
    const nested = inner instanceof TracedAllocator && inner.recorder === recorder;
    if (nested) inner.stopObserving();
    this.direct = nested ? inner.direct : inner;
    this.observing = typeof inner.observe === 'function';
    this.observed = inner;
    this.malloc = this.mallocUntraced;
    this.free = this.freeUntraced;
    this.retune();
    // The table's directory reaches the whole memory, so that a sampled free's check
    // (`TraceTable.mayHold`) reads in bounds.
    table.cover(this.memory.byteLength);
    this.memory.onGrow((memory) => table.cover(memory.byteLength));
    // An allocator of a shared heap takes back the blocks other threads freed: each stops being
    // in use here then, so its trace goes (its free happened in another thread's allocator).
    inner.onReclaim?.((ptr) => {
      if (this.table.mayHold(ptr)) this.recorder.recordFree(this.table, ptr);
    });
  }

  /**
   * @internal Points `malloc` and `free` at the code for the profiler's mode, or, when the
   * wrapped allocator is observed, hands it the observer for the mode (null when not tracing).
   */
  retune(): void {
    const recorder = this.recorder;
    if (this.observing && recorder.tracing && recorder.sampler === null && plainRuntimeFrames(recorder)) {
      this.malloc = this.mallocUnguarded;
      this.free = this.freeExact;
    } else if (this.observing && recorder.tracing && recorder.sampler === null) {
      // Not the untraced code: the untraced wrapped `malloc` is another function, and one call
      // site that saw both inlines both.
      this.observed = this.inner.observe!(new ExactObserver(recorder, this.table, MALLOC_OBSERVED));
      this.malloc = this.mallocObserved;
      this.free = this.freeObserved;
    } else if (!recorder.tracing) {
      this.malloc = this.mallocUntraced;
      this.free = this.freeUntraced;
    } else if (recorder.sampler === null) {
      this.malloc = this.mallocExact;
      this.free = this.freeExact;
    } else {
      this.malloc = this.mallocSampled;
      this.free = this.freeSampled;
    }
  }

  /**
   * A traced allocator of the same profiler wraps this one: the outer one records the blocks
   * (the reentrancy guard), so this one takes the code of the allocators it cannot observe.
   */
  private stopObserving(): void {
    this.observing = false;
    this.observed = this.inner;
    this.retune();
  }

  /**
   * `malloc` when tracing with {@link observing}: the wrapped allocator's observed `malloc`,
   * which reports the block to the observer of the profiler's mode. Small enough (under 27 bytes
   * of bytecode) that V8 always inlines it. Right in any mode (see {@link observed}).
   */
  private mallocObserved(size: number): Ptr {
    return this.observed.malloc(size);
  }

  /** `free` when tracing with {@link observing} (see {@link mallocObserved}). */
  private freeObserved(ptr: Ptr): void {
    this.observed.free(ptr);
  }

  /**
   * `malloc` when every block is traced with a plain RuntimeFrameStack over an allocator that
   * offers `observe` (which promises its `malloc` never calls into another allocator): the
   * exact path with no guard, since neither the wrapped call nor the capture can reenter.
   */
  private mallocUnguarded(size: number): Ptr {
    const ptr = this.inner.malloc(size);
    if (ptr !== 0 && !this.recorder.busy) this.recorder.recordExact(this.table, ptr, size, MALLOC_UNGUARDED);
    return ptr;
  }

  /** `malloc` when not tracing: the wrapped `malloc`. */
  private mallocUntraced(size: number): Ptr {
    if (this.recorder.tracing) return this.malloc(size); // a reference kept from before start()
    return this.inner.malloc(size);
  }

  /**
   * `malloc` when tracing every block: the reentrancy guard around the wrapped call, then the
   * recorder's exact path (the traceback, the table's insert, the counters). A nested call
   * (busy) or a `stop()` since takes {@link mallocTraced}, which sorts out every case.
   */
  private mallocExact(size: number): Ptr {
    const recorder = this.recorder;
    if (recorder.busy || !recorder.tracing) return this.mallocTraced(size, MALLOC_EXACT);
    recorder.enter();
    try {
      const ptr = this.inner.malloc(size);
      if (ptr !== 0) recorder.recordExact(this.table, ptr, size, MALLOC_EXACT);
      return ptr;
    } finally {
      recorder.leave();
    }
  }

  /**
   * `malloc` when sampling: one subtraction and compare on the profiler's byte countdown, then
   * the wrapped `malloc` (or the allocator under a same-profiler traced one, which would only
   * forward it), unless the countdown reached a sample point (see {@link mallocTraced}). Inside
   * a traced call the countdown is +Infinity: nested calls forward.
   */
  private mallocSampled(size: number): Ptr {
    const countdown = this.countdown;
    const remaining = countdown.remaining - size;
    countdown.remaining = remaining;
    if (remaining > 0) return this.direct.malloc(size);
    return this.mallocSample(size);
  }

  /**
   * {@link mallocSampled} at a sample point (out of line: the fewer bytes of bytecode the fast
   * path has, the more of the wrapped allocator V8 inlines into the caller's loop).
   */
  private mallocSample(size: number): Ptr {
    return this.mallocTraced(size, MALLOC_SAMPLED);
  }

  /**
   * A traced `malloc`: the reentrancy guard around the wrapped call, then the recorder. `entry`
   * is the method the caller called (a JS stack capture leaves it and what it called out).
   */
  private mallocTraced(size: number, entry: StackCutoff): Ptr {
    const recorder = this.recorder;
    if (!recorder.tracing || recorder.busy || !(this.countdown.remaining <= 0)) return this.mallocOdd(size);
    recorder.enter();
    try {
      const ptr = this.inner.malloc(size);
      if (ptr !== 0) recorder.recordAlloc(this.table, ptr, size, entry);
      return ptr;
    } finally {
      recorder.leave();
    }
  }

  /**
   * `malloc` past the fast path with nothing to trace: only after a NaN size (which makes the
   * countdown NaN: it starts again) or a `stop()` inside a traced call.
   */
  private mallocOdd(size: number): Ptr {
    const recorder = this.recorder;
    if (!recorder.busy) recorder.resetCountdown();
    return this.inner.malloc(size);
  }

  /** The wrapped allocator's `calloc`; the block is traced with size `count * size`. */
  calloc(count: number, size: number): Ptr {
    const recorder = this.recorder;
    if (!recorder.tracing || recorder.busy) return this.inner.calloc(count, size);
    recorder.enter();
    try {
      const ptr = this.inner.calloc(count, size);
      if (ptr !== 0 && picks(recorder, count * size)) {
        recorder.recordAlloc(this.table, ptr, count * size, TRACED_CALLOC);
      }
      return ptr;
    } finally {
      recorder.leave();
    }
  }

  /**
   * Resizes the block; its trace gets the new size and the traceback of this call (as
   * CPython's `tracemalloc_realloc`). On failure (0) the old block and its trace are kept.
   */
  realloc(ptr: Ptr, size: number): Ptr {
    const recorder = this.recorder;
    if (!recorder.tracing) return this.inner.realloc(ptr, size);
    if (recorder.busy) {
      const moved = this.inner.realloc(ptr, size);
      if (moved !== 0 && ptr !== 0) recorder.recordFree(this.table, ptr);
      return moved;
    }
    recorder.enter();
    try {
      const moved = this.inner.realloc(ptr, size);
      if (moved !== 0) {
        if (ptr !== 0) recorder.recordFree(this.table, ptr);
        if (picks(recorder, size)) recorder.recordAlloc(this.table, moved, size, TRACED_REALLOC);
      }
      return moved;
    } finally {
      recorder.leave();
    }
  }

  /** `free` when not tracing: the wrapped `free` (nothing is traced). */
  private freeUntraced(ptr: Ptr): void {
    if (this.recorder.tracing) {
      this.free(ptr); // a reference kept from before start()
      return;
    }
    this.inner.free(ptr);
  }

  /** `free` when tracing every block: the wrapped `free`, then the trace goes. */
  private freeExact(ptr: Ptr): void {
    this.inner.free(ptr);
    this.recorder.recordFreeExact(this.table, ptr);
  }

  /**
   * `free` when sampling: one directory load rules out most blocks (`TraceTable.mayHold`: when
   * sampling, few pages hold a trace), then the wrapped `free`, then the trace goes if there may
   * be one. The load comes first on purpose: read after the inlined `free`, whose fast and slow
   * ways each return on their own, it cost about 65 instructions a churn step more (cachegrind,
   * 324 against 259 with no sample taken; the untraced step is 219). The free cannot add a
   * trace, so the early answer still holds; a free that throws forgets nothing.
   */
  private freeSampled(ptr: Ptr): void {
    const maybe = this.table.mayHold(ptr);
    this.inner.free(ptr);
    if (maybe) this.forget(ptr);
  }

  /** Forgets the trace of `ptr`, if it has one (out of line, as {@link mallocSample}). */
  private forget(ptr: Ptr): void {
    this.recorder.recordFree(this.table, ptr);
  }

  /** The wrapped allocator's `usableSize`. */
  usableSize(ptr: Ptr): number {
    return this.inner.usableSize(ptr);
  }

  /**
   * A layer above put live block `ptr` in a cache of its own (an object space's free list): for
   * accounting it is freed here, its trace forgotten. Forwarded to the wrapped allocator when it
   * has the hook too (a traced allocator inside another). Same cost as `free`'s tracing part.
   */
  noteCached(ptr: Ptr): void {
    this.inner.noteCached?.(ptr);
    if (this.table.mayHold(ptr)) this.recorder.recordFree(this.table, ptr);
  }

  /**
   * The layer above hands cached block `ptr` out again for a request of `size` bytes: for
   * accounting a new allocation of `size` bytes here and now, as if `malloc(size)` had returned
   * it (traced at the current frames; when sampling, counted down by the sampler like any
   * allocation). Forwarded like {@link noteCached}. Same cost as `malloc`'s tracing part.
   */
  noteReused(ptr: Ptr, size: number): void {
    const recorder = this.recorder;
    const inner = this.inner;
    if (!recorder.tracing || recorder.busy) {
      inner.noteReused?.(ptr, size);
      return;
    }
    recorder.enter();
    try {
      inner.noteReused?.(ptr, size); // a traced allocator of this profiler inside sees `busy`
      if (picks(recorder, size)) recorder.recordAlloc(this.table, ptr, size, TRACED_NOTE_REUSED);
    } finally {
      recorder.leave();
    }
  }

  /**
   * The wrapped allocator's `onReclaim` (a shared heap's allocator: blocks other threads freed,
   * as the owner takes them back), for a layer above; a no-op remover when it has none.
   */
  onReclaim(listener: (ptr: Ptr) => void): () => void {
    if (typeof listener !== 'function') {
      throw new ConfigurationError(`onReclaim: expected a function (ptr) => void, got ${typeof listener}`);
    }
    return this.inner.onReclaim?.(listener) ?? (() => {});
  }

  /**
   * Registers how a layer above maps its pointers (which may point inside blocks, e.g. after a
   * GC pre-header) to blocks: `Profiler.getObjectTraceback` then accepts them. `resolve(ptr)`
   * returns the block under `ptr`, or 0 when `ptr` is not one of that layer's pointers.
   * Forwarded like {@link noteCached}.
   */
  addBlockResolver(resolve: (ptr: Ptr) => Ptr): void {
    if (typeof resolve !== 'function') {
      throw new ConfigurationError(
        `addBlockResolver: expected a function (ptr) => block pointer or 0, got ${typeof resolve}`,
      );
    }
    this.inner.addBlockResolver?.(resolve);
    this.resolvers.push(resolve);
  }

  /**
   * @internal The traceback id of the trace of `ptr`, a block pointer or a pointer a registered
   * resolver maps to a block; -1 when there is none. Not a hot path.
   */
  findTrace(ptr: Ptr): number {
    const traceback = this.table.tracebackOf(ptr);
    if (traceback >= 0) return traceback;
    for (const resolve of this.resolvers) {
      const block = resolve(ptr);
      if (block !== 0 && block !== ptr) {
        const found = this.table.tracebackOf(block);
        if (found >= 0) return found;
      }
    }
    return -1;
  }
}

/** A RuntimeFrameStack's capture (not a subclass's) never allocates or throws: no guard needed. */
function plainRuntimeFrames(recorder: TraceRecorder): boolean {
  return Object.getPrototypeOf(recorder.frameSource) === RuntimeFrameStack.prototype;
}

/**
 * Whether a new block of `size` bytes is traced, inside a traced call (`recorder.busy`): always
 * when not sampling; when sampling, when the sampler's byte countdown (parked in
 * `recorder.pending` while busy) reaches a sample point inside it.
 */
function picks(recorder: TraceRecorder, size: number): boolean {
  if (recorder.sampler === null) return true;
  recorder.pending -= size;
  return recorder.pending <= 0;
}

// The methods a user calls: a JS stack capture is cut there, so the first frame is the caller's.
const MALLOC_UNGUARDED = (TracedAllocator.prototype as unknown as Record<string, StackCutoff>)
  .mallocUnguarded!;
const MALLOC_OBSERVED = (TracedAllocator.prototype as unknown as Record<string, StackCutoff>).mallocObserved!;
const MALLOC_EXACT = (TracedAllocator.prototype as unknown as Record<string, StackCutoff>).mallocExact!;
const MALLOC_SAMPLED = (TracedAllocator.prototype as unknown as Record<string, StackCutoff>).mallocSampled!;
const TRACED_CALLOC = TracedAllocator.prototype.calloc;
const TRACED_REALLOC = TracedAllocator.prototype.realloc;
const TRACED_NOTE_REUSED = TracedAllocator.prototype.noteReused;
