/**
 * A benchmark peer in another process (a CPython script today; any language tomorrow), driven
 * by the runner in the same interleaved rounds as the in-process cases. {@link processPeer}
 * turns a command and its inputs into an {@link ExternalCase}; `python.ts` builds on it.
 *
 * ## Inputs
 *
 * The suite's pre-generated inputs (typed arrays of u32) are written once, untimed, to a
 * temporary binary file whose path is passed to the peer, so it replays exactly the numbers the
 * in-process cases replay. Layout, all integers u32 little-endian:
 *
 * ```
 *   "HKIN" | version = 1 | count
 *   count × ( name length | name (UTF-8) | element count | elements )
 * ```
 *
 * ## Protocol
 *
 * One JSON object per line; the peer reads commands on stdin, answers on stdout and may log on
 * stderr. It times its own calls (one call = the suite's `opsPerCall` operations) with its own
 * monotonic nanosecond clock:
 *
 * ```
 *   peer    → {"ready": true, "version": "CPython 3.11.2"}   inputs loaded, state built
 *   harness → {"cmd": "warmup", "ms": 100}                    peer → {"done": true}
 *   harness → {"cmd": "round", "ms": 60, "min_samples": 2}    peer → {"samples": [ns, ...]}
 *   harness → {"cmd": "exit"}                                 peer exits with status 0
 * ```
 *
 * For `warmup` and `round` the peer runs calls until they have taken `ms` in all and it has
 * made at least `min_samples` calls (one for warm-up), as tinybench does in-process; a peer
 * that rebuilds its state before each call (untimed, like an in-process case's `setup`) does
 * not count that time. On an error it may
 * answer `{"error": "..."}`; closing stdin also ends it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type ExternalCase, type ExternalSession, PeerUnavailableError } from '../suite.js';

export interface ProcessPeerOptions {
  /** The case's name (the table's row). */
  readonly name: string;
  /** What one operation does; the peer's reported version is appended in parentheses. */
  readonly description: string;
  /** The executable, as given to `spawn` (a name looked up in PATH, or a path). */
  readonly command: string;
  /** How messages name the executable, e.g. `python3`. */
  readonly commandLabel: string;
  /** Appended to "not found" and "could not be started", e.g. `(HEAPKIT_BENCH_PYTHON=/x)`. */
  readonly commandNote?: string;
  /** The arguments, given the path of the inputs file. */
  readonly args: (inputsPath: string) => readonly string[];
  /** The inputs, by name. */
  readonly inputs: Readonly<Record<string, Uint32Array>>;
  /** How long the peer may take to load its inputs and build its state (default 60 s). */
  readonly startTimeoutMs?: number;
}

/**
 * Extra time a round may take beyond its budget before the peer is declared hung. A round runs
 * at least `minSamples` calls whatever its budget, and one call can be long (CPython's
 * binary-trees program: about 5 s, more on a loaded machine), so this only catches a peer that
 * stopped answering.
 */
const ROUND_GRACE_MS = 300_000;
/** How long `close` waits for the peer to exit before killing it. */
const EXIT_WAIT_MS = 2_000;
/** How much of the peer's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 2_000;

/** An external case that runs `options.command` with the line protocol above. */
export function processPeer(options: ProcessPeerOptions): ExternalCase {
  return {
    name: options.name,
    description: options.description,
    start: () => startProcess(options),
  };
}

/** The inputs file's bytes (layout in the module comment). */
export function encodeInputs(inputs: Readonly<Record<string, Uint32Array>>): Uint8Array {
  const names = Object.keys(inputs);
  const encoded = names.map((name) => new TextEncoder().encode(name));
  let size = 12;
  for (let i = 0; i < names.length; i++) size += 8 + encoded[i]!.length + 4 * inputs[names[i]!]!.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode('HKIN'), 0);
  view.setUint32(4, 1, true);
  view.setUint32(8, names.length, true);
  let at = 12;
  for (let i = 0; i < names.length; i++) {
    const name = encoded[i]!;
    const values = inputs[names[i]!]!;
    view.setUint32(at, name.length, true);
    bytes.set(name, at + 4);
    at += 4 + name.length;
    view.setUint32(at, values.length, true);
    at += 4;
    for (let k = 0; k < values.length; k++, at += 4) view.setUint32(at, values[k]!, true);
  }
  return bytes;
}

