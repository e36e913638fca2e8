/**
 * Workers: the churn of the `churn` suite run by worker threads that share one heap (each
 * worker's ArenaAllocator joins the memory's shared heap: `shared: true`). Every worker keeps its
 * own 10,000 live blocks; a call runs `STEPS_PER_CALL` steps in all, split evenly between the
 * case's workers, and ends when the last worker is done, so a case's time per step is wall-clock
 * time over the steps of all its workers: its throughput.
 *
 * - `1-worker`: one worker (the baseline; the same allocator and loop, in shared mode).
 * - `2-workers` (the subject): two workers, no cross frees. Target: at least 1.6× `1-worker`.
 * - `2-workers-cross-10`: two workers; 10% of frees hand the block to the other worker, which
 *   frees it (a remote free: one atomic OR, handed over in batches of 60 with one CAS). Target: at least 1.4× `1-worker`
 *   (reported as a slowdown against `1-worker`: time at most 1 / 1.4 = 0.71×).
 * - `N-workers` for N from 3 to `os.availableParallelism()`.
 *
 * Wall time hides nothing on an idle machine, but a busy one (two cores, other work) starves the
 * second worker; the figures under the table also give each case's steps per CPU-second
 * (`process.cpuUsage()` around each call: all of the process's threads) and, per CPU-second,
 * `2-workers` against `1-worker` (target at least 0.9×), and the pools each case's allocators
 * hold at the end, with and without cross frees (blocks in flight must not inflate them).
 *
 * The main thread drives the workers through a control block (`workers-protocol.ts`): one
 * `Atomics.notify` to start a call and one `Atomics.wait` for its end (about 20 µs per call,
 * against the milliseconds a call runs). Each worker runs its own loop (`workers-thread.ts`).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Memory } from '@heapkit/memory';
import type { BenchCase, Suite } from '../suite.js';
import {
  ALL_FREES,
  CMD,
  CMD_REPORT,
  CMD_RUN,
  CMD_STOP,
  controlBytes,
  DONE,
  GENERATION,
  MAX_WORKERS,
  POOLS_BASE,
  REMOTE_FREES,
  STEPS,
  type WorkerSetup,
} from './workers-protocol.js';

/** Steps per call in all (divisible by 1 to 6, 8, 10 and 12 workers): a few ms per call. */
const STEPS_PER_CALL = 120_000;
const ONE = '1-worker';
const TWO = '2-workers';
const TWO_CROSS = '2-workers-cross-10';
const MAX_BYTES = 256 << 20;

/** A case's workers, their shared memory and control block. */
interface Crew {
  readonly name: string;
  readonly workers: number;
  readonly crossPercent: number;
  readonly threads: Worker[];
  readonly ctl: Int32Array;
  /** Steps run and CPU microseconds spent in timed calls. */
  steps: number;
  cpuMicros: number;
}

/** The worker module: compiled JS next to this file, or (tests, under tsx) an entry that loads the source. */
function workerUrl(): URL {
  return import.meta.url.endsWith('.js')
    ? new URL('./workers-thread.js', import.meta.url)
    : new URL('./workers-thread-entry.mjs', import.meta.url);
}

function hire(name: string, workers: number, crossPercent: number): Crew {
  if (workers > MAX_WORKERS) throw new Error(`workers: at most ${MAX_WORKERS} workers per case`);
  const memory = new Memory({ shared: true, maxBytes: MAX_BYTES });
  const control = new SharedArrayBuffer(controlBytes(workers));
  const url = workerUrl();
  const threads = Array.from({ length: workers }, (_, id) => {
    const setup: WorkerSetup = {
      control,
      wasmMemory: memory.wasmMemory!,
      maxBytes: MAX_BYTES,
      id,
      workers,
      crossPercent,
    };
    const thread = new Worker(url, { workerData: setup });
    thread.unref(); // a failed run must not hang on idle workers
    return thread;
  });
  const crew: Crew = {
    name,
    workers,
    crossPercent,
    threads,
    ctl: new Int32Array(control),
    steps: 0,
    cpuMicros: 0,
  };
  command(crew, CMD_REPORT, 0); // waits until every worker has started and filled its blocks
  return crew;
}

