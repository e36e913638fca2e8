/**
 * Forks: a full run measures each suite in several fresh Node processes, one after the other,
 * and combines their results, as pyperf (worker processes) and JMH (forks) do.
 *
 * Why: the same code settles into a different steady state in each process, and the states'
 * speeds differ far more than the rounds of one process do. Measured on the project's 2-core
 * machine with the churn suite's `heapkit` loop alone in a process (25 rounds of 200 calls,
 * median per process): 11, 19, 19, 20, 21 and 28 ns a step in six fresh processes, and 39 to 44
 * in others; within one process its rounds ranged 11 to 17 around a median of 12. A loop of
 * plain typed-array stores at random over 4 MiB varied by under 5% between processes, so that
 * spread is not the machine's. binary-trees with automatic collection on ÷ off, interleaved in
 * one process, gave 1.07, 1.25, 1.10, 1.25, 1.13 and 1.16 in six. Which state a process lands in
 * is not established: pinning it to one core, switching off ASLR or V8's concurrent compiler did
 * not remove the spread; `--single-threaded` (no background compiler or GC threads) narrowed the
 * churn loop to 16.7-21.6 ns over eight processes, so the threads' timing is part of it.
 *
 * The machine has states of its own too, and they last seconds: work whose memory does not fit
 * in the cache slows down for a while, then recovers. `collect()` of 1,000,000 objects in
 * 2-cycles (about 31 MiB; the L3 cache is 32 MiB, shared with the machine's other tenants) ran
 * for stretches of ~100 ms a call and then of ~65 ms. A hand-written list walk over a separate
 * 32 MiB `WebAssembly.Memory`, with no heapkit code, run after each `collect()` in the same
 * process, went from 10 ms to 15-20 ms and back with it: correlation 0.83, 0.91 and 0.43 over 22
 * calls in three processes (`collect()` itself spanned 64-129 ms). The 4 MiB loop above fits in
 * the cache, so it could not show this. A memory-bound case is therefore compared with its
 * baseline over the same seconds (the rounds interleave the cases), and its per-fork values
 * spread further.
 *
 * More rounds in one process do not average such states out; more processes do, and the report
 * shows how far apart they are.
 *
 * So with `forks` > 1 each fork is a child process (`node dist/cli.js --fork-child …`) that runs
 * one suite exactly as a one-process run does (warm-up, interleaved rounds, the same seed), and
 * sends its progress and its `SuiteResult` back as JSON lines on stdout. Forks run one after the
 * other, never at once. {@link combineForks} then takes each ratio as the median of the forks'
 * ratios (each fork's ratio compares cases measured side by side in that process), and keeps
 * every fork's value (`perFork`) so that the report shows the spread.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ModeName } from './modes.js';
import type { ProgressEvent } from './progress.js';
import type { CaseResult, RatioResult, SlowdownResult, SuiteResult } from './results.js';

/** The command-line flag that makes `cli.js` a fork: one suite, results as JSON lines on stdout. */
export const FORK_CHILD_FLAG = '--fork-child';
/** Prefix of a fork's progress lines and of its result line on stdout. */
export const FORK_PROGRESS = 'heapkit-fork-progress ';
export const FORK_RESULT = 'heapkit-fork-result ';

