/**
 * {@link Profiler}: Python's `tracemalloc` module as an object, over the allocators it wraps
 * (one domain each). Holds the tracing state, the traced-memory counters, the interned
 * tracebacks and each domain's live traces; builds snapshots.
 */
import { type Allocator, ConfigurationError, type Ptr } from '@heapkit/memory';
import { NotTracingError } from './errors.js';
import { Frame, Traceback } from './frame.js';
import type { FrameSource, StackCutoff } from './frame-source.js';
import { JsStackFrameSource } from './js-stack-source.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import { PoissonSampler } from './sampler.js';
import { Snapshot } from './snapshot.js';
import { Trace } from './trace.js';
import { TraceTable } from './trace-table.js';
import { TracebackTable, UNKNOWN_TOTAL } from './traceback-table.js';
import { Countdown, TracedAllocator, type TraceRecorder } from './traced-allocator.js';

/** The largest `nframe` (CPython's `MAX_NFRAME`). */
export const MAX_NFRAME = 65535;

/** Sampling options: see the README's "Sampling" for the estimator. */
export interface SamplingOptions {
  /** Mean distance between sampled bytes (tcmalloc's `sample_period`). Default 512 KiB. */
  readonly meanInterval?: number;
  /** Seed of the sampler's random gaps; the same seed gives the same samples. Default 1. */
  readonly seed?: number;
}

/** Options of {@link Profiler}. */
export interface ProfilerOptions {
  /** Where tracebacks come from. Default: a new `JsStackFrameSource` (the JS call stack). */
  readonly frameSource?: FrameSource;
  /**
   * Trace a Poisson sample of the blocks instead of every block: statistics and traced memory
   * become unbiased estimates, at a small fraction of the cost. Default: off (trace every block).
   */
  readonly sampling?: SamplingOptions | null;
}

/** Options of {@link Profiler.wrap}. */
export interface WrapOptions {
  /** The domain of the blocks of this allocator (0..65535). Default: the next unused one from 0. */
  readonly domain?: number;
}

/**
 * The profiler: `tracemalloc` in camelCase over any `Allocator`. Wrap each allocator with
 * {@link wrap} (one domain each), allocate through the wrappers, then `start()`, and take
 * snapshots.
 *
 * @example
 * ```ts
 * const profiler = new Profiler();
 * const heap = profiler.wrap(new ArenaAllocator());
 * profiler.start(5);
 * const p = heap.malloc(100);
 * console.log(profiler.takeSnapshot().statistics('lineno')[0]!.toString());
 * ```
 */
export class Profiler implements TraceRecorder {
  /** @internal True between `start()` and `stop()` (read it with {@link isTracing}). */
  tracing = false;
  /** @internal The reentrancy guard of the traced allocators. */
  busy = false;
  /** @internal The traced allocators' `malloc` countdown (see `Countdown`). */
  readonly countdown = new Countdown();
  /** @internal While busy, the countdown to restore on `leave()`. */
  pending = 0;
  /** The frame source in use. */
  readonly frameSource: FrameSource;
  /** The mean sampling interval in bytes, or 0 when every block is traced. */
  readonly samplingInterval: number;

  private readonly seed: number;
  /** @internal The sampler while tracing in sampling mode, else null. */
  sampler: PoissonSampler | null = null;
  private nframe = 1;
  private current = 0;
  private peak = 0;
  private readonly tracebacks = new TracebackTable();
  private readonly domains = new Map<number, TracedAllocator>();
  private nextDomain = 0;

  constructor(options: ProfilerOptions = {}) {
    this.frameSource = options.frameSource ?? new JsStackFrameSource();
    const runtime = this.frameSource instanceof RuntimeFrameStack;
    this.recordAlloc = runtime ? this.recordAllocRuntime : this.recordAllocAny;
    this.recordExact = runtime ? this.recordExactRuntime : this.recordExactAny;
    const sampling = options.sampling ?? null;
    if (sampling === null) {
      this.samplingInterval = 0;
      this.seed = 0;
    } else {
      const interval = sampling.meanInterval ?? 512 * 1024;
      if (!(Number.isFinite(interval) && interval >= 1)) {
        throw new ConfigurationError(
          `Profiler: sampling.meanInterval must be a number >= 1, got ${interval}`,
        );
      }
      const seed = sampling.seed ?? 1;
      if (!Number.isInteger(seed))
        throw new ConfigurationError(`Profiler: sampling.seed must be an integer, got ${seed}`);
      this.samplingInterval = interval;
      this.seed = seed;
    }
  }