/** Runs one command on every worker of `crew` and waits for all of them. */
function command(crew: Crew, cmd: number, steps: number): void {
  const { ctl } = crew;
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, CMD, cmd);
  Atomics.store(ctl, STEPS, steps);
  Atomics.add(ctl, GENERATION, 1);
  Atomics.notify(ctl, GENERATION);
  for (let done = Atomics.load(ctl, DONE); done < crew.workers; done = Atomics.load(ctl, DONE)) {
    if (Atomics.wait(ctl, DONE, done, 60_000) === 'timed-out') {
      throw new Error(`workers: ${crew.name} did not answer within 60 s (a worker failed?)`);
    }
  }
}

/** Tells the workers to end (they leave their loop without answering) and terminates them. */
function dismiss(crew: Crew): void {
  Atomics.store(crew.ctl, CMD, CMD_STOP);
  Atomics.add(crew.ctl, GENERATION, 1);
  Atomics.notify(crew.ctl, GENERATION);
  for (const thread of crew.threads) void thread.terminate();
}

function crewCase(crew: Crew, description: string): BenchCase {
  const perWorker = STEPS_PER_CALL / crew.workers;
  return {
    name: crew.name,
    description,
    run: () => {
      const before = process.cpuUsage();
      command(crew, CMD_RUN, perWorker);
      const used = process.cpuUsage(before);
      crew.cpuMicros += used.user + used.system;
      crew.steps += STEPS_PER_CALL;
    },
  };
}

function poolsInUse(crew: Crew): number {
  command(crew, CMD_REPORT, 0);
  let pools = 0;
  for (let id = 0; id < crew.workers; id++) pools += Atomics.load(crew.ctl, POOLS_BASE + id);
  return pools;
}

/** The share of frees a crew's workers handed to another worker (a full inbox makes the free local). */
function remoteShare(crew: Crew): string {
  const all = Atomics.load(crew.ctl, ALL_FREES);
  return all === 0 ? 'none' : `${((100 * Atomics.load(crew.ctl, REMOTE_FREES)) / all).toFixed(1)}%`;
}

function perCpuSecond(crew: Crew): number {
  return crew.cpuMicros === 0 ? 0 : crew.steps / (crew.cpuMicros / 1e6);
}

export const workers: Suite = {
  name: 'workers',
  description:
    'Churn by worker threads sharing one heap: 10,000 live blocks of 8..512 B per worker; a step frees one and allocates one',
  opName: 'step',
  subject: TWO,
  targets: [{ peer: ONE, minRatio: 1.6 }],
  slowdowns: [{ case: TWO_CROSS, baseline: ONE, maxRatio: 1 / 1.4 }],
  createCases() {
    const crews = [hire(TWO, 2, 0), hire(ONE, 1, 0), hire(TWO_CROSS, 2, 10)];
    for (let n = 3; n <= Math.min(availableParallelism(), 8); n++) crews.push(hire(`${n}-workers`, n, 0));
    const cases = crews.map((crew) =>
      crewCase(
        crew,
        crew.crossPercent === 0
          ? `${crew.workers} worker thread${crew.workers > 1 ? 's' : ''}, one ArenaAllocator each over one shared memory: free, malloc, write a u32`
          : `${crew.workers} worker threads; ${crew.crossPercent}% of frees hand the block to the other worker, which frees it (remote free)`,
      ),
    );
    let details: string[] = [];
    return {
      opsPerCall: STEPS_PER_CALL,
      cases,
      teardown: () => {
        details = crews.map(
          (crew) =>
            `${crew.name}: ${(perCpuSecond(crew) / 1e6).toFixed(2)} M steps per CPU-second, ${poolsInUse(crew)} pools in use at the end` +
            (crew.crossPercent === 0 ? '' : `, ${remoteShare(crew)} of its frees remote`),
        );
        const [two, one] = crews;
        const ratio = perCpuSecond(two!) / perCpuSecond(one!);
        details.push(
          `${TWO} ÷ ${ONE} per CPU-second: ${ratio.toFixed(2)}× (target ≥ 0.9×; process.cpuUsage() around each timed call)`,
        );
        for (const crew of crews) dismiss(crew);
      },
      details: () => details,
    };
  },
};
