/**
 * Runs suites and turns their samples into results. The CLI and the smoke test both go through
 * {@link runSuites}.
 *
 * ## How peers are interleaved
 *
 * tinybench 6 runs the tasks of a `Bench` one after the other, each for its whole time budget,
 * so a slow drift of the machine (thermal throttling, another process, a GC of an earlier
 * task's garbage) would land on whichever peer happened to run then. So instead of one long
 * `bench.run()`, a suite is measured in short rounds:
 *
 * 1. One `Bench` holds one task per case (`retainSamples: true`, `warmup: false`,
 *    `time: mode.roundMs`, `iterations: mode.minSamplesPerRound`, the `hrtime` clock).
 * 2. Warm-up: `mode.warmupRounds` rounds in which every task runs `task.warmupSync()` for
 *    `mode.warmupMs` in turn (JIT tiers, allocator steady state); nothing is kept.
 * 3. Measure: `mode.rounds` rounds; in each, every task is reset and runs `task.runSync()` for
 *    `mode.roundMs`, one after the other. Round `r` starts with case `r mod n`, so every case
 *    takes every position in the order equally often. After each run the task's retained
 *    latency samples are copied out and appended to that case's list.
 * 4. Each case's statistics (median, p75, p99, min, max, mean) are computed over its merged
 *    samples, not tinybench's per-round figures.
 *
 * External peers (a CPython process, say: {@link ExternalCase}) take part in the same
 * round-robin. They are started before warm-up; in a peer's turn of a round the runner sends it
 * the same time budget and minimum sample count and waits (asynchronously, doing nothing else)
 * while the process runs and times its own calls, then merges the ns-per-call times it sends
 * back. So a peer in another process runs between the in-process cases of every round, never
 * at the same time as one. A peer that cannot start is listed as skipped with the reason; one
 * that fails mid-run is skipped from then on, and its samples are dropped.
 *
 * One sample is one call of a case's `run`, which performs `opsPerCall` operations; samples are
 * divided by that, so times are per operation and the timer's own cost is spread over the
 * batch. A case's optional `setup` runs before each call, untimed (tinybench's `beforeEach`),
 * and only the timed calls count against the round's budget; an external peer does the same
 * with its own setup. Cases keep their state between calls and rounds: the measured allocator
 * is in the steady state that warm-up left it in. Between rounds the runner yields to the event loop once
 * (outside any timed call), so V8's pending GC tasks run there rather than inside a sample.
 */
import { Bench, type Task } from 'tinybench';
import { collectEnvironment } from './environment.js';
import { combineForks, runFork } from './forks.js';
import type { Mode } from './modes.js';
import type { ProgressEvent, ProgressListener } from './progress.js';
import {
  type CaseResult,
  type RatioResult,
  RESULTS_SCHEMA_VERSION,
  type RunResult,
  type SlowdownResult,
  type SuiteResult,
} from './results.js';
import { summarize } from './stats.js';
import {
  type CaseSet,
  type ExternalCase,
  type ExternalSession,
  PeerUnavailableError,
  type SkippedCase,
  type Suite,
  type SuiteContext,
} from './suite.js';

