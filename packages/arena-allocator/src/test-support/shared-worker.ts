/**
 * A worker of the shared-heap stress test (`workers.test.ts`): attaches an ArenaAllocator to the
 * shared memory it is sent, churns, hands some of its blocks to the other workers to free, frees
 * what they hand it (checking each block's tag first), and on request takes back remote frees,
 * validates and reports its bytes in use.
 */

import type { MessagePort } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import { Memory } from '@heapkit/memory';
import { ArenaAllocator } from '../arena-allocator.js';

export interface StressData {
  mode: 'stress' | 'reproduction' | 'die';
  wasmMemory: WebAssembly.Memory;
  /** The memory's maxBytes: a WebAssembly.Memory does not tell its maximum to the worker. */
  maxBytes: number;
  id: number;
  ops: number;
  crossPercent: number;
  seed: number;
  peers: MessagePort[]; // peers[k]: the port to worker k (undefined for itself)
}

const data = workerData as StressData;
const memory = new Memory({ buffer: data.wasmMemory, maxBytes: data.maxBytes });
const heap = new ArenaAllocator({ memory, shared: true });
const port = parentPort!;

if (data.mode === 'die') {
  // Allocates, frees some (into its block cache), hands the rest over and exits without detach().
  const blocks: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const p = heap.malloc(16 + (i % 30) * 16);
    memory.u32[p >>> 2] = i;
    blocks.push(p);
  }
  const big = heap.malloc(100_000);
  for (const p of blocks.splice(0, 500)) heap.free(p);
  port.postMessage({ blocks, big, slot: heap.heapSlot });
  process.exit(0);
} else if (data.mode === 'reproduction') {
  const blocks: number[] = [];
  for (let i = 0; i < 2000; i++) blocks.push(heap.malloc(100));
  heap.validate();
  port.postMessage({ blocks, slot: heap.heapSlot });
} else {
  await stress();
}

async function stress(): Promise<void> {
  let seed = data.seed >>> 0 || 1;
  const random = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const live: number[] = [];
  const sizes = new Map<number, number>();
  const outbox: number[][] = data.peers.map(() => []);
  let received = 0;
  let tagErrors = 0;
  let doneFrom = 0;
  const workers = data.peers.length;
  // A block holds its size and a tag (the worker id and a counter) in its first 8 bytes, and the
  // tag's low byte repeated after them: whoever frees it checks all of it.
  let counter = 0;
  const write = (p: number, size: number): void => {
    const u8 = memory.u8;
    const tag = (data.id << 24) | (counter++ & 0xffffff);
    memory.u32[p >>> 2] = size;
    memory.u32[(p >>> 2) + 1] = tag;
    u8.fill(tag & 0xff, p + 8, p + size);
  };
  /** The first damaged blocks found, described for the test's failure message. */
  const damaged: string[] = [];
  const check = (p: number, from: number): boolean => {
    const size = memory.u32[p >>> 2]!;
    const tag = memory.u32[(p >>> 2) + 1]!;
    // A block of another worker may end beyond this thread's views (it grew the memory since).
    if (p + size > memory.byteLength) memory.refresh();
    const u8 = memory.u8;
    let bad = size < 8 || size > 40_000 ? 0 : -1;
    for (let i = p + 8; bad < 0 && i < p + size; i++) if (u8[i] !== (tag & 0xff)) bad = i - p;
    if (bad < 0) return true;
    if (damaged.length < 4) {
      damaged.push(
        `worker ${data.id} freeing ${p} (handed over by ${from < 0 ? 'none' : `worker ${from}`}): ` +
          `size word ${size}, tag 0x${tag.toString(16)}, first bad byte at +${bad} ` +
          `(${u8[p + bad]}), memory ${memory.byteLength} bytes`,
      );
    }
    return false;
  };
  const freeChecked = (p: number, from: number): void => {
    if (p >= memory.byteLength) memory.refresh(); // another worker grew the memory
    if (!check(p, from)) tagErrors++;
    heap.free(p);
  };
  for (const [k, peer] of data.peers.entries()) {
    if (peer === undefined) continue;
    peer.on('message', (message: number[] | 'done') => {
      if (message === 'done') {
        doneFrom++;
        return;
      }
      for (const p of message) freeChecked(p, k);
      received += message.length;
    });
  }
  const flush = (k: number): void => {
    if (outbox[k]!.length === 0) return;
    data.peers[k]!.postMessage(outbox[k]);
    outbox[k] = [];
  };
  for (let i = 0; i < data.ops; i++) {
    if (live.length < 64 || random(100) < 52) {
      const size = random(50) === 0 ? 600 + random(20_000) : 8 + random(300);
      const p = heap.malloc(size);
      if (p === 0) throw new Error('out of memory');
      write(p, size);
      live.push(p);
      sizes.set(p, size);
    } else {
      const at = random(live.length);
      const p = live[at]!;
      live[at] = live[live.length - 1]!;
      live.pop();
      sizes.delete(p);
      if (workers > 1 && random(100) < data.crossPercent) {
        let k = random(workers - 1);
        if (k >= data.id) k++;
        outbox[k]!.push(p);
        if (outbox[k]!.length >= 128) flush(k);
      } else {
        freeChecked(p, -1);
      }
    }
    if ((i & 4095) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  for (const p of live) freeChecked(p, -1);
  for (let k = 0; k < workers; k++) {
    if (k === data.id) continue;
    flush(k);
    data.peers[k]!.postMessage('done');
  }
  while (doneFrom < workers - 1) await new Promise((resolve) => setTimeout(resolve, 1));
  heap.reclaim(); // publishes this worker's last batches of remote frees
  port.postMessage({ phase: 'freed', received, tagErrors, damaged });
  port.once('message', () => {
    const reclaimed = heap.reclaim();
    port.postMessage({ phase: 'reclaimed' });
    port.once('message', () => {
      heap.reclaim(); // the emptied batches, home from the other workers
      heap.validate();
      const stats = heap.stats();
      port.postMessage({ phase: 'checked', reclaimed, bytesInUse: stats.bytesInUse, slot: heap.heapSlot });
      for (const peer of data.peers) peer?.close();
    });
  });
}
