/**
 * What `pnpm bench` does, as a function the smoke test can call: parse the command line, run
 * the chosen suites with progress on stderr, print the report on stdout, write the results.
 */
import { resolve } from 'node:path';
import picocolors from 'picocolors';
import { formatSuiteList, HELP, parseCliArgs, selectSuites, shouldPublish, UsageError } from './args.js';
import { FORK_PROGRESS, FORK_RESULT } from './forks.js';
import { MODES, type Mode } from './modes.js';
import { createProgress, isLiveTerminal, type ProgressStream } from './progress.js';
import { DEFAULT_SEED } from './random.js';
import { formatReport } from './report.js';
import { runSuites } from './runner.js';
import type { Suite } from './suite.js';
import { SUITES } from './suites/index.js';
import { DEFAULT_PUBLISH_DIR, DEFAULT_RESULTS_DIR, writeOutputs } from './write-results.js';

export interface MainIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
  /** Where relative `--json` paths start. */
  readonly cwd: string;
  /** Colour the report. */
  readonly color: boolean;
  /** Folder of the default results (the dated JSON and latest.{json,md,svg}). */
  readonly resultsDir: string;
  /** Folder of the tracked RESULTS.md and results.svg that a published run writes. */
  readonly publishDir: string;
}

export function processIo(): MainIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // pnpm, and turbo through pnpm, run the script in bench/: relative paths start there.
    cwd: process.cwd(),
    color: picocolors.isColorSupported,
    resultsDir: DEFAULT_RESULTS_DIR,
    publishDir: DEFAULT_PUBLISH_DIR,
  };
}

/** Runs the command line; resolves to the exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: readonly string[], io: MainIo = processIo()): Promise<number> {
  let options: ReturnType<typeof parseCliArgs>;
  let suites: ReturnType<typeof selectSuites>;
  try {
    options = parseCliArgs(argv);
    suites = selectSuites(SUITES, options.suites);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`bench: ${error.message}\n\nRun with --help for the options.\n`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (options.list) {
    io.stdout.write(formatSuiteList(SUITES));
    return 0;
  }

  const mode = { ...MODES[options.mode], ...(options.forks === undefined ? {} : { forks: options.forks }) };
  if (options.forkChild) return runForkChild(suites, { ...mode, forks: 1 }, options.seed, io);

  const progress = createProgress(io.stderr, isLiveTerminal(io.stderr, io.env));
  try {
    const run = await runSuites({
      suites,
      mode,
      seed: options.seed ?? DEFAULT_SEED,
      onProgress: progress.update,
      env: io.env,
    });
    progress.done();
    io.stdout.write(formatReport(run, io.color));
    const publish = shouldPublish(options);
    const written = await writeOutputs(run, {
      jsonPath: options.json === undefined ? undefined : resolve(io.cwd, options.json),
      resultsDir: io.resultsDir,
      publishDir: publish ? io.publishDir : undefined,
    });
    io.stdout.write(`\nResults:\n${written.map((path) => `  ${path}\n`).join('')}`);
    if (!publish) {
      io.stdout.write(
        'Not published: RESULTS.md and results.svg are written by a full run or with --publish.\n',
      );
    }
    return 0;
  } catch (error) {
    progress.done();
    io.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

/**
 * One fork of a suite (`--fork-child`, started by `forks.ts`): runs it in this process and writes
 * its progress and then its result as JSON lines on stdout, for the parent to read.
 */
async function runForkChild(
  suites: readonly Suite[],
  mode: Mode,
  seed: number | undefined,
  io: MainIo,
): Promise<number> {
  const run = await runSuites({
    suites,
    mode,
    seed: seed ?? DEFAULT_SEED,
    onProgress: (event) => io.stdout.write(`${FORK_PROGRESS}${JSON.stringify(event)}\n`),
    env: io.env,
  });
  io.stdout.write(`${FORK_RESULT}${JSON.stringify(run.suites[0])}\n`);
  return 0;
}
