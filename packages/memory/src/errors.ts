import { formatPtr } from './ptr.js';

/** Base class of every error heapkit throws on purpose. */
export class HeapkitError extends Error {
  override name = 'HeapkitError';
}

/**
 * A pointer that is not a live block of this allocator: out of range, misaligned, inside a
 * block, or never allocated. The heap is untouched when this is thrown.
 */
export class InvalidPointerError extends HeapkitError {
  override name = 'InvalidPointerError';
  /** The offending pointer, as it was passed. */
  readonly ptr: unknown;
  /** What was wrong with it, in words. */
  readonly reason: string;

  constructor(ptr: unknown, reason: string, operation = 'free') {
    super(`${operation}(${formatPtr(ptr)}): invalid pointer: ${reason}`);
    this.ptr = ptr;
    this.reason = reason;
  }

  /** The error for a value that is not a pointer at all (a BigInt, a string, NaN, 1.5, -16...). */
  static notAPointer(value: unknown, operation: string): InvalidPointerError {
    return new InvalidPointerError(
      value,
      'not a pointer: an integer from 0 to 2^32-1 was expected',
      operation,
    );
  }
}

/**
 * The pointer was the start of a block that has since been freed (and no block starts there
 * now): a double free or a use after free. A subclass of {@link InvalidPointerError}.
 */
export class DoubleFreeError extends InvalidPointerError {
  override name = 'DoubleFreeError';

  constructor(ptr: unknown, operation = 'free') {
    super(ptr, 'the block was already freed (double free or use after free)', operation);
  }
}

/**
 * A check found damaged allocator metadata or overwritten guard bytes. `ptr` names the block
 * (or metadata address) where the damage was found.
 */
export class HeapCorruptionError extends HeapkitError {
  override name = 'HeapCorruptionError';
  readonly ptr: number;

  constructor(ptr: number, detail: string) {
    super(`heap corruption at ${formatPtr(ptr)}: ${detail}`);
    this.ptr = ptr;
  }
}

/**
 * Memory is exhausted and cannot grow. Allocators return `0` instead of throwing; the layers
 * above `malloc` (object spaces, interpreters) throw this, as CPython raises `MemoryError`.
 */
export class MemoryError extends HeapkitError {
  override name = 'MemoryError';
  /** Bytes that were requested when memory ran out. */
  readonly requested: number;

  constructor(requested: number, detail = 'memory exhausted') {
    super(`cannot allocate ${requested} bytes: ${detail}`);
    this.requested = requested;
  }
}

/** A size or count that is not a non-negative safe integer. Nothing was allocated. */
export class InvalidSizeError extends HeapkitError {
  override name = 'InvalidSizeError';
  readonly size: unknown;

  constructor(size: unknown, operation = 'malloc') {
    super(`${operation}: size must be a non-negative integer, got ${String(size)}`);
    this.size = size;
  }
}

/** An option passed to a constructor is out of range or inconsistent with another. */
export class ConfigurationError extends HeapkitError {
  override name = 'ConfigurationError';
}