  /**
   * Wraps `allocator` as a new `Allocator` whose blocks this profiler traces, in their own
   * domain. Allocate through the returned allocator; free through it too.
   */
  wrap(allocator: Allocator, options: WrapOptions = {}): TracedAllocator {
    let domain = options.domain;
    if (domain === undefined) {
      while (this.domains.has(this.nextDomain)) this.nextDomain++;
      domain = this.nextDomain;
    }
    if (!(Number.isInteger(domain) && domain >= 0 && domain <= 0xffff)) {
      throw new ConfigurationError(`Profiler.wrap: domain must be an integer in 0..65535, got ${domain}`);
    }
    if (this.domains.has(domain)) {
      throw new ConfigurationError(`Profiler.wrap: domain ${domain} is already used by another allocator`);
    }
    // Sampling keeps few traces: their pages are released as they empty (see TraceTable).
    const table = new TraceTable(this.samplingInterval !== 0);
    const traced = new TracedAllocator(allocator, domain, table, this);
    this.domains.set(domain, traced);
    return traced;
  }

  /**
   * Starts tracing, keeping up to `nframe` frames per traceback (1..65535, else `RangeError`).
   * When already tracing, only the limit changes. Mirrors `tracemalloc.start(nframe=1)`.
   */
  start(nframe = 1): void {
    if (!(Number.isInteger(nframe) && nframe >= 1 && nframe <= MAX_NFRAME)) {
      throw new RangeError(`start: the number of frames must be in range [1; ${MAX_NFRAME}], got ${nframe}`);
    }
    this.nframe = nframe;
    if (this.tracing) return;
    const sampler = this.samplingInterval === 0 ? null : new PoissonSampler(this.samplingInterval, this.seed);
    this.sampler = sampler;
    this.tracing = true;
    this.setCountdown(sampler === null ? Number.NEGATIVE_INFINITY : sampler.nextGap());
    for (const traced of this.domains.values()) traced.retune();
  }

  /**
   * Stops tracing and forgets every trace; the counters go back to 0. Mirrors
   * `tracemalloc.stop()`.
   */
  stop(): void {
    this.tracing = false;
    this.setCountdown(Number.POSITIVE_INFINITY);
    for (const traced of this.domains.values()) traced.retune();
    this.clearTraces();
  }

  /** True between {@link start} and {@link stop}. Mirrors `tracemalloc.is_tracing()`. */
  isTracing(): boolean {
    return this.tracing;
  }

  /**
   * Forgets every trace and resets the traced-memory counters to 0; tracing goes on. Mirrors
   * `tracemalloc.clear_traces()`.
   */
  clearTraces(): void {
    for (const traced of this.domains.values()) traced.table.clear();
    this.tracebacks.reset();
    this.current = 0;
    this.peak = 0;
  }

  /**
   * `[current, peak]`: bytes of the traced blocks now, and the most since tracing started, the
   * last `clearTraces` or `resetPeak`. In sampling mode both are estimates (rounded). Mirrors
   * `tracemalloc.get_traced_memory()`.
   */
  getTracedMemory(): [current: number, peak: number] {
    return [Math.round(this.current), Math.round(this.peak)];
  }

  /** Sets the peak to the current traced memory. Mirrors `tracemalloc.reset_peak()`. */
  resetPeak(): void {
    this.peak = this.current;
  }

  /**
   * Bytes the profiler itself holds for its traces and tracebacks (typed arrays exactly,
   * strings estimated). Mirrors `tracemalloc.get_tracemalloc_memory()`.
   */
  getTracemallocMemory(): number {
    let bytes = this.tracebacks.byteSize();
    for (const traced of this.domains.values()) bytes += traced.table.byteSize();
    return bytes;
  }

