/**
 * The observers a {@link TracedAllocator} hands to an allocator that offers
 * `Allocator.observe` (ArenaAllocator): the allocator calls them from inside its own `malloc`
 * and `free`, once the block is chosen, so a traced `malloc` is the user's call, the
 * allocator's fast path and the trace record, with no wrapper between them, no reentrancy
 * guard around the allocator's work and no try/finally on the hot path (see
 * `traced-allocator.ts` for what that costs and saves).
 *
 * One class: every block traced, frames from a source that may allocate or throw (the JS stack,
 * a runtime's own source). Every block traced with a plain `RuntimeFrameStack` needs no
 * observer: the traced allocator calls the wrapped `malloc` and then records, with no guard (see
 * `TracedAllocator.mallocUnguarded`). Sampling keeps the traced allocator's own path (its
 * countdown in front of the wrapped `malloc`): through an observer it measured slower in the
 * bench (full run 1.66x untraced against 1.41x before; the observer's call site sees every
 * mode's observer when several modes run in one process). The observer skips a block reported
 * while the profiler is busy: a traced call of the same profiler around the allocator's (a traced
 * `calloc`, `realloc`, a traced allocator wrapping this one, a frame source that allocates)
 * records it itself, once.
 */
import type { AllocationObserver, Ptr } from '@heapkit/memory';
import type { StackCutoff } from './frame-source.js';
import type { TraceTable } from './trace-table.js';
import type { TraceRecorder } from './traced-allocator.js';

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
