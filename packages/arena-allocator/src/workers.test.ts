import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { Memory } from '@heapkit/memory';
import { describe, expect, it } from 'vitest';
import { ArenaAllocator } from './arena-allocator.js';
import type { StressData } from './test-support/shared-worker.js';

/**
 * A shared heap over real `worker_threads` (DESIGN.md, "Workers: one shared heap"): each worker
 * attaches its own ArenaAllocator to one shared memory; some blocks are freed by a worker that
 * does not own them. `shared-heap.test.ts` covers the same paths deterministically.
 */

const WORKER = new URL('./test-support/shared-worker-entry.mjs', import.meta.url);

function start(data: Omit<StressData, 'peers'>, peers: (MessagePort | undefined)[]): Worker {
  const transfer = peers.filter((p): p is MessagePort => p !== undefined);
  return new Worker(WORKER, {
    workerData: { ...data, peers },
    transferList: transfer,
  });
}

/** The next message of `worker`, or its error. */
function next<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once('error', onError);
    worker.once('message', (message: T) => {
      worker.off('error', onError);
      resolve(message);
    });
  });
}

interface Freed {
  phase: 'freed';
  received: number;
  tagErrors: number;
  /** The first damaged blocks, described (empty when none). */
  damaged: string[];
}
interface Checked {
  phase: 'checked';
  reclaimed: number;
  bytesInUse: number;
  slot: number;
}

async function stress(
  workers: number,
  ops: number,
  crossPercent: number,
): Promise<{ freed: Freed[]; checked: Checked[] }> {
  const memory = new Memory({ shared: true, maxBytes: 256 << 20 });
  const ports: (MessagePort | undefined)[][] = Array.from({ length: workers }, () =>
    Array(workers).fill(undefined),
  );
  for (let i = 0; i < workers; i++) {
    for (let j = i + 1; j < workers; j++) {
      const { port1, port2 } = new MessageChannel();
      ports[i]![j] = port1;
      ports[j]![i] = port2;
    }
  }
  const threads = ports.map((peers, id) =>
    start(
      {
        mode: 'stress',
        wasmMemory: memory.wasmMemory!,
        maxBytes: memory.maxBytes,
        id,
        ops,
        crossPercent,
        seed: 0x9e3779b9 ^ (id * 7919),
      },
      peers,
    ),
  );
  try {
    const freed = await Promise.all(threads.map((t) => next<Freed>(t)));
    // Every free of every worker has happened and every batch of remote frees is published: now
    // each takes back what the others freed, and sends their emptied batches home.
    const reclaiming = threads.map((t) => next<{ phase: 'reclaimed' }>(t));
    for (const t of threads) t.postMessage('reclaim');
    await Promise.all(reclaiming);
    // Then each takes its batches back, validates its part and reports its bytes in use.
    const checked: Checked[] = [];
    for (const t of threads) {
      const checking = next<Checked>(t);
      t.postMessage('check');
      checked.push(await checking);
    }
    // The main thread joins the heap too: it validates, and so does each worker's part.
    const main = new ArenaAllocator({ memory, shared: true });
    main.validate();
    return { freed, checked };
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

describe('a shared heap over worker_threads', () => {
  it('two workers attaching to one shared memory get disjoint blocks (the reproduction)', async () => {
    const memory = new Memory({ shared: true, maxBytes: 64 << 20 });
    const threads = [0, 1].map((id) =>
      start(
        {
          mode: 'reproduction',
          wasmMemory: memory.wasmMemory!,
          maxBytes: memory.maxBytes,
          id,
          ops: 0,
          crossPercent: 0,
          seed: 1,
        },
        [],
      ),
    );
    try {
      const [a, b] = await Promise.all(threads.map((t) => next<{ blocks: number[]; slot: number }>(t)));
      expect(a!.slot).not.toBe(b!.slot);
      const seen = new Set(a!.blocks);
      expect(seen.size).toBe(2000);
      for (const p of b!.blocks) expect(seen.has(p)).toBe(false);
      const sorted = [...a!.blocks, ...b!.blocks].sort((x, y) => x - y);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(100);
    } finally {
      await Promise.all(threads.map((t) => t.terminate()));
    }
  });

  it('a worker that exits without detaching is recovered by another thread, which frees its blocks', async () => {
    const memory = new Memory({ shared: true, maxBytes: 64 << 20 });
    const main = new ArenaAllocator({ memory, shared: true });
    const [thread] = [0].map((id) =>
      start(
        {
          mode: 'die',
          wasmMemory: memory.wasmMemory!,
          maxBytes: memory.maxBytes,
          id,
          ops: 0,
          crossPercent: 0,
          seed: 1,
        },
        [],
      ),
    );
    const exited = new Promise((resolve) => thread!.once('exit', resolve));
    const { blocks, big, slot } = await next<{ blocks: number[]; big: number; slot: number }>(thread!);
    await exited;
    memory.refresh();
    main.recover(slot);
    main.validate();
    expect(blocks.map((p) => memory.u32[p >>> 2])).toEqual(blocks.map((_, i) => 500 + i));
    for (const p of blocks) main.free(p);
    main.free(big);
    expect(main.stats().bytesInUse).toBe(0);
    main.validate();
  });

  it.each([
    [2, 20],
    [3, 10],
    [4, 30],
  ])(
    '%i workers, %i percent of frees by another worker: tags intact, each part valid, zero bytes in use',
    async (workers, cross) => {
      const { freed, checked } = await stress(workers, 150_000, cross);
      for (const f of freed) expect(f.tagErrors, f.damaged.join('; ')).toBe(0);
      const crossFrees = freed.reduce((n, f) => n + f.received, 0);
      expect(crossFrees).toBeGreaterThan(workers * 150_000 * 0.4 * (cross / 100) * 0.5);
      for (const c of checked) expect(c.bytesInUse).toBe(0);
      expect(new Set(checked.map((c) => c.slot)).size).toBe(workers);
    },
  );
});
