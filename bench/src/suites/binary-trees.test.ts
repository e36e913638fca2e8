/**
 * The binary-trees suite does the benchmarks game's work in every case: the known node counts,
 * the in-process cases' runs (heapkit's leaving no object behind), and the CPython script's
 * program and its check when `python3` is here. The AssemblyScript module is checked in
 * `peers/assemblyscript.test.ts`. Never asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_DIR, pythonPeer } from '../peers/python.js';
import type { SuiteContext } from '../suite.js';
import { binaryTrees, expectedCheck, MIN_DEPTH, maxDepthFor, treeNodes } from './binary-trees.js';

const tiny: SuiteContext = { mode: 'tiny', seed: 1, env: {} };

/** The program, written the plain recursive way, counting what it checks. */
function modelCheck(maxDepth: number): number {
  const count = (depth: number): number => (depth === 0 ? 1 : 1 + 2 * count(depth - 1));
  let total = count(maxDepth + 1) + count(maxDepth);
  for (let d = MIN_DEPTH; d <= maxDepth; d += 2) {
    for (let i = 0; i < 1 << (maxDepth - d + MIN_DEPTH); i++) total += count(d);
  }
  return total;
}

describe('binary-trees', () => {
  it('knows the node count of a run', () => {
    expect(treeNodes(0)).toBe(1);
    expect(treeNodes(16)).toBe(131_071);
    for (let maxDepth = MIN_DEPTH; maxDepth <= 12; maxDepth++) {
      expect(expectedCheck(maxDepth), `depth ${maxDepth}`).toBe(modelCheck(maxDepth));
    }
    expect(expectedCheck(16)).toBe(14_985_902);
  });

  it('sizes the run by mode: depth 16 in full mode', () => {
    expect(maxDepthFor({ mode: 'full' })).toBe(16);
    expect(maxDepthFor({ mode: 'quick' })).toBeLessThan(16);
    expect(maxDepthFor({ mode: 'tiny' })).toBeGreaterThanOrEqual(MIN_DEPTH);
  });

  it('runs every in-process case, and heapkit frees every node it built', () => {
    const set = binaryTrees.createCases(tiny);
    expect(set.opsPerCall).toBe(1);
    expect(set.cases.map((c) => c.name).slice(0, 2)).toEqual(['heapkit', 'v8-object']);
    expect([...set.cases, ...(set.unavailable ?? [])].map((c) => c.name)).toContain('assemblyscript');
    expect(set.external?.map((c) => c.name)).toEqual(['cpython']);
    for (const c of set.cases) {
      for (let run = 0; run < 3; run++) c.run(); // each run verifies its check sum
    }
    expect(() => set.teardown?.()).not.toThrow();
  });

  it('reports the peak footprint of a run', () => {
    const memory = binaryTrees.measureMemory!(tiny);
    const depth = maxDepthFor(tiny);
    expect(memory.blocks).toBe(treeNodes(depth + 1));
    expect(memory.requestedBytes).toBe(memory.blocks * 16); // 8 B header + two 4 B slots
    expect(memory.note).toMatch(/tiny mode: depth \d+ instead of 16/);
    const heapkit = memory.figures.find((f) => f.case === 'heapkit')!;
    expect(heapkit.footprintBytes).toBeGreaterThanOrEqual(memory.requestedBytes);
    expect(heapkit.ratio).toBeCloseTo(heapkit.footprintBytes! / memory.requestedBytes, 12);
    expect(memory.figures.map((f) => f.case)).toEqual([
      'heapkit',
      'v8-object',
      'assemblyscript',
      'cpython',
      'checked-int32-heap',
    ]);
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)('python/binary_trees.py (python3 is here)', () => {
  it('counts the same nodes', () => {
    const code =
      'import sys, json, binary_trees as b\n' + 'print(json.dumps([b.program(d) for d in range(4, 11)]))';
    const result = spawnSync('python3', ['-B', '-E', '-s', '-c', code], {
      cwd: PYTHON_DIR,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([4, 5, 6, 7, 8, 9, 10].map(expectedCheck));
  });

  it('runs through the protocol, and fails loudly on a wrong check sum', async () => {
    const peer = (expected: number) =>
      pythonPeer(tiny, {
        name: 'cpython',
        description: 'test',
        script: 'binary_trees.py',
        inputs: {},
        params: { max_depth: 6, expected_check: expected },
      });
    const session = await peer(expectedCheck(6)).start();
    try {
      expect(session.description).toMatch(/^test \(CPython 3\.\d+\.\d+/);
      const samples = await session.round(1, 2);
      expect(samples.length).toBeGreaterThanOrEqual(2);
    } finally {
      await session.close();
    }
    const wrong = await peer(expectedCheck(6) + 1).start();
    try {
      await expect(wrong.round(1, 1)).rejects.toThrow(/check sum 4398, expected 4399/);
    } finally {
      await wrong.close();
    }
  });
});
