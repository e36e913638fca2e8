/**
 * One worker of the `workers` suite: attaches an ArenaAllocator to the suite's shared memory and
 * churns on command. The control block (an Int32Array over a SharedArrayBuffer, see
 * `workers.ts`) says how many steps to run; the worker adds one to `DONE` when it has run them.
 *
 * A step is the churn suite's: free the block in a random slot of this worker's 10,000, then
 * allocate a random 8..512 B and write a u32 into it. With cross frees on, a freed block goes,
 * with the given probability, to the next worker's inbox instead (a single-producer,
 * single-consumer ring in the control block); every 64 steps a worker frees what its inbox holds:
 * blocks another worker owns, so those frees are remote (one atomic OR each, handed over in batches).
 */
import { workerData } from 'node:worker_threads';
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { Memory } from '@heapkit/memory';
import {
  ALL_FREES,
  CMD,
  CMD_REPORT,
  CMD_RUN,
  CMD_STOP,
  DONE,
  GENERATION,
  inboxBase,
  LIVE_PER_WORKER,
  POOLS_BASE,
  REMOTE_FREES,
  RING_HEAD,
  RING_MASK,
  RING_SIZE,
  RING_SLOTS,
  RING_TAIL,
  STEPS,
  type WorkerSetup,
} from './workers-protocol.js';

const setup = workerData as WorkerSetup;
const ctl = new Int32Array(setup.control);
const memory = new Memory({ buffer: setup.wasmMemory, maxBytes: setup.maxBytes });
const heap = new ArenaAllocator({ memory, shared: true });
const crossLimit = Math.round(setup.crossPercent * 655.36); // of 65536
const myInbox = inboxBase(setup.id);
const peerInbox = inboxBase((setup.id + 1) % setup.workers);

let seed = (0x9e3779b9 ^ (setup.id * 0x85ebca6b)) >>> 0 || 1;
const ptrs = new Uint32Array(LIVE_PER_WORKER);
for (let i = 0; i < LIVE_PER_WORKER; i++) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  const p = heap.malloc(8 + ((seed >>> 0) % 505));
  memory.u32[p >>> 2] = i;
  ptrs[i] = p;
}

/** Frees every block in this worker's inbox (other workers' blocks: remote frees). */
function drainInbox(): void {
  const tail = Atomics.load(ctl, myInbox + RING_TAIL);
  let head = ctl[myInbox + RING_HEAD]!;
  if (head === tail) return;
  while (head !== tail) {
    heap.free(ctl[myInbox + RING_SLOTS + (head & RING_MASK)]! >>> 0);
    head = (head + 1) | 0;
  }
  Atomics.store(ctl, myInbox + RING_HEAD, head);
}

/** Runs `steps` churn steps. The loop's cost is the allocator's plus a xorshift per step. */
function run(steps: number): void {
  let s = seed;
  let pushed = 0;
  let remote = 0;
  let tail = ctl[peerInbox + RING_TAIL]!;
  const peerHead = (): number => Atomics.load(ctl, peerInbox + RING_HEAD);
  let room = RING_SIZE - (tail - peerHead());
  for (let n = 0; n < steps; n++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const r = s >>> 0;
    const slot = r % LIVE_PER_WORKER;
    const old = ptrs[slot]!;
    if (r >>> 16 < crossLimit && room > 0) {
      ctl[peerInbox + RING_SLOTS + (tail & RING_MASK)] = old;
      tail = (tail + 1) | 0;
      room--;
      pushed++;
      remote++;
    } else {
      heap.free(old);
    }
    const p = heap.malloc(8 + ((r >>> 7) % 505));
    memory.u32[p >>> 2] = n;
    ptrs[slot] = p;
    if ((n & 63) === 63) {
      if (pushed !== 0) {
        Atomics.store(ctl, peerInbox + RING_TAIL, tail);
        pushed = 0;
        room = RING_SIZE - (tail - peerHead());
      }
      drainInbox();
    }
  }
  if (pushed !== 0) Atomics.store(ctl, peerInbox + RING_TAIL, tail);
  drainInbox();
  seed = s;
  Atomics.add(ctl, REMOTE_FREES, remote);
  Atomics.add(ctl, ALL_FREES, steps);
}

let generation = 0;
for (;;) {
  Atomics.wait(ctl, GENERATION, generation);
  generation = Atomics.load(ctl, GENERATION);
  const cmd = Atomics.load(ctl, CMD);
  if (cmd === CMD_STOP) break;
  if (cmd === CMD_RUN) run(Atomics.load(ctl, STEPS));
  if (cmd === CMD_REPORT) {
    drainInbox();
    heap.reclaim();
    let pools = 0;
    for (const c of heap.stats().sizeClasses) pools += c.pools;
    Atomics.store(ctl, POOLS_BASE + setup.id, pools);
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}
