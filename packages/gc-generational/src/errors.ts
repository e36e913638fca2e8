/** The errors of the collector's API. Each is thrown before anything changes. */
import { formatPtr, HeapkitError } from '@heapkit/memory';

/** A generation that is not 0, 1 or 2 (`gc.collect(3)` raises `ValueError`). */
export class InvalidGenerationError extends HeapkitError {
  override name = 'InvalidGenerationError';
  readonly generation: unknown;

  constructor(generation: unknown, operation: string) {
    super(`${operation}: invalid generation ${String(generation)} (must be 0, 1 or 2)`);
    this.generation = generation;
  }
}

/** A collector setting out of range: a threshold or a debug flag set. */
export class InvalidSettingError extends HeapkitError {
  override name = 'InvalidSettingError';
}

/** `track` of an object whose type has no GC pre-header (not registered with `gc: true`). */
export class NotTrackableError extends HeapkitError {
  override name = 'NotTrackableError';
  readonly ptr: number;

  constructor(ptr: number, typeName: string, operation: string) {
    super(
      `${operation}(${formatPtr(ptr)} (${typeName})): the type has no GC pre-header (register it with gc: true)`,
    );
    this.ptr = ptr;
  }
}
