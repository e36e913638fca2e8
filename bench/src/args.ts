/** The command line of `pnpm bench` (`node dist/cli.js`): parsing and help. */
import { parseArgs } from 'node:util';
import type { ModeName } from './modes.js';
import { DEFAULT_SEED } from './random.js';
import type { Suite } from './suite.js';

export const HELP = `Usage: pnpm bench [options]        (from the repo root; or node dist/cli.js in bench/)

Runs heapkit's benchmark suites against their peers, interleaved in one process, prints a
comparison table per suite and writes the results (JSON, a Markdown summary and an SVG chart)
to bench/results/.

Options:
  --quick            Short run (well under a minute): fewer rounds, smaller memory measurement.
                     Default is the full run.
  --tiny             A few ms per suite, for smoke tests: checks that everything runs; the figures
                     are noise.
  --suite NAME       Run only this suite. Repeat it or give a comma list: --suite a,b.
  --list             List the suites and exit.
  --json PATH        Write the results as JSON to PATH only (a relative PATH starts in bench/,
                     where pnpm runs the script) instead of bench/results/<date>-<mode>.json
                     and bench/results/latest.{json,md,svg}.
  --publish          Also write the tracked bench/RESULTS.md and bench/results.svg. A full run
                     of every suite does this without the flag; --quick, --tiny and --suite
                     runs only with it.
  --seed N           Seed of the generated inputs (default ${DEFAULT_SEED}; the same seed gives
                     every run the same inputs).
  --forks N          Measure each suite in N fresh processes, one after the other, and report
                     the median of their ratios with every fork's value (default: 5 for a full
                     run, 1 for --quick and --tiny; 1 runs everything in this process).
  -h, --help         Show this help.

Environment: CI=true (or a non-TTY stderr) prints progress as plain lines; NO_COLOR turns
colours off; HEAPKIT_BENCH_PYTHON=PATH runs the CPython peers with that interpreter instead of
python3 (when it is missing, their rows say why they were skipped).
`;

export interface CliOptions {
  readonly mode: ModeName;
  /** Suite names in the order given; empty means every suite. */
  readonly suites: readonly string[];
  readonly list: boolean;
  readonly help: boolean;
  readonly json: string | undefined;
  readonly seed: number | undefined;
  readonly publish: boolean;
  /** `--forks N`, or undefined for the mode's default. */
  readonly forks: number | undefined;
  /** `--fork-child`: this process is one fork of a suite (internal: see `forks.ts`). */
  readonly forkChild: boolean;
}

/** The most forks `--forks` takes. */
export const MAX_FORKS = 50;

/** A bad command line; the message says what was wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  // `pnpm bench -- --quick` may hand the script a literal `--`; it is not an argument.
  const args = argv.filter((arg, i) => !(arg === '--' && i === 0));
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.quick && values.tiny) throw new UsageError('--quick and --tiny cannot be combined');
  const suites = (values.suite ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new UsageError(`--seed must be an integer from 0 to 4294967295, got '${values.seed}'`);
    }
  }
  if (values.json !== undefined && values.json === '') throw new UsageError('--json needs a path');
  let forks: number | undefined;
  if (values.forks !== undefined) {
    forks = Number(values.forks);
    if (!/^[0-9]+$/.test(values.forks) || forks < 1 || forks > MAX_FORKS) {
      throw new UsageError(`--forks must be an integer from 1 to ${MAX_FORKS}, got '${values.forks}'`);
    }
  }
  const forkChild = values['fork-child'] ?? false;
  if (forkChild && suites.length !== 1) throw new UsageError('--fork-child runs exactly one --suite');
  if (forkChild && (values.json !== undefined || values.publish || forks !== undefined || values.list)) {
    throw new UsageError(
      '--fork-child writes to stdout only: it takes no --json, --publish, --forks or --list',
    );
  }
  return {
    mode: values.tiny ? 'tiny' : values.quick ? 'quick' : 'full',
    suites: [...new Set(suites)],
    list: values.list ?? false,
    help: values.help ?? false,
    json: values.json,
    seed,
    publish: values.publish ?? false,
    forks,
    forkChild,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean' },
      tiny: { type: 'boolean' },
      suite: { type: 'string', multiple: true },
      list: { type: 'boolean' },
      json: { type: 'string' },
      seed: { type: 'string' },
      publish: { type: 'boolean' },
      forks: { type: 'string' },
      'fork-child': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The suites named on the command line, in that order; all of them when none is named. */
export function selectSuites(all: readonly Suite[], names: readonly string[]): Suite[] {
  if (names.length === 0) return [...all];
  return names.map((name) => {
    const suite = all.find((s) => s.name === name);
    if (suite === undefined) {
      throw new UsageError(`unknown suite '${name}'; known suites: ${all.map((s) => s.name).join(', ')}`);
    }
    return suite;
  });
}

/**
 * Whether the run writes the tracked `RESULTS.md` and `results.svg`: when asked with
 * `--publish`, or on a full run of every suite (a partial or short run would replace the
 * published figures with fewer or noisier ones).
 */
export function shouldPublish(options: CliOptions): boolean {
  return options.publish || (options.mode === 'full' && options.suites.length === 0);
}

export function formatSuiteList(all: readonly Suite[]): string {
  const width = Math.max(...all.map((s) => s.name.length));
  return `${all.map((s) => `${s.name.padEnd(width)}  ${s.description}`).join('\n')}\n`;
}
