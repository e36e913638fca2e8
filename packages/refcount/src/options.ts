/**
 * The options of an object space, checked once at construction.
 */
import { ConfigurationError, type Memory } from '@heapkit/memory';
import { DEFAULT_FREE_LIST_BYTES } from './free-lists.js';
import type { UnraisableHook } from './unraisable.js';

/** Options of an {@link ObjectSpace}. */
export interface ObjectSpaceOptions {
  /**
   * Adds the checks that cost more (like `PYTHONMALLOC=debug` for objects): the header of every
   * object an operation touches is checked, a freed object's header and payload are poisoned
   * (0xDD) and its type remembered so a later use names it, and `getRef` checks that the slot
   * holds a live object. Default false.
   */
  readonly debug?: boolean;
  /** Receives errors thrown by finalizers and weakref callbacks. Default: `defaultUnraisableHook`. */
  readonly onUnraisable?: UnraisableHook;
  /**
   * Bytes of freed object blocks (up to 512 B each) kept for reuse instead of going back to the
   * allocator, as CPython's per-type free lists do; {@link ObjectSpace.clearFreeLists} gives
   * them back. Default 4 MiB (at most 1/8 of the memory's maximum); 0 turns them off. Always 0
   * in debug mode, so that the allocator's own debug checks see every free.
   */
  readonly freeListBytes?: number;
}

const OPTION_KEYS = new Set(['debug', 'onUnraisable', 'freeListBytes']);

/** The options with their defaults, after checking each. */
export interface CheckedOptions {
  readonly debug: boolean;
  readonly onUnraisable: UnraisableHook | undefined;
  readonly freeListBytes: number;
}

/** Checks `options` (unknown keys and wrong types are a `ConfigurationError`) and applies the defaults. */
export function checkOptions(options: unknown, memory: Memory): CheckedOptions {
  if (options === null || typeof options !== 'object' || 'memory' in options) {
    throw new ConfigurationError(
      'ObjectSpace: options must be an object { debug, onUnraisable, freeListBytes }',
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key))
      throw new ConfigurationError(`ObjectSpace: unknown option ${JSON.stringify(key)}`);
  }
  const o = options as ObjectSpaceOptions;
  if (o.debug !== undefined && typeof o.debug !== 'boolean') {
    throw new ConfigurationError(`ObjectSpace: debug must be true or false, got ${String(o.debug)}`);
  }
  if (o.onUnraisable !== undefined && typeof o.onUnraisable !== 'function') {
    throw new ConfigurationError('ObjectSpace: onUnraisable must be a function');
  }
  const freeListBytes = o.freeListBytes ?? Math.min(DEFAULT_FREE_LIST_BYTES, Math.floor(memory.maxBytes / 8));
  if (typeof freeListBytes !== 'number' || !Number.isSafeInteger(freeListBytes) || freeListBytes < 0) {
    throw new ConfigurationError(
      `ObjectSpace: freeListBytes must be a non-negative integer, got ${String(freeListBytes)}`,
    );
  }
  return { debug: o.debug ?? false, onUnraisable: o.onUnraisable, freeListBytes };
}
