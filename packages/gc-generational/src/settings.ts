/**
 * The collector's settings and the checks of every argument that sets one: options, generations,
 * thresholds, debug flags. Each check throws a typed error before anything changes.
 */
import { DEBUG_ALL } from './debug-flags.js';
import { InvalidGenerationError, InvalidSettingError } from './errors.js';

/** Number of generations (CPython's `NUM_GENERATIONS`). */
export const GENERATIONS = 3;

/** `gc.get_threshold()` of CPython 3.13: (2000, 10, 10). */
export const DEFAULT_THRESHOLDS: readonly [number, number, number] = [2000, 10, 10];

/** When automatic collections run. */
export type AutomaticMode = 'allocation' | 'safepoint';

/** Options of a `CycleCollector`. */
export interface CycleCollectorOptions {
  /**
   * When automatic collections run once tracked allocations minus deallocations pass threshold
   * 0: `'allocation'` (default) inside the allocation that crossed it, as CPython up to 3.11;
   * `'safepoint'` only when the runtime calls `safePoint()` (CPython's eval breaker since 3.12),
   * so that no collection ever runs in the middle of the runtime's own operations.
   */
  readonly automatic?: AutomaticMode;
  /** Initial thresholds; default `[2000, 10, 10]` (`gc.get_threshold()` of CPython 3.13). */
  readonly thresholds?: readonly [number, number, number];
  /** Where `DEBUG_STATS` and the other debug flags print, a line at a time. Default: stderr. */
  readonly debugSink?: (line: string) => void;
  /**
   * Scale the young threshold with the live heap: an automatic collection also waits until the
   * count passes a quarter of the objects the last full collection kept (CPython 3.13+'s
   * free-threaded build, `gc_should_collect`). A program that builds large structures then does
   * a few collections instead of one per `threshold0` allocations. Default false: CPython
   * 3.13's default build, a collection whenever the count passes `threshold0`.
   */
  readonly scaleYoungThreshold?: boolean;
}

const OPTION_KEYS = new Set(['automatic', 'thresholds', 'debugSink', 'scaleYoungThreshold']);

/** Checks the constructor's options; returns them complete. */
export function checkOptions(options: unknown): {
  automatic: AutomaticMode;
  thresholds: [number, number, number];
  debugSink: ((line: string) => void) | undefined;
  scaleYoungThreshold: boolean;
} {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidSettingError(
      'CycleCollector: options must be an object (automatic, thresholds, debugSink)',
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidSettingError(
        `CycleCollector: unknown option '${key}' (pass automatic, thresholds, debugSink or scaleYoungThreshold)`,
      );
    }
  }
  const o = options as CycleCollectorOptions;
  const automatic = o.automatic ?? 'allocation';
  if (automatic !== 'allocation' && automatic !== 'safepoint') {
    throw new InvalidSettingError(
      `CycleCollector: automatic must be 'allocation' or 'safepoint', got ${String(automatic)}`,
    );
  }
  const thresholds = o.thresholds ?? DEFAULT_THRESHOLDS;
  checkThresholds(thresholds, 'CycleCollector');
  if (o.debugSink !== undefined && typeof o.debugSink !== 'function') {
    throw new InvalidSettingError('CycleCollector: debugSink must be a function (line: string) => void');
  }
  const scaleYoungThreshold = o.scaleYoungThreshold ?? false;
  if (typeof scaleYoungThreshold !== 'boolean') {
    throw new InvalidSettingError(
      `CycleCollector: scaleYoungThreshold must be true or false, got ${String(scaleYoungThreshold)}`,
    );
  }
  const copy: [number, number, number] = [thresholds[0], thresholds[1], thresholds[2]];
  return { automatic, thresholds: copy, debugSink: o.debugSink, scaleYoungThreshold };
}

/** A generation argument: 0, 1 or 2. */
export function checkGeneration(generation: unknown, operation: string): void {
  if (generation !== 0 && generation !== 1 && generation !== 2)
    throw new InvalidGenerationError(generation, operation);
}

/** Three non-negative safe integers. */
export function checkThresholds(values: unknown, operation: string): void {
  if (!Array.isArray(values) || values.length !== GENERATIONS) {
    throw new InvalidSettingError(`${operation}: thresholds must be 3 non-negative integers`);
  }
  for (const value of values) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidSettingError(
        `${operation}: a threshold must be a non-negative integer, got ${String(value)}`,
      );
    }
  }
}

/** A combination of the `DEBUG_*` flags. */
export function checkDebugFlags(flags: unknown): asserts flags is number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || (flags & ~DEBUG_ALL) !== 0) {
    throw new InvalidSettingError(`setDebug: unknown debug flags ${String(flags)}`);
  }
}