  /**
   * The maximum number of frames kept per traceback: the `nframe` of the last `start()` (1
   * before any). Mirrors `tracemalloc.get_traceback_limit()`.
   */
  getTracebackLimit(): number {
    return this.nframe;
  }

  /**
   * The traces of every live traced block, in every domain. Throws {@link NotTracingError} when
   * not tracing. Mirrors `tracemalloc.take_snapshot()`.
   */
  takeSnapshot(): Snapshot {
    if (!this.tracing) throw new NotTracingError('takeSnapshot');
    const build = this.tracebackBuilder();
    const traces: Trace[] = [];
    for (const [domain, traced] of this.domains) {
      traced.table.forEach((_ptr, size, traceback) => {
        traces.push(new Trace(domain, size, build(traceback), this.weightOf(size)));
      });
    }
    return new Snapshot(traces, this.nframe, this.samplingInterval);
  }

  /**
   * Where the block at `ptr` of `domain` was allocated, or null when it is not traced (or the
   * profiler is not tracing). `ptr` may also be a pointer that a layer above maps to its block
   * (an object of an `ObjectSpace` allocating through this domain, GC pre-header or not: see
   * `Allocator.addBlockResolver`). Mirrors `tracemalloc.get_object_traceback(obj)`.
   */
  getObjectTraceback(ptr: Ptr, domain = 0): Traceback | null {
    if (!this.tracing) return null;
    const traced = this.domains.get(domain);
    if (traced === undefined || typeof ptr !== 'number' || ptr >>> 0 !== ptr || ptr === 0) return null;
    const traceback = traced.findTrace(ptr);
    return traceback < 0 ? null : this.tracebackBuilder()(traceback);
  }

  /**
   * @internal Called by a traced allocator after a successful allocation; when sampling, only
   * for an allocation the sampler's countdown reached (the allocator counts the bytes down). An
   * own property: one of two copies of the same code, one for a `RuntimeFrameStack` and one for
   * any other frame source, so that the frame source's `capture` is called from a site with one
   * target (V8 then inlines it) even when profilers with both kinds run in one process.
   */
  recordAlloc: (table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff) => void;

  /** {@link recordAlloc} for a `RuntimeFrameStack`. */
  private recordAllocRuntime(table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff): void {
    this.recordTrace(table, ptr, size, this.frameSource.capture(this.tracebacks, this.nframe, entry));
  }

  /** {@link recordAlloc} for any other frame source (the same code). */
  private recordAllocAny(table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff): void {
    this.recordTrace(table, ptr, size, this.frameSource.capture(this.tracebacks, this.nframe, entry));
  }

  /**
   * @internal {@link recordAlloc} when not sampling, called by `malloc` (another own property
   * with a copy per kind of frame source, as `recordAlloc`): the same work with no sampling
   * branch, so that the traced `malloc` inlines it and the wrapped allocator's fast path within
   * V8's inlining budget.
   */
  recordExact: (table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff) => void;

  /** {@link recordExact} for a `RuntimeFrameStack`. */
  private recordExactRuntime(table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff): void {
    const traceback = this.frameSource.capture(this.tracebacks, this.nframe, entry);
    if (!this.tracing) return; // the frame source stopped the profiler
    // addTrace, written out: one call less on the hot path of a traced ArenaAllocator's malloc.
    const replaced = table.insert(ptr, size, traceback);
    let current = this.current + size;
    if (replaced >= 0) current -= replaced;
    this.current = current;
    if (current > this.peak) this.peak = current;
  }

  /** {@link recordExact} for any other frame source (the same code). */
  private recordExactAny(table: TraceTable, ptr: Ptr, size: number, entry: StackCutoff): void {
    const traceback = this.frameSource.capture(this.tracebacks, this.nframe, entry);
    if (this.tracing) this.addTrace(table, ptr, size, traceback);
  }

  /** Records the trace of a new block with the traceback the frame source gave. */
  private recordTrace(table: TraceTable, ptr: Ptr, size: number, traceback: number): void {
    if (!this.tracing) return; // the frame source stopped the profiler
    if (this.sampler !== null) this.recordSampled(table, ptr, size, traceback);
    else this.addTrace(table, ptr, size, traceback);
  }

