/**
 * The shape of a run's results: what the runner returns, the table prints and the JSON file
 * holds. Times are nanoseconds per operation; bump `RESULTS_SCHEMA_VERSION` on any change that
 * breaks a reader.
 */
import type { Environment } from './environment.js';
import type { Mode, ModeName } from './modes.js';
import type { MemoryReport, SkippedCase } from './suite.js';

export const RESULTS_SCHEMA_VERSION = 1;

/**
 * One case's timing, over all its samples from every measured round. With several forks, the
 * medians of the forks' figures (see `combineForks` in `forks.ts`).
 */
export interface CaseResult {
  readonly name: string;
  readonly description: string;
  /** Timed calls merged from all rounds. */
  readonly samples: number;
  /** Operations measured in total (`samples × opsPerCall`). */
  readonly totalOps: number;
  /** Median time per operation, ns. */
  readonly medianNs: number;
  readonly p75Ns: number;
  readonly p99Ns: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly meanNs: number;
  /** Operations per second at the median: `1e9 / medianNs`. */
  readonly opsPerSec: number;
  /** Each fork's median time per operation, ns, in fork order (one value in a one-process run). */
  readonly perForkMedianNs: readonly number[];
}

/** The subject's throughput ratio to one peer. */
export interface RatioResult {
  readonly peer: string;
  /** subject ops/s ÷ peer ops/s (above 1: the subject is faster). */
  readonly ratio: number;
  /** The target minimum ratio, or null when there is none. */
  readonly target: number | null;
  /** Whether the target is met, or null when there is none. */
  readonly met: boolean | null;
  /** Each fork's ratio, in fork order (one value in a one-process run); `ratio` is their median. */
  readonly perFork: readonly number[];
}

/** A case's median time per operation divided by its baseline's (see `Suite.slowdowns`). */
export interface SlowdownResult {
  readonly case: string;
  readonly baseline: string;
  /** case median ns/op ÷ baseline median ns/op (above 1: the case is slower). */
  readonly ratio: number;
  /** The target maximum ratio, or null when there is none. */
  readonly maxRatio: number | null;
  /** Whether the target is met, or null when there is none. */
  readonly met: boolean | null;
  /** Each fork's ratio, in fork order (one value in a one-process run); `ratio` is their median. */
  readonly perFork: readonly number[];
}

export interface SuiteResult {
  readonly name: string;
  readonly description: string;
  readonly opName: string;
  readonly subject: string;
  readonly opsPerCall: number;
  /** Processes the suite was measured in (see `forks.ts`); 1 for a one-process run. */
  readonly forks: number;
  /** Wall-clock time of the whole suite (setup, warm-up, rounds, memory; every fork), ms. */
  readonly durationMs: number;
  /** The measured cases: the subject first, then the peers. */
  readonly cases: readonly CaseResult[];
  /** Peers that could not be measured on this machine (e.g. no `python3`), with the reason. */
  readonly skipped: readonly SkippedCase[];
  /** The subject's ratio to every measured peer (none when the suite sets `subjectRatios: false`). */
  readonly ratios: readonly RatioResult[];
  /**
   * The suite's slowdowns whose case and baseline were both measured (empty when it declares
   * none; a skipped case's row says why its slowdown is missing).
   */
  readonly slowdowns: readonly SlowdownResult[];
  readonly memory: MemoryReport | null;
  /** The suite's own lines under its table (see `CaseSet.details`); empty when it has none. */
  readonly details: readonly string[];
}

export interface RunResult {
  readonly schemaVersion: number;
  /** ISO 8601 start time of the run. */
  readonly date: string;
  readonly mode: ModeName;
  readonly seed: number;
  readonly settings: Mode;
  readonly environment: Environment;
  readonly suites: readonly SuiteResult[];
}