export interface RunOptions {
  readonly suites: readonly Suite[];
  readonly mode: Mode;
  /** Seed of every input stream of the run. */
  readonly seed: number;
  readonly onProgress?: ProgressListener;
  /** Environment the suites see (e.g. `HEAPKIT_BENCH_PYTHON`); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function runSuites(options: RunOptions): Promise<RunResult> {
  const date = new Date().toISOString();
  const environment = collectEnvironment();
  const suites: SuiteResult[] = [];
  for (let i = 0; i < options.suites.length; i++) {
    const suite = options.suites[i]!;
    const report = (phase: ProgressEvent['phase'], round?: number, rounds?: number): void => {
      options.onProgress?.({
        suite: suite.name,
        suiteIndex: i + 1,
        suiteCount: options.suites.length,
        phase,
        ...(round !== undefined ? { round, rounds } : {}),
      });
    };
    const ctx: SuiteContext = {
      mode: options.mode.name,
      seed: options.seed,
      env: options.env ?? process.env,
    };
    if (options.mode.forks <= 1) suites.push(await runSuite(suite, options.mode, ctx, report));
    else suites.push(await runInForks(suite, options, i));
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    date,
    mode: options.mode.name,
    seed: options.seed,
    settings: { ...options.mode },
    environment,
    suites,
  };
}

/** Runs `options.suites[index]` in `options.mode.forks` child processes, one after the other. */
async function runInForks(suite: Suite, options: RunOptions, index: number): Promise<SuiteResult> {
  const request = {
    suite: suite.name,
    mode: options.mode.name,
    seed: options.seed,
    env: options.env ?? process.env,
  };
  const forks: SuiteResult[] = [];
  for (let fork = 1; fork <= options.mode.forks; fork++) {
    forks.push(
      await runFork(request, (event) =>
        options.onProgress?.({
          ...event,
          suiteIndex: index + 1,
          suiteCount: options.suites.length,
          fork,
          forks: options.mode.forks,
        }),
      ),
    );
  }
  return combineForks(forks);
}

type PhaseReporter = (phase: ProgressEvent['phase'], round?: number, rounds?: number) => void;

/**
 * One contender in the round-robin: an in-process tinybench task, or an external peer's
 * session. `samples` collects its times in ns per operation; `skipped` is set when an external
 * peer fails mid-run (its samples are then dropped).
 */
interface Slot {
  readonly name: string;
  readonly description: string;
  readonly task: Task | null;
  readonly session: ExternalSession | null;
  readonly samples: number[];
  skipped: string | null;
}

async function runSuite(
  suite: Suite,
  mode: Mode,
  ctx: SuiteContext,
  report: PhaseReporter,
): Promise<SuiteResult> {
  const started = performance.now();

  report('setup');
  const set = suite.createCases(ctx);
  checkCaseSet(suite, set);

  const bench = new Bench({
    name: suite.name,
    time: mode.roundMs,
    iterations: mode.minSamplesPerRound,
    warmup: false,
    warmupTime: mode.warmupMs,
    warmupIterations: 1,
    retainSamples: true,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  for (const c of set.cases) {
    bench.add(c.name, c.run, { async: false, ...(c.setup === undefined ? {} : { beforeEach: c.setup }) });
  }
  const slots: Slot[] = set.cases.map((c, i) => ({
    name: c.name,
    description: c.description,
    task: bench.tasks[i]!,
    session: null,
    samples: [],
    skipped: null,
  }));
  const skipped: SkippedCase[] = [...(set.unavailable ?? [])];
  try {
    for (const peer of set.external ?? []) {
      const session = await startExternal(peer);
      if (typeof session === 'string') {
        skipped.push({ name: peer.name, description: peer.description, reason: session });
      } else {
        slots.push({
          name: peer.name,
          description: session.description,
          task: null,
          session,
          samples: [],
          skipped: null,
        });
      }
    }

    for (let round = 0; round < mode.warmupRounds; round++) {
      report('warm-up', round + 1, mode.warmupRounds);
      for (const slot of rotated(slots, round)) {
        if (slot.task !== null) {
          slot.task.reset(false);
          slot.task.warmupSync();
        } else {
          await runExternal(slot, round, 'warm-up', (session) => session.warmup(mode.warmupMs));
        }
      }
      await yieldToEventLoop();
    }

    const msToNsPerOp = 1e6 / set.opsPerCall; // tinybench's ms per call → ns per operation
    for (let round = 0; round < mode.rounds; round++) {
      report('measure', round + 1, mode.rounds);
      for (const slot of rotated(slots, round)) {
        if (slot.task !== null) {
          const samples = runRound(slot.task);
          for (let s = 0; s < samples.length; s++) slot.samples.push(samples[s]! * msToNsPerOp);
        } else {
          const samples = await runExternal(slot, round, 'round', (session) =>
            session.round(mode.roundMs, mode.minSamplesPerRound),
          );
          for (const ns of samples ?? []) slot.samples.push(ns / set.opsPerCall);
        }
      }
      await yieldToEventLoop();
    }
  } finally {
    await Promise.all(slots.map((slot) => slot.session?.close()));
  }
  set.teardown?.();
  const details = set.details?.() ?? [];

  let memory = null;
  if (suite.measureMemory !== undefined) {
    report('memory');
    memory = suite.measureMemory(ctx);
  }
  report('done');

  const measured = slots.filter((slot) => slot.skipped === null);
  for (const slot of slots) {
    if (slot.skipped !== null)
      skipped.push({ name: slot.name, description: slot.description, reason: slot.skipped });
  }
  const cases = measured.map((slot) => caseResult(slot.name, slot.description, slot.samples, set.opsPerCall));
  return {
    name: suite.name,
    description: suite.description,
    opName: suite.opName,
    subject: suite.subject,
    opsPerCall: set.opsPerCall,
    forks: 1,
    durationMs: performance.now() - started,
    cases,
    skipped,
    ratios: suite.subjectRatios === false ? [] : ratios(suite, cases),
    slowdowns: slowdowns(suite, cases),
    memory,
    details,
  };
}

/** The slots still running, in round `round`'s order: starting with slot `round mod n`. */
function rotated(slots: readonly Slot[], round: number): Slot[] {
  const n = slots.length;
  const order: Slot[] = [];
  for (let k = 0; k < n; k++) {
    const slot = slots[(round + k) % n]!;
    if (slot.skipped === null) order.push(slot);
  }
  return order;
}

/** Starts an external peer; resolves to its session, or to the reason it is skipped. */
async function startExternal(peer: ExternalCase): Promise<ExternalSession | string> {
  try {
    return await peer.start();
  } catch (error) {
    if (error instanceof PeerUnavailableError) return error.message;
    throw error;
  }
}

/**
 * Runs one step of an external peer. If the peer fails (its process died, it answered
 * nonsense), the peer is skipped from then on with the reason, and the run goes on.
 */
async function runExternal<T>(
  slot: Slot,
  round: number,
  what: string,
  step: (session: ExternalSession) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await step(slot.session!);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    slot.skipped = `failed in ${what} ${round + 1}: ${why}`;
    slot.samples.length = 0;
    await slot.session!.close();
    return undefined;
  }
}

/** Runs one task for one round and returns its latency samples (ms per call). */
function runRound(task: Task): readonly number[] {
  task.reset(false);
  task.runSync();
  const result = task.result;
  if (result.state !== 'completed') {
    const why = result.state === 'errored' ? `: ${result.error.message}` : '';
    throw new Error(`bench: case '${task.name}' ended ${result.state}${why}`);
  }
  const samples = result.latency.samples;
  if (samples === undefined) throw new Error(`bench: case '${task.name}' retained no samples`);
  return samples;
}

function caseResult(name: string, description: string, samples: number[], opsPerCall: number): CaseResult {
  const s = summarize(samples);
  return {
    name,
    description,
    samples: s.count,
    totalOps: s.count * opsPerCall,
    medianNs: s.p50,
    p75Ns: s.p75,
    p99Ns: s.p99,
    minNs: s.min,
    maxNs: s.max,
    meanNs: s.mean,
    opsPerSec: 1e9 / s.p50,
    perForkMedianNs: [s.p50],
  };
}

function ratios(suite: Suite, cases: readonly CaseResult[]): RatioResult[] {
  const subject = cases.find((c) => c.name === suite.subject)!;
  return cases
    .filter((c) => c !== subject)
    .map((peer) => {
      const ratio = subject.opsPerSec / peer.opsPerSec;
      const target = suite.targets.find((t) => t.peer === peer.name)?.minRatio ?? null;
      return {
        peer: peer.name,
        ratio,
        target,
        met: target === null ? null : ratio >= target,
        perFork: [ratio],
      };
    });
}

function slowdowns(suite: Suite, cases: readonly CaseResult[]): SlowdownResult[] {
  const results: SlowdownResult[] = [];
  for (const s of suite.slowdowns ?? []) {
    const measured = cases.find((c) => c.name === s.case);
    const baseline = cases.find((c) => c.name === s.baseline);
    if (measured === undefined || baseline === undefined) continue;
    const ratio = measured.medianNs / baseline.medianNs;
    results.push({
      case: s.case,
      baseline: s.baseline,
      ratio,
      maxRatio: s.maxRatio,
      met: s.maxRatio === null ? null : ratio <= s.maxRatio,
      perFork: [ratio],
    });
  }
  return results;
}

function checkCaseSet(suite: Suite, set: CaseSet): void {
  const names = [...set.cases, ...(set.external ?? []), ...(set.unavailable ?? [])].map((c) => c.name);
  if (new Set(names).size !== names.length) {
    throw new Error(`bench: suite '${suite.name}' has duplicate case names: ${names.join(', ')}`);
  }
  if (!set.cases.some((c) => c.name === suite.subject)) {
    throw new Error(
      `bench: suite '${suite.name}' has no in-process case named '${suite.subject}' (its subject)`,
    );
  }
  if (suite.subjectRatios === false && suite.targets.length > 0) {
    throw new Error(`bench: suite '${suite.name}' has throughput targets but no subject ratios`);
  }
  for (const target of suite.targets) {
    if (!names.includes(target.peer) || target.peer === suite.subject) {
      throw new Error(`bench: suite '${suite.name}' has a target for unknown peer '${target.peer}'`);
    }
  }
  for (const slowdown of suite.slowdowns ?? []) {
    for (const name of [slowdown.case, slowdown.baseline]) {
      if (!names.includes(name)) {
        throw new Error(`bench: suite '${suite.name}' has a slowdown naming unknown case '${name}'`);
      }
    }
  }
  if (!Number.isInteger(set.opsPerCall) || set.opsPerCall < 1) {
    throw new Error(
      `bench: suite '${suite.name}' opsPerCall must be a positive integer, got ${set.opsPerCall}`,
    );
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
