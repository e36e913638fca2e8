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
 * One sample is one call of a case's `run`, which performs `opsPerCall` operations; samples are
 * divided by that, so times are per operation and the timer's own cost is spread over the
 * batch. Cases keep their state between calls and rounds: the measured allocator is in the
 * steady state that warm-up left it in. Between rounds the runner yields to the event loop once
 * (outside any timed call), so V8's pending GC tasks run there rather than inside a sample.
 */
import { Bench, type Task } from 'tinybench';
import { collectEnvironment } from './environment.js';
import type { Mode } from './modes.js';
import type { ProgressEvent, ProgressListener } from './progress.js';
import {
  type CaseResult,
  type RatioResult,
  RESULTS_SCHEMA_VERSION,
  type RunResult,
  type SuiteResult,
} from './results.js';
import { summarize } from './stats.js';
import type { CaseSet, Suite, SuiteContext } from './suite.js';

export interface RunOptions {
  readonly suites: readonly Suite[];
  readonly mode: Mode;
  /** Seed of every input stream of the run. */
  readonly seed: number;
  readonly onProgress?: ProgressListener;
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
    suites.push(await runSuite(suite, options.mode, options.seed, report));
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

type PhaseReporter = (phase: ProgressEvent['phase'], round?: number, rounds?: number) => void;

async function runSuite(suite: Suite, mode: Mode, seed: number, report: PhaseReporter): Promise<SuiteResult> {
  const started = performance.now();
  const ctx: SuiteContext = { mode: mode.name, seed };

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
  for (const c of set.cases) bench.add(c.name, c.run, { async: false });
  const tasks = bench.tasks;
  const n = tasks.length;

  for (let round = 0; round < mode.warmupRounds; round++) {
    report('warm-up', round + 1, mode.warmupRounds);
    for (let k = 0; k < n; k++) {
      const task = tasks[(round + k) % n]!;
      task.reset(false);
      task.warmupSync();
    }
    await yieldToEventLoop();
  }

  const nsPerOp: number[][] = tasks.map(() => []);
  const scale = 1e6 / set.opsPerCall; // ms per call → ns per operation
  for (let round = 0; round < mode.rounds; round++) {
    report('measure', round + 1, mode.rounds);
    for (let k = 0; k < n; k++) {
      const index = (round + k) % n;
      const samples = runRound(tasks[index]!);
      const into = nsPerOp[index]!;
      for (let s = 0; s < samples.length; s++) into.push(samples[s]! * scale);
    }
    await yieldToEventLoop();
  }
  set.teardown?.();

  let memory = null;
  if (suite.measureMemory !== undefined) {
    report('memory');
    memory = suite.measureMemory(ctx);
  }
  report('done');

  const cases = set.cases.map((c, i) => caseResult(c.name, c.description, nsPerOp[i]!, set.opsPerCall));
  return {
    name: suite.name,
    description: suite.description,
    opName: suite.opName,
    subject: suite.subject,
    opsPerCall: set.opsPerCall,
    durationMs: performance.now() - started,
    cases,
    ratios: ratios(suite, cases),
    memory,
  };
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
  };
}

function ratios(suite: Suite, cases: readonly CaseResult[]): RatioResult[] {
  const subject = cases.find((c) => c.name === suite.subject)!;
  return cases
    .filter((c) => c !== subject)
    .map((peer) => {
      const ratio = subject.opsPerSec / peer.opsPerSec;
      const target = suite.targets.find((t) => t.peer === peer.name)?.minRatio ?? null;
      return { peer: peer.name, ratio, target, met: target === null ? null : ratio >= target };
    });
}

function checkCaseSet(suite: Suite, set: CaseSet): void {
  const names = set.cases.map((c) => c.name);
  if (new Set(names).size !== names.length) {
    throw new Error(`bench: suite '${suite.name}' has duplicate case names: ${names.join(', ')}`);
  }
  if (!names.includes(suite.subject)) {
    throw new Error(`bench: suite '${suite.name}' has no case named '${suite.subject}' (its subject)`);
  }
  for (const target of suite.targets) {
    if (!names.includes(target.peer) || target.peer === suite.subject) {
      throw new Error(`bench: suite '${suite.name}' has a target for unknown peer '${target.peer}'`);
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
