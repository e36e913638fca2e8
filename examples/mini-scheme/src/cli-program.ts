/**
 * The `mini-scheme` command line, as a function of its arguments and streams (so tests run it
 * in-process): run a file, or a REPL when none is given, with reports on the heap at exit.
 */
import { createInterface } from 'node:readline';
import { formatTop } from '@heapkit/profiler';
import { Command, CommanderError, InvalidArgumentError as UsageError } from 'commander';
import { SchemeError } from './errors.js';
import { Interpreter } from './interpreter.js';

/** Where the CLI reads and writes. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin?: NodeJS.ReadableStream;
}

interface Flags {
  gcStats?: boolean;
  traceAlloc?: number | true;
  debugMalloc?: boolean;
  heapLimit?: number;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('must be a positive integer');
  return n;
}

/** Pause times of the collections, from `gc.callbacks`. */
class GcPauses {
  readonly durations: number[] = [];
  readonly perGeneration = [0, 0, 0];

  record(generation: number, duration: number): void {
    this.durations.push(duration);
    this.perGeneration[generation]!++;
  }
}

/** The `--gc-stats` report. */
export function formatGcStats(interp: Interpreter, pauses: GcPauses): string {
  const gc = interp.heap.gc;
  const lines = ['gc stats:'];
  gc.getStats().forEach((s, g) => {
    lines.push(
      `  generation ${g}: ${s.collections} collections, ${s.collected} collected, ${s.uncollectable} uncollectable`,
    );
  });
  const d = pauses.durations;
  const total = d.reduce((a, b) => a + b, 0);
  const max = d.reduce((a, b) => Math.max(a, b), 0);
  lines.push(
    `  pauses: ${d.length}, total ${total.toFixed(3)} ms, max ${max.toFixed(3)} ms, mean ${(d.length ? total / d.length : 0).toFixed(3)} ms`,
  );
  lines.push(`  count now: ${gc.getCount().join(', ')}; threshold: ${gc.getThreshold().join(', ')}`);
  lines.push(
    `  live objects: ${interp.heap.space.liveObjects()}; heap bytes in use: ${interp.heap.bytesInUse()}`,
  );
  return `${lines.join('\n')}\n`;
}

/** Counts unbalanced open brackets in REPL input (outside strings and comments). */
function openBrackets(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ';') while (i < text.length && text[i] !== '\n') i++;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
  }
  return inString ? depth + 1 : depth;
}

async function repl(interp: Interpreter, io: CliIo): Promise<void> {
  const rl = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  let buffer = '';
  let firstLine = 1;
  let line = 0;
  io.stdout.write('mini-scheme REPL (a heapkit heap); end with Ctrl-D\n> ');
  for await (const text of rl) {
    line++;
    if (buffer === '') firstLine = line;
    buffer += `${text}\n`;
    if (openBrackets(buffer) > 0) {
      io.stdout.write('. ');
      continue;
    }
    try {
      // Pad with newlines so that lines in errors and tracebacks count from the session start.
      const result = interp.runSource('\n'.repeat(firstLine - 1) + buffer, '<stdin>');
      if (result !== '') io.stdout.write(`${result}\n`);
    } catch (error) {
      if (!(error instanceof SchemeError)) throw error;
      io.stdout.write(`error: ${error.message}\n`);
    }
    buffer = '';
    io.stdout.write('> ');
  }
  io.stdout.write('\n');
}

function build(io: CliIo, done: (code: number) => void): Command {
  return new Command('mini-scheme')
    .description('A small Scheme whose whole heap is heapkit')
    .argument('[file]', 'a Scheme program; a REPL when left out')
    .option('--gc-stats', 'at exit: collections per generation, objects collected, pause times')
    .option(
      '--trace-alloc [n]',
      'trace allocations; at exit: the top N Scheme lines holding memory',
      positive,
    )
    .option('--debug-malloc', 'allocator debug mode (guard bytes, 0xCD/0xDD fills) and object-space checks')
    .option('--heap-limit <bytes>', 'the most memory the heap may use', positive)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .action(async (file: string | undefined, flags: Flags) => {
      const top = flags.traceAlloc === true ? 10 : flags.traceAlloc;
      const interp = new Interpreter({
        output: (text) => io.stdout.write(text),
        heapLimit: flags.heapLimit,
        debug: flags.debugMalloc ?? false,
        ...(top !== undefined ? { traceFrames: 1 } : {}),
      });
      const heap = interp.heap;
      const pauses = new GcPauses();
      if (flags.gcStats) {
        heap.gc.callbacks.push((phase, info) => {
          if (phase === 'stop') pauses.record(info.generation, info.duration);
        });
      }
      let code = 0;
      try {
        if (file === undefined) await repl(interp, io);
        else interp.runFile(file);
      } catch (error) {
        if (!(error instanceof SchemeError)) throw error;
        io.stderr.write(`error: ${error.message}\n`);
        code = 1;
      }
      if (top !== undefined) {
        io.stderr.write(formatTop(heap.profiler.takeSnapshot(), { keyType: 'lineno', limit: top }));
        heap.profiler.stop();
      }
      if (flags.gcStats) io.stderr.write(formatGcStats(interp, pauses));
      if (flags.debugMalloc) {
        heap.validate();
        io.stderr.write('debug-malloc: heap validated\n');
        io.stderr.write(`${heap.allocator.formatStats()}\n`);
      }
      done(code);
    });
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = build(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  return code;
}
