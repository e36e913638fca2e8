/**
 * Sampling mode: with a fixed seed and many allocations at three guest sites, the estimated
 * live bytes and blocks per site are within 4 standard errors of the truth. The standard error
 * comes from the estimator's variance (see sampler.ts): for blocks of `s` bytes sampled with
 * probability p = 1 - exp(-s/I), Var = Σ s²(1-p)/p for bytes and Σ (1-p)/p for counts.
 */
import { ArenaAllocator } from '@heapkit/arena-allocator';
import { describe, expect, it } from 'vitest';
import { Profiler } from './profiler.js';
import { RuntimeFrameStack } from './runtime-frame-stack.js';
import { PoissonSampler } from './sampler.js';
import type { Snapshot } from './snapshot.js';

const INTERVAL = 4096;

/** Site name → [block size, blocks allocated, keep every k-th]. */
const SITES: Record<string, [number, number, number]> = {
  'small.py': [48, 100_000, 2],
  'medium.py': [1000, 10_000, 1],
  'large.py': [100_000, 100, 1],
};

function run(seed: number): { profiler: Profiler; snapshot: Snapshot; allocations: number } {
  const stack = new RuntimeFrameStack();
  const profiler = new Profiler({ frameSource: stack, sampling: { meanInterval: INTERVAL, seed } });
  const heap = profiler.wrap(new ArenaAllocator());
  profiler.start();
  let allocations = 0;
  for (const [name, [size, count, keep]] of Object.entries(SITES)) {
    stack.push(stack.registerFile(name), 1);
    for (let i = 0; i < count; i++) {
      const p = heap.malloc(size);
      allocations++;
      if (i % keep !== 0) heap.free(p);
    }
    stack.pop();
  }
  return { profiler, snapshot: profiler.takeSnapshot(), allocations };
}

describe('Poisson sampling by bytes', () => {
  it('estimates live bytes and blocks per site within 4 standard errors (seed 1)', () => {
    const { profiler, snapshot, allocations } = run(1);
    expect(snapshot.samplingInterval).toBe(INTERVAL);
    expect(snapshot.traces.length).toBeLessThan(allocations / 5); // it really sampled
    const stats = new Map(snapshot.statistics('filename').map((s) => [s.traceback.mostRecent.filename, s]));
    let trueTotal = 0;
    for (const [name, [size, count, keep]] of Object.entries(SITES)) {
      const live = Math.ceil(count / keep);
      const p = -Math.expm1(-size / INTERVAL);
      const bytesSE = Math.sqrt((live * size * size * (1 - p)) / p);
      const countSE = Math.sqrt((live * (1 - p)) / p);
      const stat = stats.get(name)!;
      expect(stat, name).toBeDefined();
      expect(
        Math.abs(stat.size - live * size),
        `${name}: ${stat.size} vs ${live * size}`,
      ).toBeLessThanOrEqual(4 * bytesSE + 1);
      expect(Math.abs(stat.count - live), `${name}: ${stat.count} vs ${live}`).toBeLessThanOrEqual(
        4 * countSE + 1,
      );
      trueTotal += live * size;
    }
    // The whole traced memory too: its relative error is far below 5% here.
    expect(Math.abs(profiler.getTracedMemory()[0] - trueTotal) / trueTotal).toBeLessThan(0.05);
  });

  it('is reproducible with a seed, and the seed matters', () => {
    const key = (s: Snapshot) => s.statistics('filename').map(String).join('\n');
    expect(key(run(7).snapshot)).toBe(key(run(7).snapshot));
    expect(key(run(8).snapshot)).not.toBe(key(run(7).snapshot));
  });

  it('counts each block down once through nested traced allocators of one profiler', () => {
    const sampled = (nested: boolean): string => {
      const stack = new RuntimeFrameStack();
      const profiler = new Profiler({ frameSource: stack, sampling: { meanInterval: 2000, seed: 9 } });
      const inner = profiler.wrap(new ArenaAllocator());
      const heap = nested ? profiler.wrap(inner) : inner;
      stack.push(stack.registerFile('a.py'), 1);
      profiler.start();
      for (let i = 0; i < 5000; i++) {
        stack.setLine(1 + (i % 5));
        heap.malloc(16 + (i % 200));
      }
      const snapshot = profiler.takeSnapshot();
      expect(new Set(snapshot.traces.map((t) => t.domain))).toEqual(new Set([heap.domain]));
      return snapshot.statistics('lineno').map(String).join('\n');
    };
    const flat = sampled(false);
    expect(flat.length).toBeGreaterThan(0);
    expect(sampled(true)).toBe(flat);
  });

  it('weights a block by 1 / P(sampled)', () => {
    const sampler = new PoissonSampler(1000, 3);
    expect(sampler.weight(1000)).toBeCloseTo(1 / (1 - Math.exp(-1)), 12);
    expect(sampler.weight(1e6)).toBe(1);
    expect(sampler.weight(1)).toBeCloseTo(1000.5, 1);
    // The gaps are exponential with the mean interval: mean and P(gap > mean) = 1/e.
    let sum = 0;
    let above = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const gap = sampler.nextGap();
      sum += gap;
      if (gap > 1000) above++;
    }
    expect(sum / n).toBeGreaterThan(1000 * 0.99);
    expect(sum / n).toBeLessThan(1000 * 1.01);
    expect(above / n).toBeCloseTo(Math.exp(-1), 2);
  });
});
