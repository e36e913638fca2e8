/**
 * @heapkit/memory — the shared memory every heapkit package works in: {@link Memory}, the
 * {@link Ptr} type, the {@link Allocator} interface and the error classes.
 * @packageDocumentation
 */
export type { AllocationObserver, Allocator, ObservedAllocator } from './allocator.js';
export { checkBoolean, checkInteger, checkOptions, describeValue } from './arguments.js';
export {
  ConfigurationError,
  DoubleFreeError,
  HeapCorruptionError,
  HeapkitError,
  InvalidPointerError,
  InvalidSizeError,
  MemoryError,
} from './errors.js';
export {
  DEFAULT_INITIAL_BYTES,
  type GrowListener,
  Memory,
  type MemoryBacking,
  type MemoryOptions,
  PAGE_BYTES,
} from './memory.js';
export { alignUp, formatPtr, isPtr, MAX_MEMORY_BYTES, NULL, type Ptr } from './ptr.js';
export {
  describeRegion,
  REGION_HEADER_BYTES,
  REGION_MAGIC,
  REGION_VERSION,
  type Region,
  type RegionHeader,
} from './regions.js';
