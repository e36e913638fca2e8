/**
 * The control block the `workers` suite shares with its worker threads: an Int32Array over a
 * SharedArrayBuffer. The main thread writes a command and its step count, adds one to
 * `GENERATION` and notifies; each worker runs it and adds one to `DONE`.
 *
 * ```
 *   word 0  GENERATION   bumped for every command
 *   word 1  CMD          CMD_RUN, CMD_REPORT or CMD_STOP
 *   word 2  STEPS        steps each worker runs (CMD_RUN)
 *   word 3  DONE         workers that finished the command
 *   word 4  REMOTE_FREES frees handed to another worker, all workers, all calls (atomic add)
 *   word 5  ALL_FREES    frees made in churn steps, all workers, all calls (atomic add)
 *   word 8 + id          POOLS_BASE: pools in use of worker id's allocator (CMD_REPORT)
 *   word 64 + id * INBOX_WORDS   worker id's inbox: head, tail, then RING_SIZE block pointers
 * ```
 */
export const GENERATION = 0;
export const CMD = 1;
export const STEPS = 2;
export const DONE = 3;
export const REMOTE_FREES = 4;
export const ALL_FREES = 5;
export const POOLS_BASE = 8;
export const CMD_RUN = 1;
export const CMD_REPORT = 2;
export const CMD_STOP = 3;
/** Live blocks per worker, as in the churn suite. */
export const LIVE_PER_WORKER = 10_000;
export const RING_HEAD = 0;
export const RING_TAIL = 1;
/** Ring slots start at this word of an inbox. */
export const RING_SLOTS = 2;
/** Block pointers an inbox holds. */
export const RING_SIZE = 4096;
export const RING_MASK = RING_SIZE - 1;
const INBOX_WORDS = RING_SLOTS + RING_SIZE;
const INBOXES = 64;
export const MAX_WORKERS = 32;

/** First word of worker `id`'s inbox (its head; then its tail; its slots from `RING_SLOTS`). */
export function inboxBase(id: number): number {
  return INBOXES + id * INBOX_WORDS;
}

/** Bytes of a control block for `workers` workers. */
export function controlBytes(workers: number): number {
  return (inboxBase(workers) + 1) * 4;
}

/** What a worker is posted. */
export interface WorkerSetup {
  readonly control: SharedArrayBuffer;
  readonly wasmMemory: WebAssembly.Memory;
  readonly maxBytes: number;
  readonly id: number;
  readonly workers: number;
  readonly crossPercent: number;
}