/** The built CLI: from `src/` (tests) and from `dist/` alike. */
const CLI_PATH = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface ForkRequest {
  readonly suite: string;
  readonly mode: ModeName;
  readonly seed: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Runs one fork of a suite in a child process; resolves to its result. */
export function runFork(
  request: ForkRequest,
  onProgress: (event: ProgressEvent) => void,
): Promise<SuiteResult> {
  const args = [CLI_PATH, FORK_CHILD_FLAG, '--suite', request.suite, '--seed', String(request.seed)];
  if (request.mode !== 'full') args.push(`--${request.mode}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: request.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result: SuiteResult | undefined;
    const other: string[] = [];
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith(FORK_PROGRESS)) onProgress(JSON.parse(line.slice(FORK_PROGRESS.length)));
      else if (line.startsWith(FORK_RESULT)) result = JSON.parse(line.slice(FORK_RESULT.length));
      else other.push(line);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && result !== undefined) resolve(result);
      else {
        const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
        const output = other.length === 0 ? '' : `; its output:\n${other.join('\n')}`;
        reject(new Error(`bench: a fork of suite '${request.suite}' ended with ${how}${output}`));
      }
    });
  });
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * One suite's result from its forks' (at least one, all of the same suite): a case's median,
 * p75 and p99 are the medians of the forks' (min the least, max the most, mean weighted by
 * samples, samples and operations summed, every fork's median in `perForkMedianNs`); a ratio or
 * slowdown is the median of the forks' own, with every fork's in `perFork`; memory and details
 * are the first fork's. A case skipped in one fork but measured in another is reported from the
 * forks that measured it.
 */
export function combineForks(forks: readonly SuiteResult[]): SuiteResult {
  const first = forks[0];
  if (first === undefined) throw new Error('bench: combineForks needs at least one fork');
  if (forks.some((f) => f.name !== first.name)) throw new Error('bench: forks of different suites');
  const cases = groupAcross(
    forks,
    (f) => f.cases,
    (c) => c.name,
  ).map(combineCase);
  const names = cases.map((c) => c.name);
  const skipped = groupAcross(
    forks,
    (f) => f.skipped,
    (s) => s.name,
  )
    .map((each) => each[0]!)
    .filter((s) => !names.includes(s.name));
  const ratios = groupAcross(
    forks,
    (f) => f.ratios,
    (r) => r.peer,
  ).map((each): RatioResult => {
    const ratio = median(each.map((r) => r.ratio));
    const { peer, target } = each[0]!;
    return {
      peer,
      ratio,
      target,
      met: target === null ? null : ratio >= target,
      perFork: each.map((r) => r.ratio),
    };
  });
  const slowdowns = groupAcross(
    forks,
    (f) => f.slowdowns,
    (s) => `${s.case}\n${s.baseline}`,
  ).map((each): SlowdownResult => {
    const ratio = median(each.map((s) => s.ratio));
    const { case: name, baseline, maxRatio } = each[0]!;
    const met = maxRatio === null ? null : ratio <= maxRatio;
    return { case: name, baseline, ratio, maxRatio, met, perFork: each.map((s) => s.ratio) };
  });
  return {
    ...first,
    forks: forks.length,
    durationMs: forks.reduce((sum, f) => sum + f.durationMs, 0),
    cases,
    skipped,
    ratios,
    slowdowns,
  };
}

function combineCase(each: readonly CaseResult[]): CaseResult {
  const samples = each.reduce((sum, c) => sum + c.samples, 0);
  const medianNs = median(each.map((c) => c.medianNs));
  return {
    name: each[0]!.name,
    description: each[0]!.description,
    samples,
    totalOps: each.reduce((sum, c) => sum + c.totalOps, 0),
    medianNs,
    p75Ns: median(each.map((c) => c.p75Ns)),
    p99Ns: median(each.map((c) => c.p99Ns)),
    minNs: Math.min(...each.map((c) => c.minNs)),
    maxNs: Math.max(...each.map((c) => c.maxNs)),
    meanNs: each.reduce((sum, c) => sum + c.meanNs * c.samples, 0) / samples,
    opsPerSec: 1e9 / medianNs,
    perForkMedianNs: each.map((c) => c.medianNs),
  };
}

/**
 * The rows of every fork's `list`, grouped by `key` in order of first appearance: one group per
 * row name, holding that row from each fork that has it (in fork order).
 */
function groupAcross<T>(
  forks: readonly SuiteResult[],
  list: (fork: SuiteResult) => readonly T[],
  key: (row: T) => string,
): T[][] {
  const groups = new Map<string, T[]>();
  for (const fork of forks) {
    for (const row of list(fork)) {
      const k = key(row);
      const group = groups.get(k);
      if (group === undefined) groups.set(k, [row]);
      else group.push(row);
    }
  }
  return [...groups.values()];
}
