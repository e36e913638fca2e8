/** The types the `gc` module's API hands to user code: `gc.callbacks` and `gc.get_stats()`. */

/** `'start'` before a collection, `'stop'` after it (`gc.callbacks`). */
export type CollectionPhase = 'start' | 'stop';

/** What `gc.callbacks` are told. */
export interface CollectionInfo {
  /** The oldest generation collected. */
  readonly generation: number;
  /** Objects found unreachable and freed (0 at `'start'`). */
  readonly collected: number;
  /** Objects found unreachable but uncollectable, put in `garbage` (0 at `'start'`). */
  readonly uncollectable: number;
  /** Objects examined: every tracked object of the collected generations (0 at `'start'`). */
  readonly candidates: number;
  /**
   * Milliseconds the collection took (0 at `'start'`, and at `'stop'` for a callback that user
   * code added during the collection: a collection that began without callbacks or `DEBUG_STATS`
   * is not timed).
   */
  readonly duration: number;
}

/** A function in {@link CycleCollector.callbacks}. */
export type CollectionCallback = (phase: CollectionPhase, info: CollectionInfo) => void;

/** One generation's totals, as `gc.get_stats()` reports them. */
export interface GenerationStats {
  collections: number;
  collected: number;
  uncollectable: number;
}
