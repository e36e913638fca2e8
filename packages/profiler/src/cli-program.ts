/**
 * The `heapkit-profile` command line, as a function of its arguments and output streams (so
 * tests can run it in-process): `top`, `diff`, `flamegraph` and `pprof` over dumped snapshots.
 * Parsing, help, `--version` and usage errors are commander's. `flamegraph` and `pprof` write to
 * `-o FILE`, or to stdout with `-o -` or no `-o` (pprof's gzipped bytes only when stdout is not a
 * terminal).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { HeapkitError } from '@heapkit/memory';
import { Command, CommanderError, InvalidArgumentError as UsageError } from 'commander';
import { flameGraphDiffHtml, flameGraphHtml } from './flamegraph.js';
import { KEY_TYPES, type KeyType } from './group.js';
import { toPprof } from './pprof.js';
import { formatTop, formatTopDiff } from './report-top.js';
import { Snapshot } from './snapshot.js';

/** Where the CLI writes. */
export interface CliIo {
  /** Text, or the bytes of `pprof` without `-o`; `isTTY` true: a terminal (no binary there). */
  readonly stdout: { write(chunk: string | Uint8Array): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
}

/** `-o -`: write to stdout. */
const STDOUT = '-';

/** This package's version, from its package.json (next to `src` and `dist`). */
function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return json.version;
}

function keyType(value: string): KeyType {
  if (!KEY_TYPES.includes(value as KeyType)) {
    throw new UsageError("must be 'filename', 'lineno', 'traceback' or 'function'");
  }
  return value as KeyType;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('must be a positive integer');
  return n;
}

interface TopFlags {
  keyType: KeyType;
  limit: number;
  cumulative?: boolean;
}

function build(io: CliIo): Command {
  const program = new Command('heapkit-profile')
    .description('Reports on heapkit memory snapshots (written by Snapshot.dump)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .version(packageVersion(), '-V, --version', 'print the version of @heapkit/profiler')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const topOptions = (command: Command): Command =>
    command
      .option(
        '-k, --key-type <type>',
        "group by 'filename', 'lineno', 'traceback' or 'function'",
        keyType,
        'lineno',
      )
      .option('-n, --limit <n>', 'rows to show', positive, 10)
      .option('-c, --cumulative', 'count each block for every frame of its traceback (not with traceback)');

  topOptions(
    program
      .command('top')
      .description('the places holding the most memory in a snapshot')
      .argument('<snapshot>', 'a snapshot file'),
  ).action((file: string, flags: TopFlags) => {
    io.stdout.write(formatTop(Snapshot.load(file), flags));
  });

  topOptions(
    program
      .command('diff')
      .description('what changed between an old and a new snapshot, largest change first')
      .argument('<old>', 'the earlier snapshot file')
      .argument('<new>', 'the later snapshot file'),
  ).action((oldFile: string, newFile: string, flags: TopFlags) => {
    io.stdout.write(formatTopDiff(Snapshot.load(newFile), Snapshot.load(oldFile), flags));
  });

  program
    .command('flamegraph')
    .description('a self-contained HTML flame graph of a snapshot, or of the change since --base')
    .argument('<snapshot>', 'a snapshot file')
    .option('-o, --output <file>', "the HTML file to write ('-' or none: stdout)", STDOUT)
    .option('-b, --base <old>', 'draw the change from this earlier snapshot instead')
    .option('-t, --title <title>', 'the page title')
    .action((file: string, flags: { output: string; base?: string; title?: string }) => {
      const snapshot = Snapshot.load(file);
      const options = flags.title === undefined ? {} : { title: flags.title };
      const html =
        flags.base === undefined
          ? flameGraphHtml(snapshot, options)
          : flameGraphDiffHtml(snapshot, Snapshot.load(flags.base), options);
      output(io, flags.output, html);
    });

  program
    .command('pprof')
    .description(
      'a gzipped pprof profile (inuse_objects, inuse_space) for go tool pprof, speedscope, Pyroscope',
    )
    .argument('<snapshot>', 'a snapshot file')
    .option('-o, --output <file>', "the .pb.gz file to write ('-': stdout; none: stdout unless a terminal)")
    .action((file: string, flags: { output?: string }, command: Command) => {
      if (flags.output === undefined && io.stdout.isTTY === true) {
        command.error(
          'error: pprof writes a gzipped binary profile, not for a terminal: pass -o heap.pb.gz, ' +
            'or pipe it (or -o - to force stdout)',
        );
      }
      output(io, flags.output ?? STDOUT, gzipSync(toPprof(Snapshot.load(file))));
    });

  return program;
}

/** Writes a report to `target` (then says so on stdout), or to stdout itself for `-`. */
function output(io: CliIo, target: string, data: string | Uint8Array): void {
  if (target === STDOUT) {
    io.stdout.write(data);
  } else {
    writeFileSync(target, data);
    io.stdout.write(`wrote ${target}\n`);
  }
}

/**
 * Runs the CLI on `args` (without `node` and the script) and resolves to its exit code: 0, 1
 * for an unreadable snapshot or file, or commander's code for usage errors (1; 0 for --help).
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = build(io);
  if (args.length === 0) {
    program.outputHelp();
    return 1;
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof HeapkitError || isFileError(error)) {
      io.stderr.write(`heapkit-profile: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

function isFileError(error: unknown): boolean {
  return (
    error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'syscall' in error
  );
}