  /** Records an exact trace (not sampling): the table's insert and the counters. */
  private addTrace(table: TraceTable, ptr: Ptr, size: number, traceback: number): void {
    // A block freed behind the profiler's back (e.g. while it was busy) loses its old trace.
    const replaced = table.insert(ptr, size, traceback);
    let current = this.current + size;
    if (replaced >= 0) current -= replaced;
    this.current = current;
    if (current > this.peak) this.peak = current;
  }

  /** {@link recordAlloc} when sampling: a weighted trace, and the sampler's next gap. */
  private recordSampled(table: TraceTable, ptr: Ptr, size: number, traceback: number): void {
    this.pending = this.sampler!.nextGap(); // the countdown after leave()
    const replaced = table.insert(ptr, size, traceback);
    if (replaced >= 0) this.current -= replaced * this.weightOf(replaced);
    this.current += size * this.weightOf(size);
    if (this.current > this.peak) this.peak = this.current;
  }

  /** @internal {@link recordFree} when not sampling (`free`'s exact path: less code to inline). */
  recordFreeExact(table: TraceTable, ptr: Ptr): void {
    const size = table.remove(ptr);
    if (size >= 0) this.current -= size;
  }

  /** @internal Called by a traced allocator after a successful free (or a move by realloc). */
  recordFree(table: TraceTable, ptr: Ptr): void {
    const size = table.remove(ptr);
    if (size < 0) return;
    this.current -= this.samplingInterval === 0 ? size : size * this.weightOf(size);
  }

  /** @internal Enters a traced call (see `TraceRecorder.enter`). */
  enter(): void {
    this.busy = true;
    this.pending = this.countdown.remaining;
    this.countdown.remaining = Number.POSITIVE_INFINITY;
  }

  /** @internal Leaves a traced call (see `TraceRecorder.leave`). */
  leave(): void {
    this.busy = false;
    this.countdown.remaining = this.pending;
  }

  /** @internal Starts the countdown again (see `TraceRecorder.resetCountdown`). */
  resetCountdown(): void {
    const sampler = this.sampler;
    if (!this.tracing) this.setCountdown(Number.POSITIVE_INFINITY);
    else this.setCountdown(sampler === null ? Number.NEGATIVE_INFINITY : sampler.nextGap());
  }

  /** Sets the countdown, or the one `leave()` restores when busy. */
  private setCountdown(remaining: number): void {
    if (this.busy) this.pending = remaining;
    else this.countdown.remaining = remaining;
  }

  /**
   * How many blocks a trace of `size` bytes stands for: 1 when every block is traced, else
   * `1 / P(sampled)` as a float32 (a function of the size alone, so the table need not store it).
   */
  private weightOf(size: number): number {
    const interval = this.samplingInterval;
    return interval === 0 ? 1 : Math.fround(1 / -Math.expm1(-size / interval));
  }

  /** Turns traceback ids into {@link Traceback}s, sharing equal ones and their frames. */
  private tracebackBuilder(): (id: number) => Traceback {
    const table = this.tracebacks;
    const tracebacks = new Map<number, Traceback>();
    const frames = new Map<number, Frame>();
    return (id) => {
      let traceback = tracebacks.get(id);
      if (traceback === undefined) {
        const n = table.tracebackLength(id);
        const list: Frame[] = [];
        for (let i = n - 1; i >= 0; i--) {
          const frameId = table.tracebackFrame(id, i);
          let frame = frames.get(frameId);
          if (frame === undefined) {
            const func = table.frameFunctionId(frameId);
            frame = new Frame(
              table.fileName(table.frameFileId(frameId)),
              table.frameLineNo(frameId),
              func < 0 ? undefined : table.functionName(func),
            );
            frames.set(frameId, frame);
          }
          list.push(frame);
        }
        const total = table.tracebackTotal(id);
        traceback = new Traceback(list, total === UNKNOWN_TOTAL ? undefined : total);
        tracebacks.set(id, traceback);
      }
      return traceback;
    };
  }
}
