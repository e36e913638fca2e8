/**
 * The profiler's error classes. Each is a {@link HeapkitError} (from `@heapkit/memory`) so one
 * `instanceof HeapkitError` catches every error heapkit throws on purpose. An `nframe` out of
 * range is a plain `RangeError`, as the issue and CPython's `ValueError` ask.
 */
import { HeapkitError } from '@heapkit/memory';

/**
 * An operation that needs tracing was called while the profiler is not tracing; mirrors the
 * `RuntimeError` of CPython's `tracemalloc.take_snapshot()`.
 */
export class NotTracingError extends HeapkitError {
  override name = 'NotTracingError';

  constructor(operation: string) {
    super(`${operation}: the profiler must be tracing memory allocations (call start() first)`);
  }
}

/**
 * A dumped snapshot that cannot be read: truncated, corrupted, of another format version, or not
 * a snapshot at all. `source` names the file (or `<bytes>` for an in-memory buffer).
 */
export class SnapshotFormatError extends HeapkitError {
  override name = 'SnapshotFormatError';
  /** The file (or `<bytes>`) that could not be read. */
  readonly source: string;
  /** What is wrong with it, in words. */
  readonly reason: string;

  constructor(source: string, reason: string) {
    super(`${source}: not a readable heapkit snapshot: ${reason}`);
    this.source = source;
    this.reason = reason;
  }
}

/**
 * A {@link Filter} or {@link DomainFilter} built from bad arguments (a pattern that is not a
 * string, a line number that is not a non-negative integer...), or a filter list that is not a
 * list of filters; mirrors the `TypeError`/`ValueError` CPython raises.
 */
export class InvalidFilterError extends HeapkitError {
  override name = 'InvalidFilterError';
}

/** A report or statistics option with a bad value (an unknown key type, say). */
export class InvalidArgumentError extends HeapkitError {
  override name = 'InvalidArgumentError';
}