async function startProcess(options: ProcessPeerOptions): Promise<ExternalSession> {
  const dir = await mkdtemp(join(tmpdir(), 'heapkit-bench-peer-'));
  const inputsPath = join(dir, 'inputs.bin');
  await writeFile(inputsPath, encodeInputs(options.inputs));
  const peer = new PeerProcess(options.commandLabel, options.commandNote ?? '', () =>
    rm(dir, { recursive: true, force: true }),
  );
  try {
    peer.spawn(options.command, options.args(inputsPath));
    const ready = await peer.receive(options.startTimeoutMs ?? 60_000, 'starting');
    if (ready.ready !== true) throw peer.failure(`answered ${JSON.stringify(ready)} instead of being ready`);
    const version = typeof ready.version === 'string' ? ready.version : 'unknown version';
    return {
      description: `${options.description} (${version})`,
      warmup: async (ms) => {
        const reply = await peer.request({ cmd: 'warmup', ms }, ms + ROUND_GRACE_MS, 'warm-up');
        if (reply.done !== true) throw peer.failure(`answered ${JSON.stringify(reply)} to warmup`);
      },
      round: async (ms, minSamples) => {
        const reply = await peer.request(
          { cmd: 'round', ms, min_samples: minSamples },
          ms + ROUND_GRACE_MS,
          'a round',
        );
        const samples = reply.samples;
        if (
          !Array.isArray(samples) ||
          samples.length === 0 ||
          !samples.every((x) => typeof x === 'number' && x > 0)
        ) {
          throw peer.failure(`answered ${JSON.stringify(reply).slice(0, 200)} to round`);
        }
        return samples as number[];
      },
      close: () => peer.close(),
    };
  } catch (error) {
    await peer.close();
    // Anything that stops the peer from starting makes it unavailable, not the run a failure.
    if (error instanceof PeerUnavailableError) throw error;
    throw new PeerUnavailableError(
      `${options.commandLabel} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

type Message = Record<string, unknown>;

/** The child process and its line protocol: one request in flight at a time. */
class PeerProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private ended: PeerUnavailableError | null = null;
  private stderr = '';
  private exited: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly label: string,
    private readonly note: string,
    private readonly cleanup: () => Promise<void>,
  ) {}

  spawn(command: string, args: readonly string[]): void {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const note = this.note === '' ? '' : ` ${this.note}`;
      this.end(
        new PeerUnavailableError(
          error.code === 'ENOENT'
            ? `${this.label} not found${note}`
            : `${this.label} could not be started${note}: ${error.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
      this.end(this.failure(how));
    });
    child.stdin.on('error', () => {}); // EPIPE when it died: reported by 'close'
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.waiting !== null) {
        const resolve = this.waiting;
        this.waiting = null;
        resolve(line);
      } else {
        this.lines.push(line);
      }
    });
  }

  /** An error naming the peer, what happened and the end of its stderr. */
  failure(what: string): PeerUnavailableError {
    const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return new PeerUnavailableError(`${this.label} ${what}${tail === '' ? '' : `: ${tail}`}`);
  }

  request(message: Message, timeoutMs: number, doing: string): Promise<Message> {
    if (this.ended !== null) return Promise.reject(this.ended);
    this.child!.stdin.write(`${JSON.stringify(message)}\n`);
    return this.receive(timeoutMs, doing);
  }

  /** The next message from the peer; rejects if it ends, times out or reports an error. */
  async receive(timeoutMs: number, doing: string): Promise<Message> {
    const line = await this.nextLine(timeoutMs, doing);
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      throw this.failure(`wrote a line that is not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof message !== 'object' || message === null) throw this.failure(`wrote ${line.slice(0, 200)}`);
    const error = (message as Message).error;
    if (error !== undefined) throw this.failure(`reported: ${String(error)}`);
    return message as Message;
  }

  private nextLine(timeoutMs: number, doing: string): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended !== null) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(this.failure(`did not answer within ${timeoutMs} ms while ${doing}`));
      }, timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        if (line === null) reject(this.ended);
        else resolve(line);
      };
    });
  }

  private end(error: PeerUnavailableError): void {
    if (this.ended !== null) return;
    this.ended = error;
    if (this.waiting !== null) {
      const wake = this.waiting;
      this.waiting = null;
      wake(null);
    }
  }

  /** Asks the peer to exit, kills it if it does not, removes its inputs. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const child = this.child;
    if (child !== null && this.ended === null) {
      child.stdin.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WAIT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await this.cleanup().catch(() => {});
  }
}
