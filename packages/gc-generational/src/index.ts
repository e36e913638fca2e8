/**
 * @heapkit/gc-generational — CPython's generational cycle collector over `@heapkit/refcount`
 * objects, with the whole `gc` module API in camelCase.
 * @packageDocumentation
 */
export {
  type AutomaticMode,
  type CollectionCallback,
  type CollectionInfo,
  type CollectionPhase,
  CycleCollector,
  type CycleCollectorOptions,
  GENERATIONS,
  type GenerationStats,
} from './cycle-collector.js';
export {
  DEBUG_COLLECTABLE,
  DEBUG_LEAK,
  DEBUG_SAVEALL,
  DEBUG_STATS,
  DEBUG_UNCOLLECTABLE,
} from './debug-flags.js';
export { InvalidGenerationError, InvalidSettingError, NotTrackableError } from './errors.js';
