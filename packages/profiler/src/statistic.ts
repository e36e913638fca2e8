/**
 * {@link Statistic} and {@link StatisticDiff}, and the orders tracemalloc sorts them in.
 */
import { formatSize } from './format-size.js';
import { compareTracebacks, type Traceback } from './frame.js';

/**
 * Memory allocated at one place (a file, a line or a whole traceback): total `size` in bytes
 * and `count` of blocks. Mirrors `tracemalloc.Statistic`. In sampling mode both are unbiased
 * estimates, rounded to integers.
 */
export class Statistic {
  /** The place: a one-frame traceback for `'filename'` (line 0) and `'lineno'`, else the whole one. */
  readonly traceback: Traceback;
  /** Total bytes (`size`). */
  readonly size: number;
  /** Number of blocks (`count`). */
  readonly count: number;

  constructor(traceback: Traceback, size: number, count: number) {
    this.traceback = traceback;
    this.size = size;
    this.count = count;
  }

  /** `a.js:2: size=30 B, count=3, average=10 B`, as `str(statistic)`. */
  toString(): string {
    let text = `${this.traceback}: size=${formatSize(this.size)}, count=${this.count}`;
    if (this.count) text += `, average=${formatSize(this.size / this.count)}`;
    return text;
  }
}

/**
 * The difference at one place between an old and a new snapshot. Mirrors
 * `tracemalloc.StatisticDiff`: `size`/`count` are the new values, `sizeDiff`/`countDiff` the
 * change (`size_diff`, `count_diff`).
 */
export class StatisticDiff {
  readonly traceback: Traceback;
  readonly size: number;
  readonly sizeDiff: number;
  readonly count: number;
  readonly countDiff: number;

  constructor(traceback: Traceback, size: number, sizeDiff: number, count: number, countDiff: number) {
    this.traceback = traceback;
    this.size = size;
    this.sizeDiff = sizeDiff;
    this.count = count;
    this.countDiff = countDiff;
  }

  /** `a.js:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B`, as `str(diff)`. */
  toString(): string {
    const countDiff = this.countDiff >= 0 ? `+${this.countDiff}` : String(this.countDiff);
    let text =
      `${this.traceback}: size=${formatSize(this.size)} (${formatSize(this.sizeDiff, true)}), ` +
      `count=${this.count} (${countDiff})`;
    if (this.count) text += `, average=${formatSize(this.size / this.count)}`;
    return text;
  }
}

/** tracemalloc's order: by (size, count, traceback), largest first. */
export function compareStatistics(a: Statistic, b: Statistic): number {
  return b.size - a.size || b.count - a.count || compareTracebacks(b.traceback, a.traceback);
}

/** tracemalloc's order: by (|size_diff|, size, |count_diff|, count, traceback), largest first. */
export function compareStatisticDiffs(a: StatisticDiff, b: StatisticDiff): number {
  return (
    Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
    b.size - a.size ||
    Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
    b.count - a.count ||
    compareTracebacks(b.traceback, a.traceback)
  );
}
