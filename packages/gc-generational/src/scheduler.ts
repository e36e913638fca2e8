/**
 * When automatic collections run, and which generation (CPython's `gc_collect_generations` and
 * the counts behind `gc.get_count()`): every tracked allocation adds one to count 0 and every
 * deallocation takes one off; a collection of generation g resets the counts up to g and adds
 * one to count g + 1. A full collection waits until the objects promoted to the oldest generation
 * since the last one are more than a quarter of those it held then (the long-lived heuristic).
 */
import { GENERATIONS } from './settings.js';

export class Scheduler {
  /**
   * Count 0 of `gc.get_count()`: tracked allocations minus deallocations since the last
   * collection. A field of its own (not an array element): every tracked allocation and
   * deallocation updates it.
   */
  young = 0;
  /** Counts 1 and 2 of `gc.get_count()`: collections of the generation below since this one's last. */
  private readonly older = [0, 0];
  /** The thresholds; `limits[0]` is also {@link youngThreshold}, so only {@link setThresholds} writes them. */
  private limits: readonly [number, number, number];
  /** Threshold 0, read by every tracked allocation (a field: no array load on that path). */
  private youngThreshold: number;
  /** `gc.isenabled()`. */
  enabled = true;
  /** A collection is running (its callbacks included): nested and automatic ones return 0. */
  collecting = false;
  /** In safe-point mode: an allocation passed the threshold since the last safe point. */
  due = false;
  /** Objects in the oldest generation after the last full collection. */
  private longLivedTotal = 0;
  /** Objects promoted into the oldest generation since then. */
  private longLivedPending = 0;

  constructor(
    thresholds: [number, number, number],
    /** See `CycleCollectorOptions.scaleYoungThreshold`. */
    private readonly scaleYoung: boolean,
  ) {
    this.limits = thresholds;
    this.youngThreshold = thresholds[0];
  }

  /** `gc.get_threshold()`. */
  get thresholds(): readonly [number, number, number] {
    return this.limits;
  }

  /** Sets the three thresholds (already checked; the caller gives up the array). */
  setThresholds(thresholds: readonly [number, number, number]): void {
    this.limits = thresholds;
    this.youngThreshold = thresholds[0];
  }

  /** Count `g` of `gc.get_count()`. */
  private count(g: number): number {
    return g === 0 ? this.young : this.older[g - 1]!;
  }

  /** `gc.get_count()`. */
  counts(): [number, number, number] {
    return [this.count(0), this.count(1), this.count(2)];
  }

  /**
   * A tracked allocation. True when an automatic collection should run now: count 0 passed
   * threshold 0 (non-zero), collection is enabled and none is running.
   */
  allocated(): boolean {
    const count = ++this.young;
    const threshold = this.youngThreshold;
    if (count <= threshold || threshold === 0 || !this.enabled || this.collecting) return false;
    // With `scaleYoungThreshold`, the young threshold scales with the live heap: at least a
    // quarter of what the last full collection kept must have accumulated (`gc_should_collect`
    // of CPython 3.13+'s free-threaded build, which avoids quadratic behaviour while a large
    // structure is built). As in CPython, threshold 1 = 0 asks for the unscaled schedule.
    return !this.scaleYoung || count > this.longLivedTotal / 4 || this.limits[1] === 0;
  }

  /** A tracked object was freed. */
  freed(): void {
    if (this.young > 0) this.young--;
  }

  /** `n` tracked objects were freed at once (a collection's bulk path). */
  freedMany(n: number): void {
    this.young = Math.max(this.young - n, 0);
  }

  /** The generation an automatic collection should collect, or -1 for none. */
  chooseGeneration(): number {
    const thresholds = this.limits;
    for (let g = GENERATIONS - 1; g >= 0; g--) {
      if (this.count(g) > thresholds[g]!) {
        if (g === GENERATIONS - 1 && this.longLivedPending < this.longLivedTotal / 4) continue;
        return g;
      }
    }
    return -1;
  }

  /** A collection of `generation` starts: the counts move on. */
  started(generation: number): void {
    // older[g - 1] is count g.
    if (generation + 1 < GENERATIONS) this.older[generation]!++;
    this.young = 0;
    for (let g = 1; g <= generation; g++) this.older[g - 1] = 0;
  }

  /** A collection of `generation` examined `candidates` objects and `survivors` stayed. */
  survived(generation: number, survivors: number): void {
    if (generation === GENERATIONS - 2) this.longLivedPending += survivors;
    else if (generation === GENERATIONS - 1) {
      this.longLivedPending = 0;
      this.longLivedTotal = survivors;
    }
  }
}
