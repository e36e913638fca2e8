/**
 * What a benchmark suite is. A suite file in `src/suites/` exports one {@link Suite} object and
 * is listed in `src/suites/index.ts`; the runner, the table and the JSON take it from there.
 */
import type { ModeName } from './modes.js';

/** What a suite is given when it builds its cases. */
export interface SuiteContext {
  /** The run's mode: suites size their problem with `byMode(ctx.mode, {...})`. */
  readonly mode: ModeName;
  /** The run's seed. Derive each input stream's seed with `deriveSeed(ctx.seed, 'label')`. */
  readonly seed: number;
  /** The environment (e.g. `HEAPKIT_BENCH_PYTHON` for the CPython peers). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One contender of a suite: heapkit or a peer. */
export interface BenchCase {
  /** Short name, unique in the suite: the table's row and the JSON's key. */
  readonly name: string;
  /** One line: what this case does per operation. */
  readonly description: string;
  /**
   * One timed call: performs exactly `CaseSet.opsPerCall` operations and keeps its state
   * between calls. Write it as a loop over typed arrays prepared beforehand: no per-call
   * closures or allocation besides what it measures, and its own code (do not share one loop
   * between cases through a factory: V8 would see one polymorphic call site for all of them).
   */
  readonly run: () => void;
  /**
   * Optional, untimed: runs before every call of `run` (warm-up and measured), e.g. to rebuild
   * what the previous call used up (the garbage a collection freed). Only the calls of `run`
   * count against a round's time budget, so a case with a costly setup makes its rounds take
   * longer than `roundMs` of wall-clock time. (tinybench's `beforeEach`.)
   */
  readonly setup?: () => void;
}

/**
 * A peer that runs in another process (CPython, say), measured in the same rounds as the
 * in-process cases: in its turn of each round the runner asks it for one round and waits. The
 * process times its own calls. See `src/peers/external-process.ts` for the implementation that
 * speaks the line protocol, and `src/peers/python.ts` for CPython peers.
 */
export interface ExternalCase {
  /** Short name, unique in the suite (as {@link BenchCase.name}). */
  readonly name: string;
  /** One line: what this case does per operation. */
  readonly description: string;
  /**
   * Starts the peer with its inputs, untimed. Rejects with {@link PeerUnavailableError} when
   * the peer cannot run here (its row then says `skipped: <message>`); any other rejection
   * fails the run.
   */
  start(): Promise<ExternalSession>;
}

/** A started external peer, holding its state from warm-up through all rounds. */
export interface ExternalSession {
  /** The case's description, completed with what the peer reported (e.g. its version). */
  readonly description: string;
  /** Runs calls for about `ms` (at least one), discarding the times. */
  warmup(ms: number): Promise<void>;
  /** Runs calls for about `ms` (at least `minSamples`); resolves to each call's time in ns. */
  round(ms: number, minSamples: number): Promise<readonly number[]>;
  /** Ends the peer; never rejects. */
  close(): Promise<void>;
}

/** A peer that cannot run on this machine (not installed, failed): reported, not fatal. */
export class PeerUnavailableError extends Error {
  override readonly name = 'PeerUnavailableError';
}

/** The cases of one suite run, built fresh for every run by {@link Suite.createCases}. */
export interface CaseSet {
  /** Operations one call of `run` performs, the same for every case. */
  readonly opsPerCall: number;
  /** The subject first, then its in-process peers. */
  readonly cases: readonly BenchCase[];
  /** Peers in other processes, doing the same `opsPerCall` operations per call; their rows come last. */
  readonly external?: readonly ExternalCase[];
  /** Peers known to be unavailable when the cases were built, with the reason. */
  readonly unavailable?: readonly SkippedCase[];
  /** Called once after the measured rounds: check invariants, drop big buffers. */
  readonly teardown?: () => void;
  /**
   * Lines reported under the suite's table, asked for after `teardown`: figures a time per
   * operation cannot carry (throughput per CPU-second, pools in use). None by default.
   */
  readonly details?: () => readonly string[];
}

/** A case that was not measured, and why. */
export interface SkippedCase {
  readonly name: string;
  readonly description: string;
  /** Why, for the row: `skipped: <reason>` (e.g. `python3 not found`). */
  readonly reason: string;
}

/** A throughput target: subject ops/s ÷ peer ops/s must be at least `minRatio`. */
export interface ThroughputTarget {
  readonly peer: string;
  readonly minRatio: number;
}

/**
 * A slowdown to report: the median time per operation of `case` divided by that of `baseline`
 * (both cases of the same suite, either kind), e.g. a traced run against the untraced one.
 * Throughput targets compare every peer with the subject; slowdowns compare chosen pairs, so a
 * suite can show several overhead ratios, each against its own baseline, side by side.
 */
export interface SlowdownTarget {
  readonly case: string;
  readonly baseline: string;
  /** The target: the slowdown must be at most this; null to report it without a target. */
  readonly maxRatio: number | null;
}

/** One allocator's figure in a memory measurement. */
export interface MemoryFigure {
  readonly case: string;
  /** Bytes the allocator occupies (heap plus its metadata); null when not measurable. */
  readonly footprintBytes: number | null;
  /** `footprintBytes / requestedBytes`; null when not measurable. */
  readonly ratio: number | null;
  /** The target: ratio must be at most this; null when there is none. */
  readonly maxRatio: number | null;
  /** Why the figure is missing, or anything else a reader should know; null when nothing. */
  readonly note: string | null;
}

/** The result of a suite's optional memory measurement. */
export interface MemoryReport {
  /** One line: what was allocated. */
  readonly description: string;
  /** Live blocks held when measuring. */
  readonly blocks: number;
  /** Sum of the requested sizes of those blocks. */
  readonly requestedBytes: number;
  /** Anything about the whole measurement (e.g. fewer blocks in quick mode); null when nothing. */
  readonly note: string | null;
  readonly figures: readonly MemoryFigure[];
}

export interface Suite {
  /** Short name for `--suite`, lower-case. */
  readonly name: string;
  /** One line for `--list` and the table's title. */
  readonly description: string;
  /** What one operation is, for the table ("step", "alloc+free", ...). */
  readonly opName: string;
  /** The case whose throughput is compared with every other one. */
  readonly subject: string;
  /** Targets for the subject's throughput ratios (subject ops/s ÷ peer ops/s). */
  readonly targets: readonly ThroughputTarget[];
  /**
   * Whether the subject's throughput ratio to every other case is reported (default true).
   * False for a suite whose cases do different work, compared pair by pair in `slowdowns`
   * instead (e.g. `gc`: a collection of garbage, one of live objects, program runs); its
   * `targets` must then be empty.
   */
  readonly subjectRatios?: boolean;
  /** Slowdowns to report (case time ÷ baseline time), with their targets; none by default. */
  readonly slowdowns?: readonly SlowdownTarget[];
  /** Builds the cases and their inputs; not timed. */
  createCases(ctx: SuiteContext): CaseSet;
  /** An optional memory measurement, run after the timing rounds; not timed. */
  measureMemory?(ctx: SuiteContext): MemoryReport;
}
