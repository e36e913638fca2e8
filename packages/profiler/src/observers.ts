/**
 * The observers a {@link TracedAllocator} hands to an allocator that offers
 * `Allocator.observe` (ArenaAllocator): the allocator calls them from inside its own `malloc`
 * and `free`, once the block is chosen, so a traced `malloc` is the user's call, the
 * allocator's fast path and the trace record, with no wrapper between them, no reentrancy
 * guard around the allocator's work and no try/finally on the hot path (see
 * `traced-allocator.ts` for what that costs and saves).
 *
 * One class per mode (every block traced, sampling). Every block traced with a plain
 * `RuntimeFrameStack` needs no observer: the traced allocator calls the wrapped `malloc` and then
 * records, with no guard (see `TracedAllocator.mallocUnguarded`). Both skip a block reported
 * while the profiler is busy: a traced call of the same profiler around the allocator's (a traced `calloc`, `realloc`, a traced allocator
 * wrapping this one, a frame source that allocates) records it itself, once.
 */
import type { AllocationObserver, Ptr } from '@heapkit/memory';
import type { StackCutoff } from './frame-source.js';
import type { TraceTable } from './trace-table.js';
import type { Countdown, TraceRecorder } from './traced-allocator.js';

/**
 * Every block traced, frames from any source but a plain `RuntimeFrameStack` (the JS stack, a
 * runtime's own source),
 * which may allocate or throw: the reentrancy guard around the capture and the record.
 */
export class ExactObserver implements AllocationObserver {
  constructor(
    private readonly recorder: TraceRecorder,
    private readonly table: TraceTable,
    private readonly entry: StackCutoff,
  ) {}

  allocated(ptr: Ptr, size: number): void {
    const recorder = this.recorder;
    if (recorder.busy) return;
    recorder.enter();
    try {
      recorder.recordExact(this.table, ptr, size, this.entry);
    } finally {
      recorder.leave();
    }
  }

  freed(ptr: Ptr): void {
    this.recorder.recordFreeExact(this.table, ptr);
  }
}

/**
 * Sampling: a `malloc` costs one subtraction and compare on the profiler's byte countdown
 * (+Infinity while busy: nothing is counted twice), a `free` one directory load
 * (`TraceTable.mayHold`); the rare sample and forget are out of line.
 */
export class SampledObserver implements AllocationObserver {
  constructor(
    private readonly recorder: TraceRecorder,
    private readonly table: TraceTable,
    private readonly countdown: Countdown,
    private readonly entry: StackCutoff,
  ) {}

  allocated(ptr: Ptr, size: number): void {
    const countdown = this.countdown;
    const remaining = countdown.remaining - size;
    countdown.remaining = remaining;
    if (remaining > 0) return;
    this.sample(ptr, size); // a NaN countdown too: it starts again there
  }

  freed(ptr: Ptr): void {
    if (this.table.mayHold(ptr)) this.forget(ptr);
  }

  /**
   * At a sample point: the record, inside the guard (the JS stack's capture may allocate). Past
   * a NaN size (the countdown is NaN) or a `stop()` inside a traced call, the countdown starts
   * again instead.
   */
  private sample(ptr: Ptr, size: number): void {
    const recorder = this.recorder;
    if (!recorder.tracing || recorder.busy || !(this.countdown.remaining <= 0)) {
      if (!recorder.busy) recorder.resetCountdown();
      return;
    }
    recorder.enter();
    try {
      recorder.recordAlloc(this.table, ptr, size, this.entry);
    } finally {
      recorder.leave();
    }
  }

  /** Forgets the trace of `ptr`, if it has one. */
  private forget(ptr: Ptr): void {
    this.recorder.recordFree(this.table, ptr);
  }
}
